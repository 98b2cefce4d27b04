package vap

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/policy/custom"
	"github.com/kubeward/kubeward/internal/sharedtest"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// corpusWorkloads are the workload objects of the shared corpus, in full.
func corpusWorkloads(tb testing.TB) []*inventory.Object {
	tb.Helper()
	l := loader.Default()
	perWorker := make([][]*inventory.Object, l.Workers())
	reads := func(gk schema.GroupKind) bool { return slices.Contains(inventory.WorkloadKinds, gk) }
	if _, err := l.Load([]string{sharedtest.Dir(tb, "corpus")}, reads, &diag.Log{}, func(w int, o *inventory.Object) {
		if len(o.Pods()) > 0 {
			perWorker[w] = append(perWorker[w], o)
		}
	}); err != nil {
		tb.Fatal(err)
	}
	objs := slices.Concat(perWorker...)
	inventory.SortObjects(objs)
	if len(objs) < 100 {
		tb.Fatalf("only %d workloads in the corpus", len(objs))
	}
	return objs
}

const noLatestRule = "object.kind == 'Pod' ? object.spec.containers.all(c, !c.image.endsWith(':latest')) : " +
	"(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec).containers.all(c, !c.image.endsWith(':latest'))"

// noLatestGo is the same rule in Go.
func noLatestGo(p *inventory.Pod) bool {
	for _, c := range p.Spec.Containers {
		if strings.HasSuffix(c.Image, ":latest") {
			return false
		}
	}
	return true
}

// BenchmarkEvaluate decides one CREATE per corpus workload against a
// policy with one Deny binding (matching every workload kind), and runs
// the same rule as a custom CEL check and as Go, alternately in each
// iteration: the cost of the admission plugin's machinery (matching,
// versioned attributes, dispatch twice for applicable bindings) over the
// bare expression.
func BenchmarkEvaluate(b *testing.B) {
	objs := corpusWorkloads(b)
	policyObjs := decode(b, policy("no-latest", `matchConstraints:
  resourceRules:
  - {apiGroups: ["", apps, batch], apiVersions: ["*"], operations: [CREATE], resources: ["*"]}
validations: [{expression: "`+noLatestRule+`", message: latest}]`, "validationActions: [Deny]"))
	set := New(policyObjs, Options{})
	if len(set.Problems()) > 0 {
		b.Fatal(set.Problems())
	}
	written := New(policyObjs, Options{AsWritten: true})
	cs, err := custom.Parse([]byte(`apiVersion: kubeward.dev/v1alpha1
kind: Check
id: no-latest
title: latest
severity: low
kinds: [{kind: Pod}, {group: apps, kind: Deployment}, {group: apps, kind: StatefulSet}, {group: apps, kind: DaemonSet}, {group: apps, kind: ReplicaSet}, {group: batch, kind: Job}, {group: batch, kind: CronJob}, {kind: ReplicationController}, {kind: PodTemplate}]
failurePolicy: Ignore
expression: "`+noLatestRule+`"
`), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cctx := check.NewContext(nil)
	var vapT, writtenT, celT, goT time.Duration
	denied := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		denied = 0
		tw := time.Now()
		for _, o := range objs {
			if _, err := written.Evaluate(ctx, Request{Object: o}); err != nil {
				b.Fatal(err)
			}
		}
		t0 := time.Now()
		writtenT += t0.Sub(tw)
		for _, o := range objs {
			res, err := set.Evaluate(ctx, Request{Object: o})
			if err != nil {
				b.Fatal(err)
			}
			if !res.Allowed {
				denied++
			}
		}
		t1 := time.Now()
		for _, o := range objs {
			cs[0].Object(cctx, o)
		}
		t2 := time.Now()
		for _, o := range objs {
			for _, p := range o.Pods() {
				noLatestGo(p)
			}
		}
		t3 := time.Now()
		vapT, celT, goT = vapT+t1.Sub(t0), celT+t2.Sub(t1), goT+t3.Sub(t2)
	}
	n := float64(b.N * len(objs))
	b.ReportMetric(float64(vapT.Nanoseconds())/n, "vap-ns/object")
	b.ReportMetric(float64(writtenT.Nanoseconds())/n, "vap-as-written-ns/object")
	b.ReportMetric(float64(celT.Nanoseconds())/n, "cel-check-ns/object")
	b.ReportMetric(float64(goT.Nanoseconds())/n, "go-ns/object")
	b.ReportMetric(float64(vapT)/float64(celT), "vap/cel-check")
	b.ReportMetric(float64(denied), "denied")
}

// BenchmarkEvaluateManyPolicies decides every corpus workload against the
// differential test's policies (with params and an authorizer), the
// per-object cost of a realistic policy set.
func BenchmarkEvaluateManyPolicies(b *testing.B) {
	dir := filepath.Join("..", "..", "cli", "testdata", "vapdiff")
	var inputs []string
	for _, f := range []string{"env.yaml", "policies.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	set := New(decode(b, strings.Join(inputs, "\n---\n")), Options{})
	objs := corpusWorkloads(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, o := range objs {
			if _, err := set.Evaluate(ctx, Request{Object: o}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(objs)), "ns/object")
}

// BenchmarkNew is the cost of validating and compiling the differential
// test's policies (startup of `policy test`).
func BenchmarkNew(b *testing.B) {
	dir := filepath.Join("..", "..", "cli", "testdata", "vapdiff")
	data, err := os.ReadFile(filepath.Join(dir, "policies.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	objs := decode(b, string(data))
	for i := 0; i < b.N; i++ {
		New(objs, Options{})
	}
}
