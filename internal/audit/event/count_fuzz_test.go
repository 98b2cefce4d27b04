package event_test

import (
	"bytes"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

// FuzzCounterAgrees: for every document Decode accepts, Counter counts the
// events Decode returns, however the document is cut into writes.
func FuzzCounterAgrees(f *testing.F) {
	lines := audittest.Mix(5, 3, 1)
	f.Add(append(append([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`), bytes.Join(lines, []byte(","))...), "]}"...), uint8(5))
	f.Add(lines[0], uint8(1))
	f.Add([]byte(`{"kind":"EventList","items":null}`), uint8(3))
	f.Add([]byte(`{"items":[{},null,{"user":{"username":"a]\"["}}],"items":[{}]}`), uint8(2))
	f.Add([]byte(`{"kind":"Event","items":[{},{}]}`), uint8(7))
	f.Add([]byte(`{"it\u0065ms":[{},{}],"kind":"EventList"}`), uint8(4))
	f.Add([]byte(` {"kind" : "EventList" , "items" : [ ] } `), uint8(9))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		evs, err := event.NewDecoder(event.Limits{MaxDocBytes: 1 << 16, MaxDepth: 64}).Decode(data)
		if err != nil {
			return
		}
		var c event.Counter
		step := int(chunk)%16 + 1
		for i := 0; i < len(data); i += step {
			c.Write(data[i:min(i+step, len(data))])
		}
		if c.Events() != len(evs) {
			t.Fatalf("counted %d, decoded %d", c.Events(), len(evs))
		}
		n, err := event.CountEvents(bytes.NewReader(data), make([]byte, 7), int64(len(data)))
		if err != nil || n != len(evs) {
			t.Fatalf("CountEvents: %d, %v; decoded %d", n, err, len(evs))
		}
		if _, err := event.CountEvents(bytes.NewReader(data), make([]byte, 7), int64(len(data))-1); err == nil {
			t.Fatal("no error past the limit")
		}
	})
}
