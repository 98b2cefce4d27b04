package event_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

type record struct{ out []string }

func (r *record) Events(evs []*event.Event, pos event.Pos) error {
	for _, e := range evs {
		r.out = append(r.out, fmt.Sprintf("ev %d %d %s", pos.Line, pos.Offset, e.AuditID))
	}
	return nil
}

func (r *record) Malformed(err *event.ReadError) {
	r.out = append(r.out, fmt.Sprintf("bad %d %d %s", err.Line, err.Offset, err.Err))
}

// FuzzStream feeds arbitrary input whole and in chunks of every size from
// the fuzzer: the stream must not panic, must stay within its limits, and
// must report the same events and errors however the input is cut (a
// follower sees a log in whatever pieces the writer flushed).
func FuzzStream(f *testing.F) {
	a := audittest.New("a", "get").JSON()
	f.Add(append(append(a, '\n'), a...), uint8(7))
	f.Add([]byte("{\n  \"kind\": \"EventList\", \"items\": [\n"+string(a)+"]\n}\n{\"verb\":"), uint8(3))
	f.Add([]byte("{\"a\":\"\\\"}\"}\n\n  \n{"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		limits := event.Limits{MaxDocBytes: 1 << 12, MaxDepth: 32}
		whole := &record{}
		s := event.NewStream("f", event.NewDecoder(limits), whole)
		s.Feed(data)
		s.Close()
		cut := &record{}
		s = event.NewStream("f", event.NewDecoder(limits), cut)
		step := int(chunk)%64 + 1
		for i := 0; i < len(data); i += step {
			s.Feed(data[i:min(i+step, len(data))])
		}
		s.Close()
		if fmt.Sprint(whole.out) != fmt.Sprint(cut.out) {
			t.Fatalf("whole %q\ncut   %q", whole.out, cut.out)
		}
		if s.Offset() != int64(len(data)) || s.Line() != bytes.Count(data, []byte("\n"))+boolInt(len(data) > 0 && data[len(data)-1] != '\n') {
			t.Fatalf("offset %d line %d for %d bytes", s.Offset(), s.Line(), len(data))
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
