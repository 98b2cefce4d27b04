package event

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Pos locates a document in its input: the file (or other source) name,
// the line it starts on (1-based) and the byte offset just past its end in
// the (decompressed) stream.
type Pos struct {
	Name   string
	Line   int
	Offset int64
}

func (p Pos) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.Name, p.Line)
	}
	return p.Name
}

// ReadError is a document that could not be decoded. The rest of the input
// is still read.
type ReadError struct {
	Pos
	Err error
}

func (e *ReadError) Error() string { return e.Pos.String() + ": " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// Handler receives what a reader finds. Events returns an error to stop
// reading (the error is returned by the reader); Malformed is told about a
// document that was skipped.
type Handler interface {
	Events(evs []*Event, pos Pos) error
	Malformed(err *ReadError)
}

// ErrTooLong is the error of a line or document over Limits.MaxDocBytes.
var ErrTooLong = errors.New("document exceeds the size limit")

const readChunk = 64 << 10

// Read decodes a stream of audit events: JSON lines, each an Event or an
// EventList (what the API server's log backend writes), or a sequence of
// pretty-printed documents (a saved webhook body, kubectl output). Gzip
// input is recognised by its magic number. Malformed lines are reported to
// h with their line number and skipped.
func Read(r io.Reader, name string, dec *Decoder, h Handler) error {
	br := bufio.NewReaderSize(r, readChunk)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, readChunk)
	}
	st := NewStream(name, dec, h)
	buf := make([]byte, readChunk)
	for {
		n, err := br.Read(buf)
		if n > 0 {
			if herr := st.Feed(buf[:n]); herr != nil {
				return herr
			}
		}
		if err == io.EOF {
			return st.Close()
		}
		if err != nil {
			return fmt.Errorf("%s: reading: %w", name, err)
		}
	}
}

// Stream turns chunks of bytes into documents: it splits lines, enforces the
// size limit, numbers lines, and switches to multi-line documents when the
// first document spans lines. Followers feed it as a file grows.
type Stream struct {
	name string
	dec  *Decoder
	h    Handler
	max  int

	line     int   // lines completed so far
	offset   int64 // bytes consumed so far
	pending  []byte
	partial  int64 // bytes of the incomplete line, discarded ones included
	tooLong  bool  // discarding the rest of an oversized line
	tooStart int   // line number of the oversized line
	seenDoc  bool
	docMode  bool
	doc      docState
}

// NewStream returns a Stream reporting to h.
func NewStream(name string, dec *Decoder, h Handler) *Stream {
	return &Stream{name: name, dec: dec, h: h, max: dec.limits.MaxDocBytes}
}

// Line is the number of complete lines consumed.
func (s *Stream) Line() int { return s.line }

// Offset is the byte offset just past the last complete line consumed: where
// a restarted reader resumes.
func (s *Stream) Offset() int64 { return s.offset }

// Resume positions a fresh stream at a saved line and offset.
func (s *Stream) Resume(line int, offset int64) { s.line, s.offset = line, offset }

// Feed consumes a chunk. It returns the handler's error, if any.
func (s *Stream) Feed(chunk []byte) error {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			s.appendPartial(chunk)
			return nil
		}
		part := chunk[:i]
		chunk = chunk[i+1:]
		var line []byte
		if len(s.pending) > 0 || s.tooLong {
			s.appendPartial(part)
			line = s.pending
		} else {
			line = part
			s.partial = int64(len(part))
		}
		s.line++
		s.offset += s.partial + 1
		s.partial = 0
		if s.tooLong {
			s.lineTooLong()
			continue
		}
		err := s.handleLine(line, s.line)
		s.pending = s.pending[:0]
		if err != nil {
			return err
		}
	}
	return nil
}

// Pending reports whether a partial line is buffered.
func (s *Stream) Pending() bool { return len(s.pending) > 0 || s.tooLong }

// Close ends the input: a last line without a newline is a line, and an
// unfinished multi-line document is an error.
func (s *Stream) Close() error {
	if s.Pending() {
		s.line++
		s.offset += s.partial
		s.partial = 0
		if s.tooLong {
			s.lineTooLong()
		} else {
			err := s.handleLine(s.pending, s.line)
			s.pending = s.pending[:0]
			if err != nil {
				return err
			}
		}
	}
	if s.docMode && s.doc.started {
		if s.doc.over {
			s.malformed(s.doc.startLine, ErrTooLong)
		} else {
			s.malformed(s.doc.startLine, errors.New("document not terminated at end of input"))
		}
		s.doc = docState{}
	}
	return nil
}

