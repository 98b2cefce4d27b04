package detect

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/check"
)

// Engine runs the enabled rules over a stream of events. It is not safe for
// concurrent use: one stream, one engine (stateful rules depend on order).
type Engine struct {
	opts    Options
	rules   []active
	started *keySet
	seed    maphash.Seed
	view    View
	stats   Stats
}

type active struct {
	Meta
	eval    Func
	machine Machine
	except  []Exception
}

// Stats count what the engine did.
type Stats struct {
	// Events is every event given to Process; Evaluated those at their
	// decisive stage (the others are earlier or later stages of the same
	// request).
	Events, Evaluated uint64
	// Excepted counts hits silenced by Options.Exceptions, by rule.
	Excepted map[string]uint64
}

// NewEngine validates the options and builds an engine with every rule
// that is neither disabled nor missing the allow-list it needs.
func NewEngine(o Options) (*Engine, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: o, started: newKeySet(o.MaxTracked), seed: maphash.MakeSeed(), stats: Stats{Excepted: map[string]uint64{}}}
	for _, r := range Rules() {
		if err := r.validate(); err != nil {
			return nil, err
		}
		if slices.Contains(o.Disabled, r.ID) || (r.Needs != "" && len(o.needed(r.Needs)) == 0) {
			continue
		}
		a := active{Meta: r.Meta, eval: r.Eval}
		if s, ok := o.Severity[r.ID]; ok {
			a.Severity = s
		}
		if r.New != nil {
			a.machine = r.New(&e.opts)
		}
		for _, x := range o.Exceptions {
			if x.Rule == r.ID {
				a.except = append(a.except, x)
			}
		}
		e.rules = append(e.rules, a)
	}
	return e, nil
}

// Enabled lists the ids of the rules the engine runs.
func (e *Engine) Enabled() []string {
	ids := make([]string, len(e.rules))
	for i := range e.rules {
		ids[i] = e.rules[i].ID
	}
	return ids
}

// Stats returns a copy of the counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Excepted = make(map[string]uint64, len(e.stats.Excepted))
	for k, v := range e.stats.Excepted {
		s.Excepted[k] = v
	}
	return s
}

// Process evaluates one event and appends its alerts to dst. The event is
// only read during the call.
func (e *Engine) Process(ev *event.Event, dst []Alert) []Alert {
	e.stats.Events++
	if !e.decisive(ev) {
		return dst
	}
	e.stats.Evaluated++
	v := &e.view
	v.reset(ev, &e.opts)
	for i := range e.rules {
		r := &e.rules[i]
		var h *Hit
		if r.eval != nil {
			h = r.eval(v)
		} else {
			h = r.machine.Observe(v)
		}
		if h == nil {
			continue
		}
		if r.excepted(ev) {
			e.stats.Excepted[r.ID]++
			continue
		}
		dst = append(dst, newAlert(&r.Meta, h, ev))
	}
	v.reset(nil, nil)
	return dst
}

// decisive picks the one stage of each request that rules judge. Requests
// that stream (exec, attach, port-forward, watch) and failed
// authentications are logged at ResponseStarted, which comes first and
// already has the response code; others at ResponseComplete (or Panic).
// RequestReceived has no outcome yet and is never judged.
//
// The stages of one request are paired by requestKey, not by the audit ID
// alone: clients choose audit IDs (the API server keeps an Audit-ID header
// as sent), and a watch held open with the ID of a later request would
// otherwise hide that request from every rule.
func (e *Engine) decisive(ev *event.Event) bool {
	switch ev.Stage {
	case event.StageResponseStarted:
		if ev.AuditID != "" {
			e.started.add(e.requestKey(ev))
		}
		return true
	case event.StageResponseComplete, event.StagePanic:
		return ev.AuditID == "" || !e.started.remove(e.requestKey(ev))
	}
	return false
}

