package event

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a strict JSON reader over one complete document. It accepts
// exactly the JSON grammar (RFC 8259) and decodes strings the way
// encoding/json does (invalid UTF-8 and lone surrogates become U+FFFD), so a
// document means the same to kubeward as to the API server. It never
// recurses deeper than maxDepth and never reads past data.
type scanner struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
	scratch  []byte // unescaped strings; valid until the next str call
}

// SyntaxError is a malformed document. Offset is the byte offset in the
// document where decoding stopped. The message never quotes the input: audit
// events carry credentials, and errors end up in logs.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// errTruncated marks input that ended inside a value. Readers use it to tell
// a multi-line document from a broken line.
var errTruncated = errors.New("unexpected end of input")

// IsTruncated reports whether err is a document that ended too early.
func IsTruncated(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se) && se.Msg == errTruncated.Error()
}

func (s *scanner) reset(data []byte, maxDepth int) {
	s.data, s.pos, s.depth, s.maxDepth = data, 0, 0, maxDepth
}

func (s *scanner) fail(msg string) error { return &SyntaxError{Offset: s.pos, Msg: msg} }

func (s *scanner) failf(format string, args ...any) error {
	return &SyntaxError{Offset: s.pos, Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) truncated() error { return s.fail(errTruncated.Error()) }

// unexpected describes the byte at pos without echoing string content.
func (s *scanner) unexpected(want string) error {
	if s.pos >= len(s.data) {
		return s.truncated()
	}
	c := s.data[s.pos]
	if c >= 0x20 && c < 0x7f {
		return s.failf("invalid character %q, want %s", c, want)
	}
	return s.failf("invalid byte 0x%02x, want %s", c, want)
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > s.maxDepth {
		return s.failf("nesting deeper than %d", s.maxDepth)
	}
	return nil
}

// beginObject consumes '{'.
func (s *scanner) beginObject() error {
	if s.peek() != '{' {
		return s.unexpected("'{'")
	}
	s.pos++
	return s.enter()
}

// nextKey returns the next key of the current object, having consumed the
// ':' after it; ok is false once '}' has been consumed.
func (s *scanner) nextKey(first *bool) (key []byte, ok bool, err error) {
	c := s.peek()
	if c == '}' {
		s.pos++
		s.depth--
		return nil, false, nil
	}
	if !*first {
		if c != ',' {
			return nil, false, s.unexpected("',' or '}'")
		}
		s.pos++
		c = s.peek()
	}
	*first = false
	if c != '"' {
		return nil, false, s.unexpected("object key")
	}
	key, err = s.str()
	if err != nil {
		return nil, false, err
	}
	if s.peek() != ':' {
		return nil, false, s.unexpected("':'")
	}
	s.pos++
	return key, true, nil
}

// beginArray consumes '['.
func (s *scanner) beginArray() error {
	if s.peek() != '[' {
		return s.unexpected("'['")
	}
	s.pos++
	return s.enter()
}

// nextElem reports whether another element follows (positioned at it); it
// consumes ']' and returns false at the end.
func (s *scanner) nextElem(first *bool) (bool, error) {
	c := s.peek()
	if c == ']' && *first {
		s.pos++
		s.depth--
		return false, nil
	}
	if !*first {
		switch c {
		case ']':
			s.pos++
			s.depth--
			return false, nil
		case ',':
			s.pos++
		default:
			return false, s.unexpected("',' or ']'")
		}
	}
	*first = false
	if s.peek(); s.pos >= len(s.data) {
		return false, s.truncated()
	}
	return true, nil
}

// null consumes a null literal if one is next.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(lit string) error {
	end := s.pos + len(lit)
	if end > len(s.data) {
		if string(s.data[s.pos:]) == lit[:len(s.data)-s.pos] {
			s.pos = len(s.data)
			return s.truncated()
		}
		return s.unexpected("literal " + lit)
	}
	if string(s.data[s.pos:end]) != lit {
		return s.unexpected("literal " + lit)
	}
	s.pos = end
	return nil
}

// str reads a string at pos (which must hold '"'). The result aliases the
// input or the scratch buffer: copy it before the next call.
func (s *scanner) str() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.unexpected("string")
	}
	start := s.pos + 1
	for i := start; i < len(s.data); i++ {
		c := s.data[i]
		if c == '"' {
			s.pos = i + 1
			return s.data[start:i], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return s.strSlow(start, i)
		}
	}
	s.pos = len(s.data)
	return nil, s.truncated()
}

