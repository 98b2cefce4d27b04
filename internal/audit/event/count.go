package event

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// Counter counts the events of a document as it streams past, without
// decoding or keeping it: the items of an EventList's top-level "items"
// array (a null item counts, as Decode counts it), or one for a single
// Event. It follows strings and nesting only, so for malformed input the
// count is a guess; for every document Decode accepts it is the number of
// events Decode returns (FuzzCounterAgrees). A server uses it to count the
// events of a batch it refuses without reading it into memory.
type Counter struct {
	n                  int
	depth              int
	inStr, esc         bool
	wantKey            bool   // at depth 1, the next string is a key
	capture            []byte // the key (or kind value) being read, up to 64 bytes
	capturing, isValue bool
	key                string // the last key at depth 1
	kind               string
	sawTop, sawItems   bool
	inItems, expect    bool
}

func (c *Counter) Write(p []byte) (int, error) {
	for _, b := range p {
		c.step(b)
	}
	return len(p), nil
}

func (c *Counter) step(b byte) {
	if c.inStr {
		switch {
		case c.esc:
			c.esc = false
		case b == '\\':
			c.esc = true
		case b == '"':
			c.inStr = false
			if c.capturing && c.isValue {
				c.kind, c.capturing = unquote(c.capture), false
			}
			return
		}
		if c.capturing && len(c.capture) < 64 {
			c.capture = append(c.capture, b)
		}
		return
	}
	switch b {
	case ' ', '\t', '\n', '\r':
		return
	}
	if c.inItems && c.depth == 2 && c.expect && b != ']' {
		c.n++
		c.expect = false
	}
	switch b {
	case '"':
		c.inStr = true
		if c.depth == 1 && (c.wantKey || c.key == "kind" && !c.wantKey && c.isValue) {
			c.capturing, c.capture = true, c.capture[:0]
		}
	case ':':
		if c.depth == 1 && c.wantKey {
			c.key, c.capturing, c.wantKey = unquote(c.capture), false, false
			c.isValue = c.key == "kind"
			if c.key == "items" {
				c.sawItems = true
			}
		}
	case ',':
		switch {
		case c.depth == 1:
			c.wantKey, c.isValue = true, false
		case c.depth == 2 && c.inItems:
			c.expect = true
		}
	case '{', '[':
		c.depth++
		switch {
		case c.depth == 1 && b == '{':
			c.wantKey, c.sawTop = true, true
		case c.depth == 2 && b == '[' && c.key == "items" && !c.wantKey:
			// A repeated "items" replaces the earlier one, as in Decode.
			c.inItems, c.expect, c.n = true, true, 0
		}
	case '}', ']':
		if c.depth == 2 {
			c.inItems = false
		}
		c.depth--
	}
}

// unquote is a captured string's value; escapes are rare in keys.
func unquote(b []byte) string {
	if !bytes.ContainsRune(b, '\\') {
		return string(b)
	}
	s, err := strconv.Unquote(`"` + string(b) + `"`)
	if err != nil {
		return string(b)
	}
	return s
}

// Events is the count so far: the items seen, or one for a document that
// is a single Event.
func (c *Counter) Events() int {
	if !c.sawTop {
		return 0
	}
	if c.kind == "Event" || (!c.sawItems && c.kind != "EventList") {
		return 1
	}
	return c.n
}

// errCountTooLong is returned by CountEvents for a document over the limit.
var errCountTooLong = errors.New("document exceeds the size limit")

// CountEvents reads r to its end, or to max bytes, through buf and counts
// its events.
func CountEvents(r io.Reader, buf []byte, max int64) (int, error) {
	var c Counter
	n, err := io.CopyBuffer(&c, io.LimitReader(r, max+1), buf)
	if err != nil {
		return c.Events(), err
	}
	if n > max {
		return c.Events(), errCountTooLong
	}
	return c.Events(), nil
}
