package scan

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Coverage is grouped by cause: each unreadable kind, absent subject or
// unreadable setting is one gap naming the checks it affects, ordered by
// how much it matters.
func TestCoverageGroupsByCause(t *testing.T) {
	meta := func(id string) check.Meta {
		return check.Meta{ID: id, Title: id, Severity: check.High, Category: check.CategoryWorkload}
	}
	apiserver := &check.Subject{Gap: check.GapControlPlane, Name: "kube-apiserver",
		Present: func(*check.Context, *inventory.Inventory) bool { return false }}
	kubelet := &check.Subject{Gap: check.GapKubelet, Name: "kubelet",
		Present: func(*check.Context, *inventory.Inventory) bool { return true }}
	checks := []*check.Check{
		{Meta: meta("secret-cross"), Needs: []schema.GroupKind{inventory.KindSecret, inventory.KindServiceAccount},
			Inventory: func(*check.Context, *inventory.Inventory) []check.Result { return nil }},
		{Meta: meta("pod-check"), Pod: func(*check.Context, *inventory.Pod) []check.Result { return nil }},
		// PodTemplates run nothing: a cross-object check runs without them.
		{Meta: meta("pods-cross"), Needs: inventory.WorkloadKinds,
			Inventory: func(*check.Context, *inventory.Inventory) []check.Result { return nil }},
		{Meta: meta("apiserver-flag"), Kinds: []schema.GroupKind{inventory.KindPod}, Subject: apiserver,
			Object: func(*check.Context, *inventory.Object) []check.Result { return nil }},
		{Meta: meta("apiserver-other"), Kinds: []schema.GroupKind{inventory.KindPod}, Subject: apiserver,
			Object: func(*check.Context, *inventory.Object) []check.Result { return nil }},
		{Meta: meta("kubelet-check"), Kinds: []schema.GroupKind{inventory.KindPod}, Subject: kubelet,
			Object: func(*check.Context, *inventory.Object) []check.Result { return nil }},
		{Meta: meta("scheduler-config"), Kinds: []schema.GroupKind{inventory.KindPod},
			Object: func(_ *check.Context, o *inventory.Object) []check.Result {
				return []check.Result{{Undecided: "kube-scheduler-config", Message: "the file is on the node"}}
			}},
	}
	unreadable := []Unreadable{
		{Kind: schema.GroupKind{Kind: "PodTemplate"}, Resource: schema.GroupResource{Resource: "podtemplates"}, Forbidden: true, Reason: "forbidden to list cluster-wide"},
		{Kind: inventory.KindSecret, Resource: schema.GroupResource{Resource: "secrets"}, Forbidden: true, Reason: "forbidden to list cluster-wide"},
		{Kind: inventory.KindServiceAccount, Resource: schema.GroupResource{Resource: "serviceaccounts"}, Reason: "the server failed to list it (HTTP 500): boom"},
	}
	inv := inventory.NewInventory()
	pod, err := inventory.New(&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "kube-scheduler-cp1", Namespace: "kube-system"}}, inventory.Source{Cluster: "test"})
	if err != nil {
		t.Fatal(err)
	}
	inv.Add(pod)

	run := func(mode Mode, accepts ...AcceptGap) *Result {
		return New(Options{Checks: checks, Mode: mode, Unreadable: unreadable, AcceptGaps: accepts}).Inventory(inv)
	}
	res := run(ModeCluster)
	var got []string
	for _, g := range res.Coverage {
		got = append(got, g.ID+" notRun="+strings.Join(g.NotRun, ",")+" partial="+strings.Join(g.Partial, ",")+
			" nothing="+strings.Join(g.NothingToJudge, ",")+" objects="+strings.Join(g.Objects, ","))
	}
	want := []string{
		"secrets notRun=secret-cross partial= nothing= objects=",
		"serviceaccounts notRun=secret-cross partial= nothing= objects=",
		"control-plane notRun= partial= nothing=apiserver-flag,apiserver-other objects=",
		"kube-scheduler-config notRun= partial=scheduler-config nothing= objects=Pod/kube-system/kube-scheduler-cp1",
		"podtemplates notRun= partial=pod-check,pods-cross nothing= objects=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("gaps:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if g := res.Coverage[0]; g.Grant == nil || g.Grant.String() != "list secrets" {
		t.Errorf("secrets grant %+v", g.Grant)
	}
	if g := res.Coverage[1]; g.Grant != nil {
		t.Errorf("a server error has no grant: %+v", g.Grant)
	}
	if r := res.Coverage[2].Reason; !strings.Contains(r, "managed cluster") || !strings.Contains(r, "kube-apiserver") {
		t.Errorf("control-plane reason %q", r)
	}
	for _, c := range res.Checks {
		if c == "secret-cross" {
			t.Error("a cross-object check missing an input ran")
		}
	}
	var per []string
	for _, c := range res.CheckCoverage() {
		per = append(per, c.Check+"="+string(c.Status))
	}
	if got := strings.Join(per, " "); got != "apiserver-flag=nothing-to-judge apiserver-other=nothing-to-judge pod-check=partial pods-cross=partial scheduler-config=partial secret-cross=not-run" {
		t.Errorf("per check: %s", got)
	}
	if res.OpenGaps() != 5 {
		t.Errorf("open gaps %d", res.OpenGaps())
	}

	// A file scan does not report absent subjects; undecided objects it does.
	files := New(Options{Checks: checks}).Inventory(inv)
	if len(files.Coverage) != 1 || files.Coverage[0].ID != "kube-scheduler-config" {
		t.Errorf("file scan coverage %+v", files.Coverage)
	}

	// Accepted gaps go last, still reported; by kind name or resource.
	acc := run(ModeCluster, AcceptGap{ID: "PodTemplate", Reason: "none here", Origin: "--ignore-gap"},
		AcceptGap{ID: "Secrets", Reason: "metadata not needed", Origin: "cfg coverage.ignoreGaps[0]"},
		AcceptGap{ID: "nosuch", Reason: "typo", Origin: "--ignore-gap"})
	last := acc.Coverage[len(acc.Coverage)-2:]
	if last[0].Accepted == nil || last[1].Accepted == nil || last[0].ID != "secrets" || last[1].ID != "podtemplates" {
		t.Errorf("accepted gaps not last: %+v", acc.Coverage)
	}
	if acc.OpenGaps() != 3 || len(acc.UnmatchedAccepts) != 1 || acc.UnmatchedAccepts[0].ID != "nosuch" {
		t.Errorf("open %d, unmatched %+v", acc.OpenGaps(), acc.UnmatchedAccepts)
	}
	for _, c := range acc.CheckCoverage() {
		if c.Check == "pod-check" {
			t.Errorf("a check affected only by an accepted gap is still listed: %+v", c)
		}
	}
}