// requestKey identifies one request across its stages: its audit ID with
// what the API server sets once per request (the receipt time, to the
// microsecond) and what a different request would change (verb and URI).
// It is a hash with a per-engine seed, so the table of started requests
// holds 8 bytes per request however long a client makes its audit ID.
func (e *Engine) requestKey(ev *event.Event) uint64 {
	var h maphash.Hash
	h.SetSeed(e.seed)
	h.WriteString(ev.AuditID)
	h.WriteByte(0)
	h.WriteString(ev.Verb)
	h.WriteByte(0)
	h.WriteString(ev.RequestURI)
	h.WriteByte(0)
	var t [8]byte
	binary.LittleEndian.PutUint64(t[:], uint64(ev.RequestReceivedTimestamp.UnixNano()))
	h.Write(t[:])
	return h.Sum64()
}

func (r *active) excepted(ev *event.Event) bool {
	for i := range r.except {
		x := &r.except[i]
		if len(x.Users) > 0 && !x.Users.Match(ev.User.Username) &&
			(ev.ImpersonatedUser == nil || !x.Users.Match(ev.ImpersonatedUser.Username)) {
			continue
		}
		if len(x.Namespaces) > 0 && !x.Namespaces.Match(ev.Namespace()) {
			continue
		}
		if len(x.Names) > 0 && !x.Names.Match(ev.Name()) {
			continue
		}
		return true
	}
	return false
}

func newAlert(m *Meta, h *Hit, ev *event.Event) Alert {
	a := Alert{
		Time:       ev.Time(),
		Rule:       m.ID,
		Title:      m.Title,
		Severity:   m.Severity,
		MITRE:      m.MITRE,
		Message:    h.Message,
		User:       ev.User.Username,
		Groups:     slices.Clone(ev.User.Groups),
		SourceIPs:  slices.Clone(ev.SourceIPs),
		UserAgent:  ev.UserAgent,
		Verb:       ev.Verb,
		RequestURI: RedactURI(ev.RequestURI),
		Code:       ev.Code(),
		Decision:   ev.Decision(),
		AuditID:    ev.AuditID,
		Details:    h.Details,
		Fix:        m.Fix,
		Count:      1,
	}
	if h.Severity != check.SeverityUnknown {
		a.Severity = h.Severity
	}
	if ev.ImpersonatedUser != nil {
		a.ImpersonatedUser = ev.ImpersonatedUser.Username
	}
	if o := ev.ObjectRef; o != nil {
		a.Object = &Object{APIGroup: o.APIGroup, Resource: o.Resource, Subresource: o.Subresource, Namespace: o.Namespace, Name: o.Name}
	}
	return a
}

// hit builds a Hit from a message and key/value details.
func hit(msg string, kv ...string) *Hit {
	h := &Hit{Message: msg}
	if len(kv) > 0 {
		h.Details = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				h.Details[kv[i]] = kv[i+1]
			}
		}
	}
	return h
}

// outcome qualifies a hit on a request that did not succeed: it stays an
// alert (someone tried, with the right to try) but at low severity, unless
// the rule's own severity is already lower.
func outcome(v *View, h *Hit, base check.Severity) *Hit {
	if h == nil || v.Event.Succeeded() {
		return h
	}
	h.Message += fmt.Sprintf(" (attempt failed with %d)", v.Event.Code())
	if base > check.Low {
		h.Severity = check.Low
	}
	return h
}

// keySet is a bounded set of request keys; past its capacity the oldest
// goes.
type keySet struct {
	m    map[uint64]struct{}
	ring []uint64
	next int
	full bool // every slot of ring holds a key
}

func newKeySet(n int) *keySet {
	return &keySet{m: make(map[uint64]struct{}), ring: make([]uint64, n)}
}

func (s *keySet) add(k uint64) {
	if s.full {
		delete(s.m, s.ring[s.next])
	}
	s.ring[s.next] = k
	s.next = (s.next + 1) % len(s.ring)
	s.full = s.full || s.next == 0
	s.m[k] = struct{}{}
}

func (s *keySet) remove(k uint64) bool {
	_, ok := s.m[k]
	delete(s.m, k)
	return ok
}
