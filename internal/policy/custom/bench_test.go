package custom

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/workload"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// readOnlyRootCEL is the rule of the built-in read-only-root-filesystem
// check (init and regular containers; not ephemeral ones) in CEL.
const readOnlyRootCEL = `apiVersion: kubeward.dev/v1alpha1
kind: Check
id: cel-read-only-root-filesystem
title: Container root filesystem is writable
severity: low
podSpec: true
expression: >-
  (podSpec.containers == null || podSpec.containers.all(c, c.?securityContext.?readOnlyRootFilesystem.orValue(false))) &&
  podSpec.?initContainers.orValue([]).all(c, c.?securityContext.?readOnlyRootFilesystem.orValue(false))
messageExpression: >-
  'containers ' + (podSpec.?initContainers.orValue([]) + podSpec.containers)
  .filter(c, !c.?securityContext.?readOnlyRootFilesystem.orValue(false)).map(c, c.name).join(', ') +
  ' can write to their root filesystem'
`

// corpusPods are the pod specs of every workload in the shared corpus.
func corpusPods(tb testing.TB) []*inventory.Pod {
	tb.Helper()
	l := loader.Default()
	perWorker := make([][]*inventory.Pod, l.Workers())
	reads := func(gk schema.GroupKind) bool { return slices.Contains(inventory.WorkloadKinds, gk) }
	if _, err := l.Load([]string{sharedtest.Dir(tb, "corpus")}, reads, &diag.Log{}, func(w int, o *inventory.Object) {
		perWorker[w] = append(perWorker[w], o.Pods()...)
	}); err != nil {
		tb.Fatal(err)
	}
	pods := slices.Concat(perWorker...)
	if len(pods) < 100 {
		tb.Fatalf("only %d pod specs in the corpus", len(pods))
	}
	return pods
}

// TestCELRuleMatchesBuiltin: the CEL rule of the benchmark flags the same
// pod specs as the built-in Go check, so the comparison is fair.
func TestCELRuleMatchesBuiltin(t *testing.T) {
	cs := mustParse(t, readOnlyRootCEL)
	ctx := check.NewContext(nil)
	pods := corpusPods(t)
	differ := 0
	for _, p := range pods {
		goFlag := len(workload.ReadOnlyRootFilesystem.Pod(ctx, p)) > 0
		celFlag := len(cs[0].Pod(ctx, p)) > 0
		if goFlag != celFlag {
			differ++
			t.Errorf("%s (%s:%d): Go %v, CEL %v %v", p.Object.Ref, p.Object.Source.File, p.Object.Source.Line, goFlag, celFlag, cs[0].Pod(ctx, p))
		}
	}
	t.Logf("%d pod specs, %d differ", len(pods), differ)
}

// BenchmarkCustomCheck evaluates the read-only-root-filesystem rule on
// every pod spec of the corpus three ways, alternately in each iteration:
// the built-in Go check (the baseline), the custom CEL check as kubeward
// runs it (typed objects through the API server's reflection adapter),
// and the same CEL over maps made by runtime.DefaultUnstructuredConverter.
// It reports ns per pod spec for each and the ratios to the baseline.
func BenchmarkCustomCheck(b *testing.B) {
	c := mustParse(b, readOnlyRootCEL)[0].Pod
	ctx := check.NewContext(nil)
	pods := corpusPods(b)
	prog := mustCompiled(b, readOnlyRootCEL)
	var goT, celT, unsT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for _, p := range pods {
			workload.ReadOnlyRootFilesystem.Pod(ctx, p)
		}
		t1 := time.Now()
		for _, p := range pods {
			c(ctx, p)
		}
		t2 := time.Now()
		for _, p := range pods {
			spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p.Spec)
			if err != nil {
				b.Fatal(err)
			}
			meta, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(p.Meta)
			prog.run(&activation{object: types.NullValue, podSpec: types.DefaultTypeAdapter.NativeToValue(spec), podMeta: types.DefaultTypeAdapter.NativeToValue(meta)}, p.SpecPath, p.Object)
		}
		t3 := time.Now()
		goT, celT, unsT = goT+t1.Sub(t0), celT+t2.Sub(t1), unsT+t3.Sub(t2)
	}
	n := float64(b.N * len(pods))
	b.ReportMetric(float64(goT.Nanoseconds())/n, "go-ns/pod")
	b.ReportMetric(float64(celT.Nanoseconds())/n, "cel-ns/pod")
	b.ReportMetric(float64(unsT.Nanoseconds())/n, "cel-unstructured-ns/pod")
	b.ReportMetric(float64(celT)/float64(goT), "cel/go")
	b.ReportMetric(float64(unsT)/float64(goT), "cel-unstructured/go")
}

func mustCompiled(tb testing.TB, y string) *compiled {
	tb.Helper()
	var f form
	if err := yaml.Unmarshal([]byte(y), &f); err != nil {
		tb.Fatal(err)
	}
	expr, err := compile(f.Expression, true, nil)
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := compile(f.MessageExpression, true, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &compiled{title: f.Title, expr: expr, msg: msg}
}

// BenchmarkLoad is the cost of reading and compiling the example checks.
func BenchmarkLoad(b *testing.B) {
	dir := filepath.Join("..", "..", "..", "examples", "policy", "checks")
	for i := 0; i < b.N; i++ {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCorpusExampleChecks runs the example custom checks over the shared
// corpus (go test -run TestCorpusExampleChecks -v logs each finding, for
// reading false positives). No check may fail to evaluate.
func TestCorpusExampleChecks(t *testing.T) {
	cs, err := Load(filepath.Join("..", "..", "..", "examples", "policy", "checks"))
	if err != nil {
		t.Fatal(err)
	}
	dir := sharedtest.Dir(t, "corpus")
	res, _, err := scan.New(scan.Options{Checks: cs}).Files(loader.Default(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, f := range res.Findings {
		counts[f.CheckID]++
		t.Logf("%s %s:%d %s [%s] %s", f.CheckID, strings.TrimPrefix(f.Source.File, dir+"/"), f.Position.Line, f.Object, f.Path, f.Message)
		if strings.Contains(f.Message, "could not be evaluated") {
			t.Errorf("evaluation error: %s %s: %s", f.CheckID, f.Object, f.Message)
		}
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Logf("%s: %d findings", id, counts[id])
	}
	// The corpus's Certificates live 90 days or less: that check finds
	// nothing, the other two find what the corpus lacks.
	if counts["liveness-probe"] == 0 || counts["workload-team-label"] == 0 || counts["certificate-max-duration"] != 0 {
		t.Errorf("findings per check %v", counts)
	}
}
