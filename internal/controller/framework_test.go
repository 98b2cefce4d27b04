package controller

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestFrameworkMetrics: the framework gauges say what framework.Evaluate
// says of a scan's result when the controller holds the same findings and
// coverage (a privileged Deployment, one suppressed, a binding to
// cluster-admin), for every framework at once.
func TestFrameworkMetrics(t *testing.T) {
	c, res, fws := judgedController(t)

	var want strings.Builder
	want.WriteString("# HELP kubeward_framework_controls A framework's controls by status: passed, failed, not-applicable, not-checked, manual.\n# TYPE kubeward_framework_controls gauge\n")
	var score strings.Builder
	score.WriteString("# HELP kubeward_framework_score Share of a framework's assessed controls that pass, in percent: passed / (passed + failed + not-checked), as `scan --framework` scores it.\n# TYPE kubeward_framework_score gauge\n")
	failed := 0
	for _, fw := range fws {
		r := framework.Evaluate(fw, res)
		for _, st := range framework.Statuses() {
			fmt.Fprintf(&want, "kubeward_framework_controls{framework=%q,status=%q} %d\n", fw.ID, st, r.Counts[st])
		}
		fmt.Fprintf(&score, "kubeward_framework_score{framework=%q} %v\n", fw.ID, r.Score)
		failed += r.Counts[framework.Failed]
	}
	if failed == 0 {
		t.Fatal("no framework control failed: the test judges nothing")
	}
	if err := testutil.CollectAndCompare(c.metrics, strings.NewReader(want.String()+score.String()), "kubeward_framework_controls", "kubeward_framework_score"); err != nil {
		t.Error(err)
	}
	// Bounded: one score per framework, one series per status.
	if n := testutil.CollectAndCount(c.metrics, "kubeward_framework_controls"); n != len(fws)*len(framework.Statuses()) {
		t.Errorf("%d framework control series, want %d", n, len(fws)*len(framework.Statuses()))
	}
}

// judgedController is a controller holding the findings and coverage of a
// cluster scan (a privileged Deployment, one suppressed, a binding to
// cluster-admin) and judging every framework, as leader.
func judgedController(t *testing.T) (*Controller, *scan.Result, []*framework.Framework) {
	t.Helper()
	objs := []runtime.Object{
		withNamespace(deployment("web", true, nil), "shop"),
		withNamespace(deployment("quiet", true, map[string]string{check.AnnotationPrefix + "pss-privileged": "the device plugin needs it"}), "shop"),
		&rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: "everyone-admin"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: "shop"}}},
		&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: "shop"}},
	}
	inv := inventory.NewInventory()
	for _, obj := range objs {
		o, err := inventory.New(obj, inventory.Source{})
		if err != nil {
			t.Fatal(err)
		}
		inv.Add(o)
	}
	inv.Sort()
	res := scan.New(scan.Options{Checks: check.Defaults(), Mode: scan.ModeCluster}).Inventory(inv)
	fws, err := framework.All()
	if err != nil {
		t.Fatal(err)
	}
	return holding(res, fws), res, fws
}

// holding is a leading controller holding a scan's findings and coverage
// and judging the frameworks.
func holding(res *scan.Result, fws []*framework.Framework) *Controller {
	c := New(Options{Checks: check.Defaults(), Frameworks: fws})
	c.writer.leader.Store(true)
	c.ran, c.noInput, c.coverage = res.Checks, res.NoInput, res.Coverage
	for _, f := range res.Findings {
		k := keyOf(f.Object)
		if c.objFindings[k.namespace] == nil {
			c.objFindings[k.namespace] = map[objKey][]check.Finding{}
		}
		c.objFindings[k.namespace][k] = append(c.objFindings[k.namespace][k], f)
	}
	return c
}

// TestFrameworkReports: a framework's reports say what framework.Evaluate
// says of the scan, control by control; the reports of every framework
// share one derivation of the posture; a change of the findings derives it
// again and the reports follow; a framework no longer judged has none.
func TestFrameworkReports(t *testing.T) {
	c, res, fws := judgedController(t)
	p := c.postureNow()
	for _, fw := range fws {
		reps, err := c.writer.frameworkReports(fw.ID, c.postureNow())
		if err != nil {
			t.Fatal(err)
		}
		if c.posture != p {
			t.Fatalf("%s: the posture derived again without a change", fw.ID)
		}
		want := framework.Evaluate(fw, res)
		got := map[string]string{}
		for _, r := range reps {
			if r.Object.GetName() != policyreport.FrameworkName(fw.ID) {
				t.Errorf("%s: report %s", fw.ID, r.Object.GetName())
			}
			rs, _, _ := unstructured.NestedSlice(r.Object.Object, "results")
			for _, x := range rs {
				m := x.(map[string]any)
				got[m["rule"].(string)] = m["properties"].(map[string]any)["status"].(string)
			}
		}
		for _, cr := range want.Controls {
			if got[cr.ID] != string(cr.Status) {
				t.Errorf("%s %s: %q in the report, %s judged", fw.ID, cr.ID, got[cr.ID], cr.Status)
			}
		}
	}
	control := func() string {
		reps, err := c.writer.frameworkReports("pss-baseline", c.postureNow())
		if err != nil {
			t.Fatal(err)
		}
		rs, _, _ := unstructured.NestedSlice(reps[0].Object.Object, "results")
		for _, x := range rs {
			if m := x.(map[string]any); m["rule"] == "3" {
				return m["result"].(string)
			}
		}
		return "missing"
	}
	if got := control(); got != "fail" {
		t.Fatalf("Privileged Containers: %s with web privileged", got)
	}
	// web fixed: its findings gone.
	c.mu.Lock()
	for k := range c.objFindings["shop"] {
		if k.name == "web" {
			delete(c.objFindings["shop"], k)
		}
	}
	c.gen++
	c.mu.Unlock()
	if got := control(); got != "pass" {
		t.Errorf("Privileged Containers: %s with web fixed", got)
	}
	if c.posture == p {
		t.Error("the posture was not derived again after the change")
	}
	if reps, err := c.writer.frameworkReports("not-judged", c.postureNow()); err != nil || reps != nil {
		t.Errorf("a framework not judged: %d reports, %v", len(reps), err)
	}
}

func withNamespace(d *appsv1.Deployment, ns string) *appsv1.Deployment {
	d.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
	d.Namespace = ns
	return d
}

// BenchmarkFrameworkReport: what --framework costs per change on the
// shared corpus read as a cluster: the posture a change derives, without
// frameworks (the metrics' baseline) and with every framework, and the
// cis-1.12 report built from a posture already derived (each write).
func BenchmarkFrameworkReport(b *testing.B) {
	inv := inventory.NewInventory()
	for _, o := range corpusObjects(b) {
		inv.Add(o)
	}
	inv.Sort()
	res := scan.New(scan.Options{Checks: check.Defaults(), Mode: scan.ModeCluster}).Inventory(inv)
	fws, err := framework.All()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d objects, %d findings", res.Objects, len(res.Findings))
	derive := func(c *Controller) func(*testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				c.mu.Lock()
				c.gen++
				c.mu.Unlock()
				c.postureNow()
			}
		}
	}
	b.Run("posture", derive(holding(res, nil)))
	c := holding(res, fws)
	b.Run("posture-every-framework", derive(c))
	b.Run("report-cis-1.12", func(b *testing.B) {
		p := c.postureNow()
		for b.Loop() {
			if _, err := c.writer.frameworkReports("cis-1.12", p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
