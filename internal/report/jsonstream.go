package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
)

// objectWriter writes an indented JSON object field by field, so that a
// report's large arrays are encoded one element at a time instead of the
// whole document being built in memory, then indented in a second copy.
// Its output is byte for byte what json.MarshalIndent(v, "", "  ") gives
// for the equivalent struct (the golden tests hold it to that).
type objectWriter struct {
	w      io.Writer
	indent string // of the line holding the object's opening brace
	fields int
	err    error
	buf    bytes.Buffer
	// encs holds an encoder per indentation: an encoder reuses its
	// indentation buffer, which is most of the cost of encoding.
	encs map[string]*json.Encoder
}

func newObjectWriter(w io.Writer, indent string) *objectWriter {
	o := &objectWriter{w: w, indent: indent}
	o.write("{")
	return o
}

func (o *objectWriter) write(s string) {
	if o.err == nil {
		_, o.err = io.WriteString(o.w, s)
	}
}

// key starts a field.
func (o *objectWriter) key(k string) {
	if o.fields > 0 {
		o.write(",")
	}
	o.fields++
	o.write("\n" + o.indent + "  " + strconv.Quote(k) + ": ")
}

// value encodes v at the writer's depth.
func (o *objectWriter) value(v any, depth string) {
	if o.err != nil {
		return
	}
	o.buf.Reset()
	enc := o.encs[depth]
	if enc == nil {
		enc = json.NewEncoder(&o.buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent(depth, "  ")
		if o.encs == nil {
			o.encs = map[string]*json.Encoder{}
		}
		o.encs[depth] = enc
	}
	if o.err = enc.Encode(v); o.err != nil {
		return
	}
	b := o.buf.Bytes()
	_, o.err = o.w.Write(b[:len(b)-1]) // Encode ends with a newline
}

// field writes one field.
func (o *objectWriter) field(k string, v any) {
	o.key(k)
	o.value(v, o.indent+"  ")
}

// array writes a field holding n elements, made one at a time by elem.
func (o *objectWriter) array(k string, n int, elem func(i int) any) {
	o.key(k)
	o.arrayValue(n, func(i int) { o.value(elem(i), o.indent+"    ") })
}

// arrayValue writes the brackets and separators of n elements written by
// each; an element starts indented one level below the field.
func (o *objectWriter) arrayValue(n int, each func(i int)) {
	if n == 0 {
		o.write("[]")
		return
	}
	o.write("[")
	for i := range n {
		if i > 0 {
			o.write(",")
		}
		o.write("\n" + o.indent + "    ")
		each(i)
	}
	o.write("\n" + o.indent + "  ]")
}

// object writes a field holding an object, filled by fill.
func (o *objectWriter) object(k string, fill func(*objectWriter)) {
	o.key(k)
	o.nested(o.indent+"  ", fill)
}

func (o *objectWriter) nested(indent string, fill func(*objectWriter)) {
	if o.err != nil {
		return
	}
	c := newObjectWriter(o.w, indent)
	fill(c)
	c.close()
	o.err = c.err
}

// close ends the object.
func (o *objectWriter) close() {
	if o.fields == 0 {
		o.write("}")
		return
	}
	o.write("\n" + o.indent + "}")
}
