package httpguard

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxLogString bounds every string a guarded logger writes (attribute
// values and messages): names, namespaces, user names and error messages
// come from clients, and a review may carry megabytes in any of them.
const MaxLogString = 512

// Truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with "…" and the original length.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	suffix := "…(" + itoa(len(s)) + " bytes)"
	i := max(n-len(suffix), 0)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + suffix
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// LogRate is how many lines of one kind a guarded logger writes at Warn
// and above: Burst at once, then one per Every. The rest are counted, and
// the count is written once per Every as a line of the same message with
// "suppressed": N. Info lines are not limited.
type LogRate struct {
	Every time.Duration
	Burst int
}

// DefaultLogRate writes ten lines of a kind at once, then one a second.
var DefaultLogRate = LogRate{Every: time.Second, Burst: 10}

// maxKinds bounds the kinds of line tracked; lines of further kinds share
// one bucket.
const maxKinds = 128

// NewLogHandler guards next: strings are bounded (MaxLogString) and lines
// at Warn and above are rate-limited per kind of line (see kind).
func NewLogHandler(next slog.Handler, rate LogRate) slog.Handler {
	if rate.Every <= 0 || rate.Burst <= 0 {
		rate = DefaultLogRate
	}
	return &logHandler{next: next, st: &limitState{rate: rate, kinds: map[string]*bucket{}}}
}

// ErrorLog is a logger for http.Server.ErrorLog that writes through a
// guarded handler at Warn level: a client that provokes a server error per
// request or per stream (HTTP/2 rapid reset, failed handshakes) cannot
// flood the log.
func ErrorLog(h slog.Handler) *log.Logger {
	if _, ok := h.(*logHandler); !ok {
		h = NewLogHandler(h, DefaultLogRate)
	}
	return slog.NewLogLogger(h, slog.LevelWarn)
}

// Logger returns log guarded by NewLogHandler with the default rate,
// unless it already is.
func Logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	if _, ok := l.Handler().(*logHandler); ok {
		return l
	}
	return slog.New(NewLogHandler(l.Handler(), DefaultLogRate))
}

type logHandler struct {
	next slog.Handler
	st   *limitState
}

type limitState struct {
	mu    sync.Mutex
	rate  LogRate
	kinds map[string]*bucket
}

type bucket struct {
	tokens     float64
	last       time.Time
	suppressed int
	pending    bool // a summary is scheduled
}

func (h *logHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = boundAttr(a)
	}
	return &logHandler{next: h.next.WithAttrs(out), st: h.st}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{next: h.next.WithGroup(Truncate(name, 64)), st: h.st}
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && !h.st.allow(kind(r.Message), r.Level, h.next) {
		return nil
	}
	return h.next.Handle(ctx, bound(r))
}

// allow takes a token of the kind's bucket; without one it counts the line
// and makes sure a summary follows.
func (s *limitState) allow(k string, level slog.Level, next slog.Handler) bool {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.kinds[k]
	if b == nil {
		if len(s.kinds) >= maxKinds {
			k = "(other kinds)"
			b = s.kinds[k]
		}
		if b == nil {
			b = &bucket{tokens: float64(s.rate.Burst), last: now}
			s.kinds[k] = b
		}
	}
	b.tokens = min(float64(s.rate.Burst), b.tokens+now.Sub(b.last).Seconds()/s.rate.Every.Seconds())
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	b.suppressed++
	if !b.pending {
		b.pending = true
		time.AfterFunc(s.rate.Every, func() { s.summary(k, level, next) })
	}
	return false
}

// summary writes how many lines of a kind were left out since the last
// summary; it takes the token that line would have used.
func (s *limitState) summary(k string, level slog.Level, next slog.Handler) {
	s.mu.Lock()
	b := s.kinds[k]
	n := b.suppressed
	b.suppressed, b.pending = 0, false
	b.tokens = max(b.tokens-1, 0)
	s.mu.Unlock()
	if n == 0 {
		return
	}
	r := slog.NewRecord(time.Now(), level, k, 0)
	r.AddAttrs(slog.Int("suppressed", n), slog.String("interval", s.rate.Every.String()))
	_ = next.Handle(context.Background(), r)
}

// kind is the part of a message that names what happened: what follows
// " from " (the peer, then its error) is left out and numbers not part of a
// word (ports, counts, stream ids) become "#", so "TLS handshake error from
// ADDR: ..." is one kind whatever the address.
func kind(msg string) string {
	if i := strings.Index(msg, " from "); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 96 {
		msg = msg[:96]
	}
	var b strings.Builder
	prev := byte(' ')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c >= '0' && c <= '9' && !isLetter(prev) {
			if prev < '0' || prev > '9' {
				b.WriteByte('#')
			}
			prev = c
			continue
		}
		if c >= '0' && c <= '9' && (prev >= '0' && prev <= '9') {
			continue
		}
		b.WriteByte(c)
		prev = c
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// bound returns r with its message and string values cut to MaxLogString;
// r itself when nothing is too long.
func bound(r slog.Record) slog.Record {
	long := len(r.Message) > MaxLogString
	r.Attrs(func(a slog.Attr) bool {
		long = long || tooLong(a.Value)
		return !long
	})
	if !long {
		return r
	}
	out := slog.NewRecord(r.Time, r.Level, Truncate(r.Message, MaxLogString), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(boundAttr(a))
		return true
	})
	return out
}

func tooLong(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindString:
		return len(v.String()) > MaxLogString
	case slog.KindGroup:
		for _, a := range v.Group() {
			if tooLong(a.Value) {
				return true
			}
		}
	case slog.KindAny, slog.KindLogValuer:
		if ss, ok := v.Any().([]string); ok {
			if len(ss) > maxLogList {
				return true
			}
			for _, s := range ss {
				if len(s) > MaxLogString {
					return true
				}
			}
			return false
		}
		return true // errors and the rest: bound them to be sure
	}
	return false
}

// maxLogList bounds the elements of a list written in a log line.
const maxLogList = 32

func boundAttr(a slog.Attr) slog.Attr {
	a.Key = Truncate(a.Key, 64)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(Truncate(v.String(), MaxLogString))
	case slog.KindGroup:
		as := v.Group()
		out := make([]slog.Attr, len(as))
		for i, g := range as {
			out[i] = boundAttr(g)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(Truncate(x.Error(), MaxLogString))
		case []string:
			n := min(len(x), maxLogList)
			out := make([]string, n, n+1)
			for i := range n {
				out[i] = Truncate(x[i], MaxLogString)
			}
			if len(x) > n {
				out = append(out, "…("+itoa(len(x))+" in all)")
			}
			a.Value = slog.AnyValue(out)
		case []byte:
			a.Value = slog.StringValue(Truncate(string(x), MaxLogString))
		default:
			a.Value = slog.StringValue(Truncate(fmt.Sprint(x), MaxLogString))
		}
	default:
		a.Value = v
	}
	return a
}
