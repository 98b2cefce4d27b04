// Package admission is kubeward's validating admission webhook: it decodes
// AdmissionReview requests, runs the same object and pod checks and
// suppressions as `kubeward scan` on the object under review, and answers
// with a decision shaped by the namespace's modes (enforce, warn, audit),
// in the manner of Pod Security Admission.
//
// The package is a thin adapter on the check runner: it never evaluates a
// rule itself. Cross-object checks (RBAC, NetworkPolicy, LimitRange-aware
// resource checks) need the whole inventory and do not run at admission.
package admission

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	jsoniter "github.com/json-iterator/go"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	sigsjson "sigs.k8s.io/json"
)

// Limits bound what a review may hold. The API server refuses request
// bodies over 3 MiB, so a larger object comes from something else.
const (
	// MaxObjectBytes bounds each of object and oldObject.
	MaxObjectBytes = 3 << 20
	// MaxBodyBytes bounds the whole review: two objects and the request's
	// other fields.
	MaxBodyBytes = 2*MaxObjectBytes + 256<<10
	// MaxObjectNodes bounds the JSON objects and arrays in each of object
	// and oldObject. Decoded, each costs far more than its bytes (three
	// bytes, `{},`, make a container of 600), and every check visits it:
	// before this limit a 3 MiB Pod of empty containers took a minute of
	// CPU and 7 GiB of heap. Real objects have hundreds; a Pod with twenty
	// containers of fifty variables each has about 2,000.
	MaxObjectNodes = 10000
)

// fastJSON decodes reviews and typed objects, case-sensitively as the API
// server does, in one pass (encoding/json and sigs.k8s.io/json validate the
// whole input before decoding it, which doubled the webhook's JSON cost).
// The API server sends objects it encoded itself, so the decoders cannot
// disagree on what an object says; FuzzDecodersAgree checks that they
// decode every valid input alike.
var fastJSON = jsoniter.Config{CaseSensitive: true}.Froze()

// onePassJSON is fastJSON for the one-pass decoder, which falls back to
// fastJSON on any error: arrays are decoded into slices of their exact
// length (exactSlices). plainOnePassJSON also matches field names in the
// input's bytes instead of copying each into a string first, a third of
// the strings a typed object's decode allocates; it reads a field name up
// to the first quote, unescaped and unchecked, so it serves only a body
// without backslash or control byte (scanJSON), where that is what
// fastJSON reads too.
var onePassJSON, plainOnePassJSON = withExactSlices(jsoniter.Config{CaseSensitive: true}.Froze()),
	withExactSlices(jsoniter.Config{CaseSensitive: true, ObjectFieldMustBeSimpleString: true}.Froze())

// scanJSON reports whether data holds a control byte (one a string may
// not hold raw; whitespace between tokens is one too) and a backslash (an
// escape sequence). The API server writes compact JSON, so its reviews
// hold neither unless a value needs an escape. Eight bytes at a time:
// this runs on every body.
func scanJSON(data []byte) (control, backslash bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; len(data) >= 8; data = data[8:] {
		x := binary.LittleEndian.Uint64(data)
		bs := x ^ (ones * '\\') // a zero byte where data has a backslash
		// A byte under 0x20 in x, or a zero byte in bs, sets its high bit
		// (the classic "has less than" and "has zero" word tests).
		control = control || (x-ones*0x20)&^x&highs != 0
		backslash = backslash || (bs-ones)&^bs&highs != 0
		if control && backslash {
			return
		}
	}
	for _, c := range data {
		control = control || c < 0x20
		backslash = backslash || c == '\\'
	}
	return control, backslash
}

// reviewGV is the only AdmissionReview version the webhook speaks; the
// generated configuration asks the API server for it alone.
var reviewGV = admissionv1.SchemeGroupVersion

// RequestError is a review the webhook cannot answer: the HTTP status to
// send and what was wrong, for the caller.
type RequestError struct {
	Code int
	Msg  string
}

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, args ...any) error {
	return &RequestError{Code: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// DecodeReview reads an admission.k8s.io/v1 AdmissionReview. Field names
// are case-sensitive, as the API server reads them. The object and
// oldObject stay raw; DecodeObject types them.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	if len(body) > MaxBodyBytes {
		return nil, &RequestError{Code: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("the review is %d bytes, over the %s limit", len(body), size(MaxBodyBytes))}
	}
	var r admissionv1.AdmissionReview
	if err := fastJSON.Unmarshal(body, &r); err != nil {
		return nil, badRequest("the body is not an AdmissionReview in JSON: %v", decodeErr(err))
	}
	if gvk := r.GroupVersionKind(); gvk != reviewGV.WithKind("AdmissionReview") {
		return nil, badRequest("want apiVersion %s and kind AdmissionReview, got %q and %q (set admissionReviewVersions: [v1] in the webhook configuration)",
			reviewGV, r.APIVersion, r.Kind)
	}
	if r.Request == nil {
		return nil, badRequest("the AdmissionReview has no request")
	}
	if r.Request.UID == "" {
		return nil, badRequest("the AdmissionReview request has no uid")
	}
	return &r, nil
}

