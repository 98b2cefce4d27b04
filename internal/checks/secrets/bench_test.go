package secrets

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// namedValue is one value the checks classify, with its name.
type namedValue struct{ name, value string }

var (
	corpusValuesOnce sync.Once
	corpusValuesList []namedValue
)

// corpusValues collects every env value, ConfigMap value and Secret value
// of the corpus: the inputs the detectors see in a real scan.
func corpusValues(tb testing.TB) []namedValue {
	dir := corpusDir(tb)
	corpusValuesOnce.Do(func() {
		var mu sync.Mutex
		add := func(n, v string) {
			mu.Lock()
			corpusValuesList = append(corpusValuesList, namedValue{n, v})
			mu.Unlock()
		}
		meta := check.Meta{ID: "collect", Title: "collect", Severity: check.Info, Category: check.CategorySecrets, Rationale: "-", Fix: "-"}
		pods := &check.Check{Meta: meta, Pod: func(_ *check.Context, p *inventory.Pod) []check.Result {
			for _, c := range p.Containers() {
				for _, e := range c.Env {
					if e.Value != "" {
						add(e.Name, e.Value)
					}
				}
			}
			return nil
		}}
		objs := &check.Check{Meta: meta, Kinds: []schema.GroupKind{inventory.KindConfigMap, inventory.KindSecret},
			Object: func(_ *check.Context, o *inventory.Object) []check.Result {
				switch t := o.Typed.(type) {
				case *corev1.ConfigMap:
					for k, v := range t.Data {
						add(k, v)
					}
				case *corev1.Secret:
					for k, v := range t.Data {
						add(k, string(v))
					}
					for k, v := range t.StringData {
						add(k, v)
					}
				}
				return nil
			}}
		if _, _, err := scan.New(scan.Options{Checks: []*check.Check{pods, objs}}).Files(loader.Default(), []string{dir}); err != nil {
			tb.Fatal(err)
		}
	})
	return corpusValuesList
}

func totalBytes(vs []namedValue) int {
	n := 0
	for _, v := range vs {
		n += len(v.value)
	}
	return n
}

var sink int

// BenchmarkDetectors measures, in one run over the corpus values, a plain
// strings.Contains scan for one marker (the floor: one pass over the
// bytes) and Classify, the detector the checks call per value, and reports
// ns per value for each and their ratio. Each iteration times both passes
// back to back and the fastest pass of each counts, so that a busy machine
// (preemption, other builds) distorts the figures less than a mean would.
func BenchmarkDetectors(b *testing.B) {
	vs := corpusValues(b)
	b.SetBytes(int64(totalBytes(vs)))
	base, det := time.Duration(1<<62), time.Duration(1<<62)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		for _, v := range vs {
			if strings.Contains(v.value, "-----BEGIN ") {
				sink++
			}
		}
		t1 := time.Now()
		for _, v := range vs {
			sink += len(Classify(v.name, v.value, false))
		}
		t2 := time.Now()
		base, det = min(base, t1.Sub(t0)), min(det, t2.Sub(t1))
	}
	n := float64(len(vs))
	b.ReportMetric(float64(base.Nanoseconds())/n, "contains-ns/value")
	b.ReportMetric(float64(det.Nanoseconds())/n, "classify-ns/value")
	b.ReportMetric(float64(det)/float64(base), "x-contains")
	b.ReportMetric(n, "values")
}

// BenchmarkDetectHostile is the cost of the worst inputs we know of, per
// MiB searched.
func BenchmarkDetectHostile(b *testing.B) {
	for name, v := range hostileValues() {
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.SetBytes(int64(min(len(v), maxScan)))
			for range b.N {
				sink += len(Classify("API_TOKEN", v, true))
			}
		})
	}
}

// BenchmarkCorpusScan compares a scan of the corpus with this family's
// checks against the same scan with no-op checks that make the decoder
// read the same kinds, so the difference is the cost of the checks.
func BenchmarkCorpusScan(b *testing.B) {
	dir := corpusDir(b)
	meta := check.Meta{ID: "noop", Title: "noop", Severity: check.Info, Category: check.CategorySecrets, Rationale: "-", Fix: "-"}
	noop := []*check.Check{
		{Meta: meta, Pod: func(*check.Context, *inventory.Pod) []check.Result { return nil }},
		{Meta: meta, Kinds: []schema.GroupKind{inventory.KindConfigMap, inventory.KindSecret},
			Object: func(*check.Context, *inventory.Object) []check.Result { return nil }},
	}
	for _, bc := range []struct {
		name   string
		checks []*check.Check
	}{{"noop-checks", noop}, {"secrets-family", familyChecks}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				res, _, err := scan.New(scan.Options{Checks: bc.checks}).Files(loader.Default(), []string{dir})
				if err != nil {
					b.Fatal(err)
				}
				sink += len(res.Findings)
			}
		})
	}
}