func (s *Stream) appendPartial(b []byte) {
	s.partial += int64(len(b))
	if s.tooLong {
		return
	}
	if len(s.pending)+len(b) > s.max {
		s.tooLong, s.tooStart = true, s.line+1
		s.pending = s.pending[:0]
		return
	}
	s.pending = append(s.pending, b...)
}

// lineTooLong reports an oversized line; a multi-line document it was part
// of is lost with it.
func (s *Stream) lineTooLong() {
	s.pending, s.tooLong = s.pending[:0], false
	s.malformed(s.tooStart, ErrTooLong)
	s.seenDoc = true
	if s.docMode {
		s.doc = docState{buf: s.doc.buf[:0], inArray: s.doc.inArray}
	}
}

func (s *Stream) malformed(line int, err error) {
	s.h.Malformed(&ReadError{Pos: Pos{Name: s.name, Line: line, Offset: s.offset}, Err: err})
}

func (s *Stream) handleLine(line []byte, n int) error {
	if s.docMode {
		return s.docLine(line, n)
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] == '[' {
		// A JSON array of documents (gcloud logging read --format=json):
		// its elements are read one by one, as documents of their own.
		s.docMode = true
		return s.docLine(line, n)
	}
	evs, err := s.dec.Decode(line)
	if err != nil {
		if !s.seenDoc && IsTruncated(err) {
			// The first document spans lines: pretty-printed JSON.
			s.docMode = true
			return s.docLine(line, n)
		}
		s.seenDoc = true
		s.malformed(n, err)
		return nil
	}
	s.seenDoc = true
	return s.h.Events(evs, Pos{Name: s.name, Line: n, Offset: s.offset})
}

// docState finds where a multi-line document ends without parsing it: it
// tracks strings and bracket depth only; the decoder validates the rest.
type docState struct {
	buf       []byte
	inArray   bool // between the [ and ] of an array of documents
	started   bool
	over      bool // exceeded the size limit; bytes are discarded
	startLine int
	depth     int
	inStr     bool
	esc       bool
}

func (s *Stream) docLine(line []byte, n int) error {
	d := &s.doc
	rest := line
	for len(rest) > 0 {
		if !d.started {
			rest = bytes.TrimLeft(rest, " \t\r")
			if d.inArray {
				rest = bytes.TrimLeft(rest, ", \t\r")
				if len(rest) > 0 && rest[0] == ']' {
					d.inArray = false
					rest = rest[1:]
					continue
				}
			} else if len(rest) > 0 && rest[0] == '[' {
				d.inArray = true
				rest = rest[1:]
				continue
			}
			if len(rest) == 0 {
				break
			}
			if rest[0] != '{' && rest[0] != '[' {
				s.malformed(n, errors.New("expected the start of a JSON object"))
				return nil // resynchronise at the next line
			}
			d.started, d.startLine = true, n
		}
		end := d.scan(rest)
		chunk := rest
		if end >= 0 {
			chunk = rest[:end]
		}
		if !d.over {
			if len(d.buf)+len(chunk) > s.max {
				d.over, d.buf = true, d.buf[:0]
			} else {
				d.buf = append(d.buf, chunk...)
			}
		}
		if end < 0 {
			if !d.over {
				d.buf = append(d.buf, '\n')
			}
			return nil
		}
		rest = rest[end:]
		inArray := d.inArray
		if d.over {
			s.malformed(d.startLine, ErrTooLong)
		} else if evs, err := s.dec.Decode(d.buf); err != nil {
			s.malformed(d.startLine, err)
		} else if err := s.h.Events(evs, Pos{Name: s.name, Line: d.startLine, Offset: s.offset}); err != nil {
			*d = docState{buf: d.buf[:0], inArray: inArray}
			return err
		}
		*d = docState{buf: d.buf[:0], inArray: inArray}
	}
	return nil
}

// scan advances the state over b and returns the index just past the end
// of the top-level value, or -1 if it continues past b.
func (d *docState) scan(b []byte) int {
	for i, c := range b {
		switch {
		case d.inStr:
			switch {
			case d.esc:
				d.esc = false
			case c == '\\':
				d.esc = true
			case c == '"':
				d.inStr = false
			}
		case c == '"':
			d.inStr = true
		case c == '{' || c == '[':
			d.depth++
		case c == '}' || c == ']':
			d.depth--
			if d.depth <= 0 {
				return i + 1
			}
		}
	}
	return -1
}
