package event

import "unsafe"

// Sizes of what a decoded event allocates besides its strings.
const (
	eventSize     = int(unsafe.Sizeof(Event{}))
	objectRefSize = int(unsafe.Sizeof(ObjectRef{}))
	statusSize    = int(unsafe.Sizeof(Status{}))
	userInfoSize  = int(unsafe.Sizeof(UserInfo{}))
	stringSize    = int(unsafe.Sizeof(""))
	// internEntrySize is an interned string's map entry, beyond its bytes.
	internEntrySize = 48
)

// Footprint is the heap the events of the last Decode hold beyond the
// input they alias (their bodies), with the decoder's own storage: the
// events, their strings (interned ones counted in each event that uses
// them, an overestimate), lists, maps and the interner. A server that
// queues decoded batches accounts for it, since small events cost several
// times their bytes (an empty `{}` item, three bytes, is a 400-byte Event).
func (d *Decoder) Footprint() int64 {
	n := cap(d.items)*eventSize + eventSize + cap(d.result)*int(unsafe.Sizeof((*Event)(nil))) + d.intern.bytes
	for _, e := range d.result {
		n += e.footprint()
	}
	// Allocations round up to size classes.
	return int64(n + n/8)
}

// footprint is what e allocates besides the Event itself.
func (e *Event) footprint() int {
	n := len(e.Level) + len(e.AuditID) + len(e.Stage) + len(e.RequestURI) + len(e.Verb) + len(e.UserAgent) + e.User.footprint()
	if e.ImpersonatedUser != nil {
		n += userInfoSize + e.ImpersonatedUser.footprint()
	}
	n += strsFootprint(e.SourceIPs)
	if r := e.ObjectRef; r != nil {
		n += objectRefSize + len(r.Resource) + len(r.Namespace) + len(r.Name) + len(r.UID) + len(r.APIGroup) + len(r.APIVersion) +
			len(r.ResourceVersion) + len(r.Subresource)
	}
	if s := e.ResponseStatus; s != nil {
		n += statusSize + len(s.Status) + len(s.Reason) + len(s.Message)
	}
	if e.Annotations != nil {
		n += mapFootprint(len(e.Annotations), stringSize)
		for k, v := range e.Annotations {
			n += len(k) + len(v)
		}
	}
	return n
}

func (u *UserInfo) footprint() int {
	n := len(u.Username) + len(u.UID) + strsFootprint(u.Groups)
	if u.Extra != nil {
		n += mapFootprint(len(u.Extra), int(unsafe.Sizeof([]string(nil))))
		for k, v := range u.Extra {
			n += len(k) + strsFootprint(v)
		}
	}
	return n
}

// mapFootprint is a map of n string keys and values of valSize bytes: its
// header and slots in groups of eight, filled to at most 7/8.
func mapFootprint(n, valSize int) int {
	slots := 8
	for slots*7/8 < n {
		slots *= 2
	}
	return 48 + slots*(stringSize+valSize+1)
}

func strsFootprint(ss []string) int {
	n := cap(ss) * stringSize
	for _, s := range ss {
		n += len(s)
	}
	return n
}

// Retention limits of Forget: a pooled decoder keeps at most this much
// storage for the next document.
const (
	forgetMaxItems       = 1024
	forgetMaxInternBytes = 256 << 10
)

// Forget drops the decoder's references to the last input and the events
// decoded from it, and storage beyond a modest size, so a decoder kept for
// reuse holds neither a request body nor the memory of its largest batch.
// The events the last Decode returned must no longer be used.
func (d *Decoder) Forget() {
	if cap(d.items) > forgetMaxItems {
		d.items = nil
	} else {
		for i := range d.items {
			d.items[i] = Event{}
		}
	}
	d.top = Event{}
	clear(d.result)
	if cap(d.result) > forgetMaxItems {
		d.result = nil
	}
	d.result = d.result[:0]
	d.s.reset(nil, d.limits.MaxDepth)
	if d.intern.bytes > forgetMaxInternBytes {
		clear(d.intern.m)
		d.intern.bytes = 0
	}
}
