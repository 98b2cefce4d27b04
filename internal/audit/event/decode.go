package event

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults for Limits.
const (
	DefaultMaxDepth    = 128
	DefaultMaxDocBytes = 16 << 20
)

// Limits bound what decoding one document may cost. Zero fields take the
// defaults.
type Limits struct {
	// MaxDepth is the deepest nesting of objects and arrays accepted
	// anywhere, bodies included.
	MaxDepth int
	// MaxDocBytes is the largest document (one JSON line, one EventList,
	// one webhook request body) a reader accepts.
	MaxDocBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDocBytes <= 0 {
		l.MaxDocBytes = DefaultMaxDocBytes
	}
	return l
}

// Decoder decodes audit.k8s.io Event and EventList documents. It reuses its
// memory between calls and is not safe for concurrent use.
type Decoder struct {
	limits Limits
	// KeepSensitiveBodies keeps the bodies of Secrets and token requests
	// (Event.SensitiveBody), which are dropped by default so they can never
	// reach an alert, a log or a saved state.
	KeepSensitiveBodies bool

	s      scanner
	top    Event
	items  []Event
	intern interner
	result []*Event
}

// NewDecoder returns a decoder with the given limits.
func NewDecoder(l Limits) *Decoder {
	return &Decoder{limits: l.withDefaults(), intern: interner{m: make(map[string]string, 256)}}
}

// Limits returns the decoder's effective limits.
func (d *Decoder) Limits() Limits { return d.limits }

