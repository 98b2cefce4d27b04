package event_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/httpguard/guardtest"
)

// Footprint holds what decoded batches really take, within a margin that
// errs on the side of too much: a realistic mix, tiny events with maps and
// lists, and empty items, each a hundred times its bytes decoded.
func TestFootprintCoversTheHeap(t *testing.T) {
	mix := audittest.Mix(400*40, 200, 1)
	for _, c := range []struct {
		name string
		body func(i int) []byte
	}{
		{"mix", func(i int) []byte {
			return append(append([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`), bytes.Join(mix[i*400:(i+1)*400], []byte(","))...), "]}"...)
		}},
		{"tiny", func(int) []byte {
			return []byte(`{"kind":"EventList","items":[` + strings.TrimSuffix(strings.Repeat(`{"annotations":{"a":"b"},"sourceIPs":["x"],"objectRef":{},"responseStatus":{},"user":{"extra":{"k":["v"]}}},`, 2000), ",") + `]}`)
		}},
		{"empty", func(int) []byte {
			return []byte(`{"kind":"EventList","items":[` + strings.TrimSuffix(strings.Repeat(`{},`, 20000), ",") + `]}`)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := guardtest.LiveHeap()
			var keep []*event.Decoder
			var bodies, footprint int64
			for i := range 40 {
				b := c.body(i)
				d := event.NewDecoder(event.Limits{})
				if _, err := d.Decode(b); err != nil {
					t.Fatal(err)
				}
				bodies += int64(len(b))
				footprint += d.Footprint()
				keep = append(keep, d)
			}
			grown := guardtest.LiveHeap() - base
			runtime.KeepAlive(keep)
			// The bodies are held by the test here as by a queue.
			t.Logf("bodies %d KiB, heap grew %d KiB, footprint %d KiB + bodies", bodies>>10, grown>>10, footprint>>10)
			if got := footprint + bodies; got < grown || got > 3*grown {
				t.Errorf("footprint + bodies %d KiB for a heap of %d KiB", got>>10, grown>>10)
			}
		})
	}
}

// A decoder that forgot its input holds none of it.
func TestForgetReleasesTheInput(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"kind":"EventList","items":[`)
	for i := range 4000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"requestObject":{"big":"` + strings.Repeat("x", 1000) + `"}}`)
	}
	b.WriteString(`]}`)
	body := b.Bytes()
	d := event.NewDecoder(event.Limits{})
	base := guardtest.LiveHeap()
	if _, err := d.Decode(bytes.Clone(body)); err != nil {
		t.Fatal(err)
	}
	held := guardtest.LiveHeap() - base
	d.Forget()
	after := guardtest.LiveHeap() - base
	runtime.KeepAlive(d)
	runtime.KeepAlive(body)
	if held < int64(len(body)) || after > int64(len(body))/8 {
		t.Errorf("body %d KiB: held %d KiB while decoded, %d KiB after Forget", len(body)>>10, held>>10, after>>10)
	}
}
