package admission

import (
	"encoding"
	"encoding/json"
	"reflect"
	"sync"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"github.com/modern-go/reflect2"
)

// exactSlices is a json-iterator extension that decodes a JSON array into
// a slice of exactly its length. json-iterator's own slice decoder grows
// the slice element by element (1, 2, 4, 8...), so twelve environment
// variables cost five arrays and most of a typed Pod's copying; here the
// elements are decoded into a pooled scratch slice and copied once into a
// new one of the right size.
//
// It takes over only what it decodes alike: an array into a nil slice.
// null, and an array into a slice that holds something already (a field
// given twice, whose elements json-iterator decodes into the old ones),
// are left to json-iterator. Its errors may differ in wording, so it
// serves the one-pass decoder only, which falls back to fastJSON on any
// error.
type exactSlices struct{ jsoniter.DummyExtension }

func withExactSlices(api jsoniter.API) jsoniter.API {
	api.RegisterExtension(&exactSlices{})
	return api
}

var (
	jsonUnmarshaler = reflect2.TypeOfPtr((*json.Unmarshaler)(nil)).Elem()
	textUnmarshaler = reflect2.TypeOfPtr((*encoding.TextUnmarshaler)(nil)).Elem()
)

// DecorateDecoder takes over the slices json-iterator decodes with its own
// slice decoder: not byte slices (base64), nor types that decode
// themselves. It goes by the type, not by dec: a type met again while its
// decoder is built gets a placeholder that stands for the same decoder.
func (*exactSlices) DecorateDecoder(typ reflect2.Type, dec jsoniter.ValDecoder) jsoniter.ValDecoder {
	st, ok := typ.(*reflect2.UnsafeSliceType)
	if !ok || st.Elem().Kind() == reflect.Uint8 {
		return dec
	}
	if pt := reflect2.PtrTo(typ); pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) {
		return dec
	}
	return &exactSliceDecoder{typ: st, elem: st.Elem(), orig: dec}
}

// maxScratchBytes bounds a scratch slice kept for the next array.
const maxScratchBytes = 64 << 10

type exactSliceDecoder struct {
	typ  *reflect2.UnsafeSliceType
	elem reflect2.Type
	orig jsoniter.ValDecoder
	// elemDec is the element's decoder, found on first use: at decoration
	// time a recursive type's decoder is not built yet.
	elemOnce sync.Once
	elemDec  jsoniter.ValDecoder
	zero     unsafe.Pointer // a zero element
	scratch  sync.Pool      // of unsafe.Pointer to a slice header of typ, every element zero
}

func (d *exactSliceDecoder) Decode(ptr unsafe.Pointer, it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ArrayValue || d.typ.UnsafeCap(ptr) > 0 || !d.typ.UnsafeIsNil(ptr) {
		d.orig.Decode(ptr, it)
		return
	}
	d.elemOnce.Do(func() {
		d.elemDec = it.Pool().(jsoniter.API).DecoderOf(reflect2.PtrTo(d.elem))
		d.zero = d.elem.UnsafeNew()
	})
	s, _ := d.scratch.Get().(unsafe.Pointer)
	if s == nil {
		s = d.typ.UnsafeMakeSlice(0, 8)
	}
	n := 0
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		d.typ.UnsafeGrow(s, n+1)
		d.elemDec.Decode(d.typ.UnsafeGetIndex(s, n), it)
		n++
		return it.Error == nil
	})
	out := d.typ.UnsafeMakeSlice(n, n)
	for i := range n {
		d.typ.UnsafeSetIndex(out, i, d.typ.UnsafeGetIndex(s, i))
		d.typ.UnsafeSetIndex(s, i, d.zero) // the scratch keeps no pointer
	}
	d.typ.UnsafeSet(ptr, out)
	if uintptr(d.typ.UnsafeCap(s))*d.elem.Type1().Size() <= maxScratchBytes {
		d.typ.UnsafeGrow(s, 0)
		d.scratch.Put(s)
	}
}