// Decode decodes one document, an Event or an EventList, and returns its
// events. The events and their raw bodies are valid until the next call;
// Clone what must outlive it. On error no events are returned: a document is
// taken whole or not at all.
//
// A document is an audit event only if it says so: kind Event or EventList
// (with apiVersion audit.k8s.io/..., when it has one), or, without a kind,
// an auditID (of every item, for a list). Any other JSON object (a Pod, a
// kubectl list, an application's log line) is an error, never an event with
// empty fields. A Cloud Logging entry of GKE's Kubernetes audit logs
// (protoPayload of type google.cloud.audit.AuditLog) is read as the event it
// records (see gke.go).
func (d *Decoder) Decode(data []byte) ([]*Event, error) {
	if len(data) > d.limits.MaxDocBytes {
		return nil, fmt.Errorf("document of %d bytes exceeds the limit of %d", len(data), d.limits.MaxDocBytes)
	}
	d.s.reset(data, d.limits.MaxDepth)
	d.top.Reset()
	var kind, apiVersion string
	n, hasItems, logEntry := 0, false, false
	s := &d.s
	if err := s.beginObject(); err != nil {
		return nil, err
	}
	first := true
	for {
		key, ok, err := s.nextKey(&first)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "kind":
			err = d.str(&kind, true)
		case "apiVersion":
			err = d.str(&apiVersion, true)
		case "items":
			hasItems = true
			n, err = d.decodeItems()
		case "protoPayload":
			logEntry = true
			err = s.skip()
		default:
			err = d.field(&d.top, key)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	if logEntry && kind == "" && apiVersion == "" {
		return d.decodeLogEntry(data)
	}
	if apiVersion != "" && !strings.HasPrefix(apiVersion, "audit.k8s.io/") {
		return nil, fmt.Errorf("apiVersion %q is not audit.k8s.io", apiVersion)
	}
	d.result = d.result[:0]
	switch {
	case kind == "EventList" || (kind == "" && hasItems && n > 0):
		for i := range n {
			if kind == "" && d.items[i].AuditID == "" {
				return nil, errNotEvent
			}
			d.result = append(d.result, d.finish(&d.items[i]))
		}
	case kind == "Event" || kind == "" && d.top.AuditID != "":
		d.result = append(d.result, d.finish(&d.top))
	case kind == "":
		return nil, errNotEvent
	default:
		return nil, fmt.Errorf("kind %q is not Event or EventList", kind)
	}
	return d.result, nil
}

// errNotEvent is the error of a JSON object that does not say it is an
// audit event.
var errNotEvent = errors.New("not an audit event: no kind Event or EventList and no auditID")

func (d *Decoder) finish(e *Event) *Event {
	if !d.KeepSensitiveBodies && e.SensitiveBody() {
		e.RequestObject, e.ResponseObject = nil, nil
	}
	return e
}

func (d *Decoder) decodeItems() (int, error) {
	s := &d.s
	if null, err := s.null(); null || err != nil {
		return 0, err
	}
	if err := s.beginArray(); err != nil {
		return 0, err
	}
	n := 0
	first := true
	for {
		ok, err := s.nextElem(&first)
		if err != nil || !ok {
			return n, err
		}
		if n == len(d.items) {
			d.items = append(d.items, Event{})
		}
		e := &d.items[n]
		e.Reset()
		n++
		if null, err := s.null(); err != nil {
			return n, err
		} else if null {
			continue
		}
		if err := d.event(e); err != nil {
			return n, err
		}
	}
}

// event decodes one Event object into e.
func (d *Decoder) event(e *Event) error {
	return d.fields(func(key []byte) error { return d.field(e, key) })
}

// fields decodes an object, calling f with each key; f must consume the
// value.
func (d *Decoder) fields(f func(key []byte) error) error {
	s := &d.s
	if err := s.beginObject(); err != nil {
		return err
	}
	first := true
	for {
		key, ok, err := s.nextKey(&first)
		if err != nil || !ok {
			return err
		}
		if err := f(key); err != nil {
			return err
		}
	}
}

// field decodes the value of one Event field.
func (d *Decoder) field(e *Event, key []byte) error {
	switch string(key) {
	case "level":
		return d.str(&e.Level, true)
	case "auditID":
		return d.str(&e.AuditID, false)
	case "stage":
		return d.str(&e.Stage, true)
	case "requestURI":
		return d.str(&e.RequestURI, false)
	case "verb":
		return d.str(&e.Verb, true)
	case "user":
		return d.user(&e.User)
	case "impersonatedUser":
		if null, err := d.s.null(); null || err != nil {
			e.ImpersonatedUser = nil
			return err
		}
		if e.ImpersonatedUser == nil {
			e.ImpersonatedUser = &UserInfo{}
		}
		return d.user(e.ImpersonatedUser)
	case "sourceIPs":
		return d.strs(&e.SourceIPs)
	case "userAgent":
		return d.str(&e.UserAgent, true)
	case "objectRef":
		return d.objectRef(&e.ObjectRef)
	case "responseStatus":
		return d.status(&e.ResponseStatus)
	case "requestObject":
		return d.body(&e.RequestObject)
	case "responseObject":
		return d.body(&e.ResponseObject)
	case "requestReceivedTimestamp":
		return d.time(&e.RequestReceivedTimestamp)
	case "stageTimestamp":
		return d.time(&e.StageTimestamp)
	case "annotations":
		return d.stringMap(&e.Annotations)
	default:
		return d.s.skip()
	}
}

// str decodes a string into dst; null leaves dst alone, as encoding/json does.
func (d *Decoder) str(dst *string, intern bool) error {
	s := &d.s
	if null, err := s.null(); null || err != nil {
		return err
	}
	b, err := s.str()
	if err != nil {
		return err
	}
	if intern {
		*dst = d.intern.get(b)
	} else {
		*dst = string(b)
	}
	return nil
}

// strs decodes an array of strings, reusing dst's storage; null sets nil.
func (d *Decoder) strs(dst *[]string) error {
	s := &d.s
	if null, err := s.null(); null || err != nil {
		*dst = nil
		return err
	}
	if err := s.beginArray(); err != nil {
		return err
	}
	out := (*dst)[:0]
	first := true
	for {
		ok, err := s.nextElem(&first)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		var v string
		if err := d.str(&v, true); err != nil {
			return err
		}
		out = append(out, v)
	}
	if out == nil {
		out = []string{}
	}
	*dst = out
	return nil
}

func (d *Decoder) user(u *UserInfo) error {
	if null, err := d.s.null(); null || err != nil {
		return err
	}
	return d.fields(func(key []byte) error {
		switch string(key) {
		case "username":
			return d.str(&u.Username, true)
		case "uid":
			return d.str(&u.UID, true)
		case "groups":
			return d.strs(&u.Groups)
		case "extra":
			return d.extra(&u.Extra)
		}
		return d.s.skip()
	})
}

func (d *Decoder) extra(dst *map[string][]string) error {
	if null, err := d.s.null(); null || err != nil {
		*dst = nil
		return err
	}
	if d.s.peek() == '{' && *dst == nil {
		*dst = map[string][]string{}
	}
	return d.fields(func(key []byte) error {
		k := d.intern.get(key)
		var v []string
		err := d.strs(&v)
		(*dst)[k] = v
		return err
	})
}

func (d *Decoder) stringMap(dst *map[string]string) error {
	if null, err := d.s.null(); null || err != nil {
		*dst = nil
		return err
	}
	if d.s.peek() == '{' && *dst == nil {
		*dst = map[string]string{}
	}
	return d.fields(func(key []byte) error {
		k := d.intern.get(key)
		var v string
		err := d.str(&v, false)
		(*dst)[k] = v
		return err
	})
}

func (d *Decoder) objectRef(dst **ObjectRef) error {
	if null, err := d.s.null(); null || err != nil {
		*dst = nil
		return err
	}
	if d.s.peek() == '{' && *dst == nil {
		*dst = &ObjectRef{}
	}
	o := *dst
	return d.fields(func(key []byte) error {
		switch string(key) {
		case "resource":
			return d.str(&o.Resource, true)
		case "namespace":
			return d.str(&o.Namespace, true)
		case "name":
			return d.str(&o.Name, true)
		case "uid":
			return d.str(&o.UID, false)
		case "apiGroup":
			return d.str(&o.APIGroup, true)
		case "apiVersion":
			return d.str(&o.APIVersion, true)
		case "resourceVersion":
			return d.str(&o.ResourceVersion, false)
		case "subresource":
			return d.str(&o.Subresource, true)
		}
		return d.s.skip()
	})
}

func (d *Decoder) status(dst **Status) error {
	if null, err := d.s.null(); null || err != nil {
		*dst = nil
		return err
	}
	if d.s.peek() == '{' && *dst == nil {
		*dst = &Status{}
	}
	st := *dst
	return d.fields(func(key []byte) error {
		switch string(key) {
		case "code":
			if null, err := d.s.null(); null || err != nil {
				return err
			}
			var err error
			st.Code, err = d.s.int32()
			return err
		case "status":
			return d.str(&st.Status, true)
		case "reason":
			return d.str(&st.Reason, true)
		case "message":
			return d.str(&st.Message, false)
		}
		return d.s.skip()
	})
}

// body keeps the raw JSON of a request or response object; null sets nil.
func (d *Decoder) body(dst *[]byte) error {
	s := &d.s
	if null, err := s.null(); null || err != nil {
		*dst = nil
		return err
	}
	raw, err := s.raw()
	if err != nil {
		return err
	}
	*dst = raw
	return nil
}

func (d *Decoder) time(dst *time.Time) error {
	s := &d.s
	if null, err := s.null(); null || err != nil {
		return err
	}
	at := s.pos
	b, err := s.str()
	if err != nil {
		return err
	}
	t, err := parseTime(b)
	if err != nil {
		s.pos = at
		return s.fail("timestamp is not RFC 3339")
	}
	*dst = t
	return nil
}

// parseTime parses RFC 3339 timestamps; the API server writes UTC with
// microseconds ("2024-05-01T10:00:00.123456Z"), which has a fast path.
func parseTime(b []byte) (time.Time, error) {
	if len(b) == 27 && b[26] == 'Z' && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == '.' {
		var f [7]int
		idx := [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 26}}
		ok := true
		for i, r := range idx {
			v := 0
			for _, c := range b[r[0]:r[1]] {
				if c < '0' || c > '9' {
					ok = false
				}
				v = v*10 + int(c-'0')
			}
			f[i] = v
		}
		if ok && f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= daysIn(f[0], f[1]) && f[3] < 24 && f[4] < 60 && f[5] < 60 {
			return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], f[6]*1000, time.UTC), nil
		}
	}
	return time.Parse(time.RFC3339Nano, string(b))
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// interner shares the strings that repeat across events (user names,
// verbs, resources, namespaces, groups), so a stream of millions of events
// allocates them once. It is bounded: when full it starts over.
type interner struct {
	m     map[string]string
	bytes int // held by m, for Footprint
}

const (
	internMaxEntries = 8192
	internMaxLen     = 256
)

func (in *interner) get(b []byte) string {
	if len(b) > internMaxLen {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if len(in.m) >= internMaxEntries {
		clear(in.m)
		in.bytes = 0
	}
	s := string(b)
	in.m[s] = s
	in.bytes += len(s) + internEntrySize
	return s
}