// decodedReview is a review whose objects were typed while it was read,
// when that could be done in one pass (see decodeReview); object and
// oldObject are nil otherwise, and the request's raw objects are decoded
// afterwards as DecodeObject does.
type decodedReview struct {
	*admissionv1.AdmissionReview
	object, oldObject runtime.Object
}

// decodeReview reads a review as DecodeReview does and, in the same pass,
// types the request's object and oldObject. The API server writes the
// request's kind before its objects, so the Go type is known when they
// come: parsing them once, straight into that type, saves skipping them,
// copying their bytes twice (the capture and RawExtension) and parsing
// them again, a fifth of the handler's work. Anything unusual (objects
// before the kind, a kind without a Go type, a review over the node
// limit, any error) is read again the general way, so the answer is
// exactly DecodeReview's and DecodeObject's. nodes is jsonNodes of body.
func decodeReview(body []byte, nodes int) (*decodedReview, error) {
	// Under both limits of an object, the review's objects are too.
	if nodes <= MaxObjectNodes && len(body) <= MaxObjectBytes {
		if d, ok := decodeReviewOnePass(body); ok {
			return d, nil
		}
	}
	r, err := DecodeReview(body)
	if err != nil {
		return nil, err
	}
	return &decodedReview{AdmissionReview: r}, nil
}

func decodeReviewOnePass(body []byte) (*decodedReview, bool) {
	// A control byte, which no string may hold raw, is refused by some of
	// json-iterator's readers and not others (a typed object's field names
	// are not checked, a RawExtension's are): such a body is read the
	// general way, as DecodeReview and DecodeObject read it.
	control, backslash := scanJSON(body)
	if control {
		return nil, false
	}
	cfg := plainOnePassJSON
	if backslash {
		cfg = onePassJSON
	}
	it := cfg.BorrowIterator(body)
	defer cfg.ReturnIterator(it)
	d := &decodedReview{AdmissionReview: &admissionv1.AdmissionReview{}}
	r := d.AdmissionReview
	ok := true
	it.ReadObjectCB(func(it *jsoniter.Iterator, field string) bool {
		switch field {
		case "apiVersion":
			r.APIVersion = it.ReadString()
		case "kind":
			r.Kind = it.ReadString()
		case "request":
			if it.WhatIsNext() != jsoniter.ObjectValue || r.Request != nil {
				ok = false
				return false
			}
			r.Request = &admissionv1.AdmissionRequest{}
			ok = d.readRequest(it)
		default:
			// A response, or anything else: the general way.
			ok = false
		}
		return ok
	})
	if !ok || it.Error != nil {
		return nil, false
	}
	// Nothing but whitespace may follow the review, as Unmarshal
	// requires: the end of the input is the iterator's io.EOF.
	if it.WhatIsNext(); it.Error != io.EOF {
		return nil, false
	}
	if r.GroupVersionKind() != reviewGV.WithKind("AdmissionReview") || r.Request == nil || r.Request.UID == "" {
		return nil, false // DecodeReview says what is wrong
	}
	return d, true
}

// requestFields are the fields of AdmissionRequest.
var requestFields = [...]string{"uid", "kind", "resource", "subResource", "requestKind", "requestResource", "requestSubResource",
	"name", "namespace", "operation", "userInfo", "object", "oldObject", "dryRun", "options"}

