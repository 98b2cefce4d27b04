package pipeline_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/event"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// The benchmarks decode the same 10,000 lines of a realistic audit log
// (audittest.Mix). Run them on one core, so events/s is per core:
//
//	go test -run XXX -bench . -benchmem -cpu 1 ./internal/audit/pipeline/
//
// BenchmarkJSONDecodeBaseline is the yardstick: encoding/json into the API
// server's own type. docs/PERFORMANCE.md (## Audit) records the figures.

const mixSize = 10_000

func mix(b *testing.B) ([][]byte, int64) {
	lines := audittest.Mix(mixSize, 0, 1)
	var n int64
	for _, l := range lines {
		n += int64(len(l)) + 1
	}
	return lines, n
}

func report(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkJSONDecodeBaseline(b *testing.B) {
	lines, size := mix(b)
	b.SetBytes(size / mixSize)
	b.ResetTimer()
	for i := range b.N {
		var e auditv1.Event
		if err := json.Unmarshal(lines[i%mixSize], &e); err != nil {
			b.Fatal(err)
		}
	}
	report(b, b.N)
}

func BenchmarkDecode(b *testing.B) {
	lines, size := mix(b)
	benchDecode(b, lines, size)
}

// BenchmarkDecodeGKE decodes the same events as GKE writes them to Cloud
// Audit Logs (audittest.GKE): the Cloud Logging reader, against
// BenchmarkDecode and the baseline in the same run.
func BenchmarkDecodeGKE(b *testing.B) {
	lines, _ := mix(b)
	var size int64
	for i, l := range lines {
		lines[i] = audittest.GKE(l)
		size += int64(len(lines[i])) + 1
	}
	benchDecode(b, lines, size)
}

func benchDecode(b *testing.B, lines [][]byte, size int64) {
	dec := event.NewDecoder(event.Limits{})
	b.SetBytes(size / mixSize)
	b.ResetTimer()
	for i := range b.N {
		if _, err := dec.Decode(lines[i%mixSize]); err != nil {
			b.Fatal(err)
		}
	}
	report(b, b.N)
}

// allRules enables every rule, the allow-list ones included.
func allRules() detect.Options {
	o := detect.DefaultOptions()
	o.AllowedUsers = detect.Patterns{"alice*", "bob*", "ci*"}
	o.AllowedImages = detect.Patterns{"registry.example.com/*"}
	o.AllowedNamespaces = detect.Patterns{"team-*"}
	o.TrustedNodes = detect.Patterns{"worker-*"}
	return o
}

func BenchmarkDecodeAndDetect(b *testing.B) {
	lines, size := mix(b)
	dec := event.NewDecoder(event.Limits{})
	eng, err := detect.NewEngine(allRules())
	if err != nil {
		b.Fatal(err)
	}
	if n := len(eng.Enabled()); n != len(detect.Rules()) {
		b.Fatalf("%d of %d rules enabled", n, len(detect.Rules()))
	}
	var alerts []detect.Alert
	b.SetBytes(size / mixSize)
	b.ResetTimer()
	for i := range b.N {
		evs, err := dec.Decode(lines[i%mixSize])
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range evs {
			alerts = eng.Process(e, alerts[:0])
		}
	}
	report(b, b.N)
}

// BenchmarkMillionEvents runs a million events through decode and every
// rule, with user names drawn from 400,000 identities (the worst case for
// the per-identity state, which is capped at the default 100,000 per
// table), and reports the live heap the engine adds, after a GC, at each
// quarter: it must level off at the caps, not grow with the stream.
func BenchmarkMillionEvents(b *testing.B) {
	const total = 1_000_000
	lines := audittest.Mix(50_000, 400_000, 2)
	for range b.N {
		before := liveHeapMB()
		dec := event.NewDecoder(event.Limits{})
		eng, err := detect.NewEngine(allRules())
		if err != nil {
			b.Fatal(err)
		}
		var alerts []detect.Alert
		var heap [4]float64
		for i := range total {
			evs, err := dec.Decode(lines[i%len(lines)])
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range evs {
				alerts = eng.Process(e, alerts[:0])
			}
			if (i+1)%(total/4) == 0 {
				heap[(i+1)/(total/4)-1] = liveHeapMB() - before
			}
		}
		for q, h := range heap {
			b.ReportMetric(h, fmt.Sprintf("MB@%dk", (q+1)*total/4/1000))
		}
		runtime.KeepAlive(eng)
	}
}

func liveHeapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}
