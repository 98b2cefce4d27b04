package alert

import (
	"fmt"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
)

// Limiter folds duplicates: the first alert of a rule and identity passes,
// later ones within Window are counted, and when the window ends one
// summary alert reports how many there were, when, and on which objects.
// Time is the alerts' own (the events' time), so replaying a log gives the
// same result as watching it live.
type Limiter struct {
	window  time.Duration
	max     int
	entries map[limitKey]*limitEntry
	metrics *Metrics
}

type limitKey struct{ rule, identity string }

type limitEntry struct {
	start   time.Time
	dups    int
	first   time.Time // of the duplicates
	last    detect.Alert
	objects []string
}

// maxSummaryObjects bounds the objects a summary lists.
const maxSummaryObjects = 10

// NewLimiter folds duplicates within window, tracking at most max keys
// (the oldest windows are closed early when more arrive). A zero window
// passes everything.
func NewLimiter(window time.Duration, max int, m *Metrics) *Limiter {
	if max <= 0 {
		max = 100_000
	}
	return &Limiter{window: window, max: max, entries: map[limitKey]*limitEntry{}, metrics: m}
}

// Process returns the alerts to deliver now for a: a itself, or nothing
// (a duplicate, counted), preceded by the summary of an ended window.
func (l *Limiter) Process(a detect.Alert, out []detect.Alert) []detect.Alert {
	if l.window <= 0 {
		return append(out, a)
	}
	k := limitKey{a.Rule, a.Identity()}
	e, ok := l.entries[k]
	if ok && absDuration(a.Time.Sub(e.start)) < l.window {
		if e.dups == 0 {
			e.first = a.Time
		}
		e.dups++
		e.last = a
		if o := a.Object.String(); o != "" && len(e.objects) < maxSummaryObjects && !contains(e.objects, o) {
			e.objects = append(e.objects, o)
		}
		if l.metrics != nil {
			l.metrics.Suppressed.WithLabelValues(a.Rule).Inc()
		}
		return out
	}
	if ok {
		out = l.close(k, e, out)
	} else if len(l.entries) >= l.max {
		out = l.Flush(a.Time, out)
		for k2, e2 := range l.entries {
			if len(l.entries) < l.max {
				break
			}
			out = l.close(k2, e2, out)
		}
	}
	l.entries[k] = &limitEntry{start: a.Time}
	return append(out, a)
}

// Flush closes the windows that ended by now and returns their summaries.
func (l *Limiter) Flush(now time.Time, out []detect.Alert) []detect.Alert {
	for k, e := range l.entries {
		if now.Sub(e.start) >= l.window {
			out = l.close(k, e, out)
		}
	}
	return out
}

// FlushAll closes every window (at the end of a scan, or on shutdown).
func (l *Limiter) FlushAll(out []detect.Alert) []detect.Alert {
	for k, e := range l.entries {
		out = l.close(k, e, out)
	}
	return out
}

func (l *Limiter) close(k limitKey, e *limitEntry, out []detect.Alert) []detect.Alert {
	delete(l.entries, k)
	if e.dups == 0 {
		return out
	}
	s := e.last
	first, last := e.first, e.last.Time
	s.Count = e.dups
	s.FirstSeen, s.LastSeen = &first, &last
	s.Objects = e.objects
	s.Message = fmt.Sprintf("%d more in %s after the first alert; last: %s", e.dups, l.window, e.last.Message)
	return append(out, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// absDuration tolerates events slightly out of order (batches, stages).
func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