func (d *decodedReview) readRequest(it *jsoniter.Iterator) bool {
	req := d.Request
	ok := true
	var seen [len(requestFields)]bool
	it.ReadObjectCB(func(it *jsoniter.Iterator, field string) bool {
		if i := slices.Index(requestFields[:], field); i >= 0 {
			if seen[i] {
				ok = false // a repeated field: the general way
				return false
			}
			seen[i] = true
		}
		switch field {
		case "uid":
			it.ReadVal(&req.UID)
		case "kind":
			it.ReadVal(&req.Kind)
		case "resource":
			it.ReadVal(&req.Resource)
		case "subResource":
			it.ReadVal(&req.SubResource)
		case "requestKind":
			it.ReadVal(&req.RequestKind)
		case "requestResource":
			it.ReadVal(&req.RequestResource)
		case "requestSubResource":
			it.ReadVal(&req.RequestSubResource)
		case "name":
			it.ReadVal(&req.Name)
		case "namespace":
			it.ReadVal(&req.Namespace)
		case "operation":
			it.ReadVal(&req.Operation)
		case "userInfo":
			it.ReadVal(&req.UserInfo)
		case "dryRun":
			it.ReadVal(&req.DryRun)
		case "options":
			it.ReadVal(&req.Options)
		case "object", "oldObject":
			if it.ReadNil() {
				return true // absent, as RawExtension reads null
			}
			obj, typed := d.readObject(it)
			if !typed {
				ok = false
				return false
			}
			if field == "object" {
				d.object = obj
			} else {
				d.oldObject = obj
			}
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	return ok
}

// readObject types an object of the request's kind as it is read; false
// when the kind is not known yet, has no Go type, or the value is not an
// object.
func (d *decodedReview) readObject(it *jsoniter.Iterator) (runtime.Object, bool) {
	k := d.Request.Kind
	if k.Kind == "" || k.Version == "" || it.WhatIsNext() != jsoniter.ObjectValue {
		return nil, false
	}
	want := schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind}
	obj, err := scheme.Scheme.New(want)
	if err != nil {
		return nil, false
	}
	it.ReadVal(obj)
	if it.Error != nil || obj.GetObjectKind().GroupVersionKind() != want {
		return nil, false
	}
	return obj, true
}

// DecodeUnstructured reads an object of a kind without a Go type, for
// custom checks on custom resources.
func DecodeUnstructured(raw runtime.RawExtension, want schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	if len(raw.Raw) > MaxObjectBytes {
		return nil, &RequestError{Code: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("the object is %d bytes, over the %s limit", len(raw.Raw), size(MaxObjectBytes))}
	}
	if err := checkNodes(raw.Raw); err != nil {
		return nil, err
	}
	var m map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(raw.Raw, &m); err != nil || m == nil {
		return nil, badRequest("the object is not a JSON object")
	}
	u := &unstructured.Unstructured{Object: m}
	if u.GroupVersionKind() != want {
		return nil, badRequest("the object is a %q %q, but the request says %s", u.GetAPIVersion(), u.GetKind(), gvkString(want))
	}
	return u, nil
}

// ErrNoObject is returned by DecodeObject for an absent object.
var ErrNoObject = errors.New("no object")

// DecodeObject types a review's object with the client-go scheme. want is
// the request's kind; the object must say it is of that kind. A kind the
// scheme does not know yields (nil, nil): no built-in check reads it.
func DecodeObject(raw runtime.RawExtension, want schema.GroupVersionKind) (runtime.Object, error) {
	data := raw.Raw
	if len(data) == 0 || string(data) == "null" {
		return nil, ErrNoObject
	}
	if len(data) > MaxObjectBytes {
		return nil, &RequestError{Code: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("the object is %d bytes, over the %s limit", len(data), size(MaxObjectBytes))}
	}
	obj, err := scheme.Scheme.New(want)
	if err != nil {
		return nil, nil // not a built-in type: nothing here reads it
	}
	if err := checkNodes(data); err != nil {
		return nil, err
	}
	if err := fastJSON.Unmarshal(data, obj); err != nil {
		return nil, badRequest("the object does not decode as a %s: %v", gvkString(want), decodeErr(err))
	}
	if gvk := obj.GetObjectKind().GroupVersionKind(); gvk != want {
		return nil, badRequest("the object is a %q %q, but the request says %s", gvk.GroupVersion().String(), gvk.Kind, gvkString(want))
	}
	return obj, nil
}

func checkNodes(data []byte) error {
	if n := jsonNodes(data, MaxObjectNodes); n > MaxObjectNodes {
		return &RequestError{Code: http.StatusRequestEntityTooLarge,
			Msg: fmt.Sprintf("the object has over %d JSON objects and arrays; real objects have hundreds", MaxObjectNodes)}
	}
	return nil
}

// jsonNodes counts the objects and arrays of a JSON text, the brackets in
// strings left out, once a quick count of every bracket passes limit
// (under it, the quick count, which can only be higher, is returned).
func jsonNodes(data []byte, limit int) int {
	quick := bytes.Count(data, []byte{'{'}) + bytes.Count(data, []byte{'['})
	if quick <= limit {
		return quick
	}
	n, inStr, esc := 0, false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case inStr:
			switch c {
			case '\\':
				esc = true
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			n++
		}
	}
	return n
}

// decodeErr keeps what a decoder says is wrong and where, not the input:
// json-iterator quotes the bytes near the error and names the byte it found,
// and passes on the error of a type's own decoder, which may quote the whole
// value (a time, a number); any of it may be a value of the object (an
// environment variable, a Secret's data), and the message goes to the log
// and back to the sender.
func decodeErr(err error) string {
	msg := err.Error()
	for _, cut := range []struct{ at, with string }{
		{"unmarshalerDecoder: ", "not a valid value"},
		{", but found ", ""},
		{", error found in #", ""},
	} {
		if i := strings.Index(msg, cut.at); i >= 0 {
			msg = msg[:i] + cut.with
		}
	}
	return shorten(msg, 200)
}

func gvkString(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + " " + gvk.Kind
}

func size(n int) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// shorten cuts s to at most n bytes on a rune boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && (s[i]&0xC0) == 0x80 {
		i--
	}
	return s[:i] + "…"
}
