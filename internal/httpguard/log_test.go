package httpguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{strings.Repeat("a", 40), 20, "aaaaaaa…(40 bytes)"},
		{strings.Repeat("é", 20), 21, "éééé…(40 bytes)"}, // never half a rune
	} {
		got := Truncate(c.in, c.n)
		if got != c.want || len(got) > c.n || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) = %q (%d bytes), want %q", c.in, c.n, got, len(got), c.want)
		}
	}
}

// A guarded logger bounds every string it writes, whatever the call site
// passes: messages, string values, errors, lists and groups.
func TestLogHandlerBoundsStrings(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil), DefaultLogRate))
	huge := strings.Repeat("x", 2<<20)
	many := make([]string, 1000)
	for i := range many {
		many[i] = huge[:1000]
	}
	log.With("uid", huge).Info(huge, "operation", huge, "error", errors.New(huge), "list", many,
		slog.Group("g", "name", huge), "bytes", []byte(huge), "any", struct{ S string }{huge})
	b := buf.b.Bytes()
	if len(b) > 64<<10 {
		t.Fatalf("one log line of %d bytes", len(b))
	}
	lines := buf.lines(t)
	if len(lines) != 1 || !strings.HasSuffix(lines[0]["operation"].(string), "(2097152 bytes)") {
		t.Errorf("got %v", lines)
	}
	if l := lines[0]["list"].([]any); len(l) != maxLogList+1 {
		t.Errorf("list of %d elements", len(l))
	}
}

// Lines at Warn and above are limited per kind; the ones left out are
// counted in a summary line, and Info lines pass.
func TestLogHandlerRateLimits(t *testing.T) {
	var buf lockedBuffer
	rate := LogRate{Every: 50 * time.Millisecond, Burst: 5}
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil), rate))
	errLog := ErrorLog(log.Handler())
	for i := range 10000 {
		log.Warn("bad admission request", "code", 400, "i", i)
		// The server's own errors, one per peer address: one kind.
		errLog.Printf("http: TLS handshake error from 10.0.%d.%d:%d: EOF", i/250, i%250, 40000+i)
	}
	for range 10 {
		log.Info("admission review")
	}
	// Wait for the summaries (each scheduled one interval after the first
	// line it counts).
	var counts map[string]int
	var suppressed map[string]float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		counts, suppressed = map[string]int{}, map[string]float64{}
		for _, l := range buf.lines(t) {
			msg := l["msg"].(string)
			if strings.HasPrefix(msg, "http: TLS handshake error") {
				msg = "handshake"
			}
			if s, ok := l["suppressed"].(float64); ok {
				suppressed[msg] += s
				continue
			}
			counts[msg]++
		}
		if float64(counts["bad admission request"])+suppressed["bad admission request"] == 10000 &&
			float64(counts["handshake"])+suppressed["handshake"] == 10000 {
			break
		}
	}
	// The loop may outlast a few intervals on a slow machine: a few more
	// lines than the burst, never thousands, and every line accounted for.
	for _, msg := range []string{"bad admission request", "handshake"} {
		if counts[msg] < rate.Burst || counts[msg] > 50 {
			t.Errorf("%s: %d lines written, want about %d", msg, counts[msg], rate.Burst)
		}
		if got := float64(counts[msg]) + suppressed[msg]; got != 10000 {
			t.Errorf("%s: %v written or counted, want 10000", msg, got)
		}
	}
	if counts["admission review"] != 10 {
		t.Errorf("info lines: %d, want 10", counts["admission review"])
	}
}

func TestKind(t *testing.T) {
	for in, want := range map[string]string{
		"http: TLS handshake error from 1.2.3.4:5: EOF":                                    "http: TLS handshake error",
		"http2: server connection error from [::1]:5: connection error: ENHANCE_YOUR_CALM": "http2: server connection error",
		"bad admission request":                  "bad admission request",
		"stream 12345 reset":                     "stream # reset",
		"http: Accept error: x; retrying in 5ms": "http: Accept error: x; retrying in #ms",
	} {
		if got := kind(in); got != want {
			t.Errorf("kind(%q) = %q, want %q", in, got, want)
		}
	}
}
