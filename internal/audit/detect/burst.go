package detect

import (
	"time"
)

// burst counts events per key in a sliding window: it fires when
// Threshold events fall within Window, then starts counting afresh, so a
// sustained burst fires once per Threshold events (and the alert limiter
// folds those into one alert with a count).
type burst struct {
	opts      BurstOptions
	keys      *bounded[string, *burstState]
	lastSweep time.Time
}

type burstState struct {
	times  []int64 // ring of the last Threshold event times (unix nanos)
	n      int
	next   int
	last   int64
	sample []string // up to burstSample distinct requests, for the alert
}

const burstSample = 5

func newBurst(o BurstOptions, max int) *burst {
	return &burst{opts: o, keys: newBounded[string, *burstState](max)}
}

// observe records one event for key at t; what describes it for the sample.
// It returns the sample and true when the burst threshold is reached.
func (b *burst) observe(key string, t time.Time, what string) ([]string, bool) {
	b.sweep(t)
	st, ok := b.keys.get(key)
	if !ok {
		st = &burstState{times: make([]int64, b.opts.Threshold)}
		b.keys.set(key, st)
	}
	now := t.UnixNano()
	st.times[st.next] = now
	st.next = (st.next + 1) % len(st.times)
	if st.n < len(st.times) {
		st.n++
	}
	st.last = now
	if len(st.sample) < burstSample && !contains(st.sample, what) {
		st.sample = append(st.sample, what)
	}
	if st.n < len(st.times) {
		return nil, false
	}
	oldest := st.times[st.next] // the ring is full: next is the oldest
	if now-oldest > int64(b.opts.Window) {
		return nil, false
	}
	sample := st.sample
	st.n, st.sample = 0, nil
	return sample, true
}

// sweep forgets keys idle for a window, at most once per window.
func (b *burst) sweep(t time.Time) {
	if t.Sub(b.lastSweep) < b.opts.Window {
		return
	}
	b.lastSweep = t
	cutoff := t.Add(-b.opts.Window).UnixNano()
	b.keys.sweep(func(s *burstState) bool { return s.last < cutoff })
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// requestSummary renders "verb resource" or "verb /path" for samples.
func requestSummary(v *View) string {
	ev := v.Event
	if ev.ObjectRef == nil {
		return ev.Verb + " " + keptPath(ev.RequestURI)
	}
	r := ev.Resource()
	if ev.APIGroup() != "" {
		r += "." + ev.APIGroup()
	}
	if s := ev.Subresource(); s != "" {
		r += "/" + s
	}
	return ev.Verb + " " + r
}