// strSlow decodes a string with escapes or non-ASCII bytes, from i on.
func (s *scanner) strSlow(start, i int) ([]byte, error) {
	b := append(s.scratch[:0], s.data[start:i]...)
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			s.scratch = b
			return b, nil
		case c < 0x20:
			s.pos = i
			return nil, s.fail("control character in string")
		case c == '\\':
			if i+1 >= len(s.data) {
				s.pos = len(s.data)
				return nil, s.truncated()
			}
			e := s.data[i+1]
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := s.hex4(i + 2)
				if err != nil {
					return nil, err
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A pair is two \u escapes; anything else is one
					// replacement character, as in encoding/json.
					if r2, err := s.hex4peek(i); err == nil {
						if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
							b = utf8.AppendRune(b, d)
							i += 6
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				s.pos = i
				return nil, s.fail("invalid escape in string")
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRune(s.data[i:])
			if r == utf8.RuneError && n == 1 {
				b = utf8.AppendRune(b, unicode.ReplacementChar)
			} else {
				b = append(b, s.data[i:i+n]...)
			}
			i += n
		}
	}
	s.pos = len(s.data)
	s.scratch = b
	return nil, s.truncated()
}

// hex4 decodes the four hex digits at i.
func (s *scanner) hex4(i int) (rune, error) {
	if i+4 > len(s.data) {
		for j := i; j < len(s.data); j++ {
			if hexVal(s.data[j]) < 0 {
				s.pos = j
				return 0, s.fail("invalid \\u escape in string")
			}
		}
		s.pos = len(s.data)
		return 0, s.truncated()
	}
	var r rune
	for j := i; j < i+4; j++ {
		v := hexVal(s.data[j])
		if v < 0 {
			s.pos = j
			return 0, s.fail("invalid \\u escape in string")
		}
		r = r<<4 | v
	}
	return r, nil
}

// hex4peek decodes a "\uXXXX" at i without reporting errors.
func (s *scanner) hex4peek(i int) (rune, error) {
	if i+6 > len(s.data) || s.data[i] != '\\' || s.data[i+1] != 'u' {
		return 0, errTruncated
	}
	var r rune
	for j := i + 2; j < i+6; j++ {
		v := hexVal(s.data[j])
		if v < 0 {
			return 0, errTruncated
		}
		r = r<<4 | v
	}
	return r, nil
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// skipString validates a string without decoding it.
func (s *scanner) skipString() error {
	i := s.pos + 1
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(s.data) {
				s.pos = len(s.data)
				return s.truncated()
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, err := s.hex4(i + 2); err != nil {
					return err
				}
				i += 6
			default:
				s.pos = i
				return s.fail("invalid escape in string")
			}
		case c < 0x20:
			s.pos = i
			return s.fail("control character in string")
		default:
			i++
		}
	}
	s.pos = len(s.data)
	return s.truncated()
}

// number validates a JSON number at pos and returns its text.
func (s *scanner) number() ([]byte, error) {
	start, i := s.pos, s.pos
	d := s.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		s.pos = i
		return nil, s.truncated()
	case d[i] == '0':
		i++
	case d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return nil, s.unexpected("digit")
	}
	var err error
	if i < len(d) && d[i] == '.' {
		if i, err = s.digits(i + 1); err != nil {
			return nil, err
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i, err = s.digits(i); err != nil {
			return nil, err
		}
	}
	s.pos = i
	return d[start:i], nil
}

// digits skips one or more digits from i and returns the index after them.
func (s *scanner) digits(i int) (int, error) {
	d := s.data
	if i >= len(d) {
		s.pos = i
		return 0, s.truncated()
	}
	if d[i] < '0' || d[i] > '9' {
		s.pos = i
		return 0, s.unexpected("digit")
	}
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i, nil
}

// int32 reads a JSON number that must be an integer in int32's range.
func (s *scanner) int32() (int32, error) {
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		return 0, s.unexpected("number")
	}
	start := s.pos
	num, err := s.number()
	if err != nil {
		return 0, err
	}
	neg := num[0] == '-'
	if neg {
		num = num[1:]
	}
	var v int64
	for _, c := range num {
		if c < '0' || c > '9' {
			s.pos = start
			return 0, s.fail("number is not an integer")
		}
		v = v*10 + int64(c-'0')
		if v > 1<<31 {
			s.pos = start
			return 0, s.fail("number out of int32 range")
		}
	}
	if neg {
		v = -v
	}
	if v > 1<<31-1 || v < -1<<31 {
		s.pos = start
		return 0, s.fail("number out of int32 range")
	}
	return int32(v), nil
}

// skip validates and skips one value of any type.
func (s *scanner) skip() error {
	switch c := s.peek(); c {
	case '{':
		if err := s.beginObject(); err != nil {
			return err
		}
		first := true
		for {
			_, ok, err := s.nextKey(&first)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '[':
		if err := s.beginArray(); err != nil {
			return err
		}
		first := true
		for {
			ok, err := s.nextElem(&first)
			if err != nil || !ok {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
		}
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			_, err := s.number()
			return err
		}
		return s.unexpected("value")
	}
}

// raw skips one value and returns its bytes (aliasing the input).
func (s *scanner) raw() ([]byte, error) {
	s.ws()
	start := s.pos
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

// end checks that only whitespace follows the document.
func (s *scanner) end() error {
	if s.ws(); s.pos < len(s.data) {
		return s.unexpected("end of document")
	}
	return nil
}
