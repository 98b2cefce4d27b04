package manifest

import (
	"bytes"
)

// topLevel describes a block-style document from its column-0 keys, without
// parsing it. Most of the bytes in real repositories are CustomResource
// Definitions whose bodies no check reads; knowing apiVersion and kind up
// front lets the decoder parse only their metadata.
type topLevel struct {
	apiVersion, kind string
	// metadata is the byte range of the "metadata:" block and its first line
	// (relative to the document); ok is false when there is none.
	metaStart, metaEnd, metaLine int
	hasMeta                      bool
	// hasItems is set for a top-level items key: the document is a list.
	hasItems bool
}

// prescan returns ok=false when the document is not plain block style with
// simple apiVersion and kind values (flow or JSON documents, directives,
// anchors, tags, quoted or repeated keys): the caller then parses it fully.
func prescan(doc []byte) (t topLevel, ok bool) {
	type block struct {
		key        string
		start, end int
		line       int
	}
	var blocks []block
	line := 0
	for off := 0; off < len(doc); {
		nl := bytes.IndexByte(doc[off:], '\n')
		end := len(doc)
		if nl >= 0 {
			end = off + nl + 1
		}
		l := doc[off:end]
		line++
		if len(l) > 0 {
			switch c := l[0]; {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#':
				// indented content, blank line or comment: part of the open block
			case c == '{' || c == '[' || c == '%' || c == '"' || c == '\'' || c == '&' || c == '!' || c == '*' || c == '?' || c == '-' || c == '|' || c == '>':
				return t, false
			default:
				colon := bytes.IndexByte(l, ':')
				if colon <= 0 {
					return t, false
				}
				if len(blocks) > 0 {
					blocks[len(blocks)-1].end = off
				}
				blocks = append(blocks, block{key: string(l[:colon]), start: off, end: len(doc), line: line})
			}
		}
		off = end
	}
	seen := map[string]bool{}
	for _, b := range blocks {
		if seen[b.key] {
			return t, false // a duplicate key: let the parser report it
		}
		seen[b.key] = true
		switch b.key {
		case "apiVersion", "kind":
			v, vok := scalarValue(doc[b.start+len(b.key)+1 : b.end])
			if !vok {
				return t, false
			}
			if b.key == "kind" {
				t.kind = v
			} else {
				t.apiVersion = v
			}
		case "metadata":
			t.metaStart, t.metaEnd, t.metaLine, t.hasMeta = b.start, b.end, b.line, true
		case "items":
			t.hasItems = true
		}
	}
	return t, t.kind != "" && t.apiVersion != ""
}

// scalarValue reads a one-line plain or quoted scalar such as " apps/v1 # c".
func scalarValue(rest []byte) (string, bool) {
	nl := bytes.IndexByte(rest, '\n')
	if nl >= 0 {
		if !blank(rest[nl+1:]) {
			return "", false // a multi-line value
		}
		rest = rest[:nl]
	}
	if i := bytes.Index(rest, []byte(" #")); i >= 0 {
		rest = rest[:i]
	}
	v := bytes.TrimSpace(rest)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
		if bytes.ContainsAny(v, `\"'`) {
			return "", false
		}
	}
	if len(v) == 0 || bytes.ContainsAny(v, " \t{}[]&*!|>'\"%@`,") {
		return "", false
	}
	return string(v), true
}
