package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/kubeward/kubeward/internal/scan"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"github.com/prometheus/client_golang/prometheus/testutil"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// TestAPIServerRestartConverges: the API server goes away and comes back
// (its watches end, the informers relist); changes made after it returns
// reach the reports, written as wgpolicyk8s.io/v1alpha2 PolicyReports, and
// the reports end equal to `scan --cluster`, with no duplicated results,
// and stay put once converged; the framework's ClusterPolicyReport follows.
func TestAPIServerRestartConverges(t *testing.T) {
	kubetest.SkipIfShort(t)
	cl, cs := shop(t, kubetest.Options{}, wgpolicyCRDs(t), "old")
	ctx := context.Background()
	f := policyreport.WGPolicy
	pss, err := framework.Get("pss-baseline")
	if err != nil {
		t.Fatal(err)
	}
	start(t, cl, func(o *Options) { o.Flavor, o.Frameworks = f, []*framework.Framework{pss} })
	read := reportReader(t, cl, f, "shop")

	eventually(t, "the first report", func() error {
		if rs, _ := read(); !has(rs, result{Policy: "pss-privileged", Name: "old"}) {
			return fmt.Errorf("none in %+v", rs)
		}
		return nil
	})

	if err := cl.RestartAPIServer(); err != nil {
		t.Fatal(err)
	}
	if err := cs.AppsV1().Deployments("shop").Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, deployment("new", true, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var settled string
	eventually(t, "converged after the restart", func() error {
		got, rv := read()
		want := scanResults(t, cl, "shop")
		if !has(got, result{Policy: "pss-privileged", Name: "new"}) || !sameResults(got, want) {
			return fmt.Errorf("report:\n%+v\nscan:\n%+v", got, want)
		}
		settled = rv
		return nil
	})
	eventually(t, "the framework's ClusterPolicyReport fails on the new Deployment", func() error {
		x, _, err := frameworkControl(ctx, cl.Config, f, "pss-baseline", "3")
		if err != nil {
			return err
		}
		if x.Result != "fail" || len(x.Subjects) != 1 || x.Subjects[0].Name != "new" {
			return fmt.Errorf("control 3: %s on %+v", x.Result, x.Subjects)
		}
		return nil
	})
	expectSettled(t, read, settled)
}

// reportReader reads a namespace's results and the resourceVersions of its
// reports (a change of either is a write); an error of the API reads as no
// report, which the callers' conditions do not accept.
func reportReader(t testing.TB, cl *kubetest.Cluster, f policyreport.Flavor, ns string) func() ([]result, string) {
	return func() ([]result, string) {
		rs, err := reports(context.Background(), cl.Config, f, ns)
		if err != nil {
			t.Logf("reading the reports: %v", err)
			return nil, ""
		}
		rv := ""
		for _, r := range rs {
			rv += r.ResourceVersion + ","
		}
		return results(rs), rv
	}
}

// expectSettled: converged reports hold no duplicated result and stay put,
// nothing rewritten without a change (several debounce periods and a
// relist's worth of time).
func expectSettled(t testing.TB, read func() ([]result, string), settled string) {
	t.Helper()
	got, _ := read()
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Errorf("a duplicated result: %+v", got[i])
		}
	}
	time.Sleep(2 * time.Second)
	if _, rv := read(); rv != settled {
		t.Errorf("the report was rewritten without a change: resourceVersion %s, then %s", settled, rv)
	}
}

// TestLeaderElection: two controllers elect one writer; when it stops,
// the other takes over without rewriting what it finds written (the
// framework's report neither), so the report never loses a result and
// each result keeps its first-seen time; then the new leader writes the
// next change.
func TestLeaderElection(t *testing.T) {
	kubetest.SkipIfShort(t)
	cl, cs := shop(t, kubetest.Options{}, reportsModuleCRDs(t), "web")
	ctx := context.Background()
	pss, err := framework.Get("pss-baseline")
	if err != nil {
		t.Fatal(err)
	}
	elect := func(id string) func(*Options) {
		return func(o *Options) {
			o.Frameworks = []*framework.Framework{pss}
			o.Election = &Election{Namespace: "default", Name: "kubeward-controller", Identity: id,
				LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond}
		}
	}
	rs := map[string]*running{"a": start(t, cl, elect("a")), "b": start(t, cl, elect("b"))}
	f := policyreport.OpenReports
	eventually(t, "the first report", func() error {
		got, err := reports(ctx, cl.Config, f, "shop")
		if err != nil {
			return err
		}
		if !has(results(got), result{Policy: "pss-privileged", Name: "web"}) {
			return fmt.Errorf("none in %+v", results(got))
		}
		return nil
	})
	leaders := func() []string {
		var out []string
		for id, r := range rs {
			if r.c.writer.leader.Load() {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return out
	}
	var leader string
	eventually(t, "one leader", func() error {
		if l := leaders(); len(l) != 1 {
			return fmt.Errorf("leaders %v", l)
		}
		leader = leaders()[0]
		return nil
	})
	lease, err := cs.CoordinationV1().Leases("default").Get(ctx, "kubeward-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != leader {
		t.Fatalf("the Lease is held by %v, the writing replica is %s", lease.Spec.HolderIdentity, leader)
	}

	// Record every version of the report from here on.
	dyn, err := dynamic.NewForConfig(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dyn.Resource(f.GVR(true)).Namespace("shop").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wch, err := dyn.Resource(f.GVR(true)).Namespace("shop").Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	fwList, err := dyn.Resource(f.GVR(false)).List(ctx, metav1.ListOptions{LabelSelector: policyreport.FrameworkLabel})
	if err != nil {
		t.Fatal(err)
	}
	if len(fwList.Items) != 1 {
		t.Fatalf("%d framework reports before the handover", len(fwList.Items))
	}
	fwch, err := dyn.Resource(f.GVR(false)).Watch(ctx, metav1.ListOptions{LabelSelector: policyreport.FrameworkLabel, ResourceVersion: fwList.GetResourceVersion()})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		versions []reportsv1alpha1.Report
		events   []watch.EventType
		// Each version of the framework's report: its event and the
		// objects its Privileged Containers control fails on.
		fwVersions []string
	)
	fwWatched := recordReports(t, fwch, func(ev watch.EventType, r *reportsv1alpha1.Report) {
		names := []string{string(ev)}
		for _, x := range r.Results {
			if x.Rule == "3" {
				for _, s := range x.Subjects {
					names = append(names, s.Name)
				}
			}
		}
		mu.Lock()
		fwVersions = append(fwVersions, strings.Join(names, " "))
		mu.Unlock()
	})
	watched := recordReports(t, wch, func(ev watch.EventType, r *reportsv1alpha1.Report) {
		mu.Lock()
		versions = append(versions, *r)
		events = append(events, ev)
		mu.Unlock()
	})
	before, err := reports(ctx, cl.Config, f, "shop")
	if err != nil {
		t.Fatal(err)
	}

	rs[leader].stop(t)
	other := map[string]string{"a": "b", "b": "a"}[leader]
	eventually(t, "the other replica leads", func() error {
		if !rs[other].c.writer.leader.Load() {
			return fmt.Errorf("%s does not lead", other)
		}
		return nil
	})
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, deployment("api", true, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new leader writes the next change", func() error {
		got, err := reports(ctx, cl.Config, f, "shop")
		if err != nil {
			return err
		}
		if !has(results(got), result{Policy: "pss-privileged", Name: "api"}) {
			return fmt.Errorf("none in %+v", results(got))
		}
		return nil
	})
	eventually(t, "the new leader writes the framework's report", func() error {
		x, _, err := frameworkControl(ctx, cl.Config, f, "pss-baseline", "3")
		if err != nil {
			return err
		}
		if len(x.Subjects) != 2 {
			return fmt.Errorf("control 3 fails on %+v", x.Subjects)
		}
		return nil
	})
	// The new leader rewrote nothing it found: an apply that changes
	// nothing is no watch event, so each of its applies must be one of the
	// versions seen (the change's: a namespace report may be written twice
	// for it, once its cross-object results arrive).
	eventually(t, "every apply of the new leader a new version", func() error {
		mu.Lock()
		seen := len(versions) + len(fwVersions)
		mu.Unlock()
		if n := testutil.ToFloat64(rs[other].c.metrics.writes.WithLabelValues("apply", "ok")); int(n) != seen {
			return fmt.Errorf("%v applies, %d versions", n, seen)
		}
		return nil
	})
	wch.Stop()
	<-watched
	fwch.Stop()
	<-fwWatched
	// Written once, with the change.
	if got := fwVersions; !slices.Equal(got, []string{"MODIFIED api web"}) {
		t.Errorf("the framework's report during the handover: %q", got)
	}

	firstSeen := func(r *reportsv1alpha1.Report, name string) (int64, bool) {
		for _, x := range r.Results {
			if x.Policy == "pss-privileged" && len(x.Subjects) > 0 && x.Subjects[0].Name == name {
				return x.Timestamp.Seconds, true
			}
		}
		return 0, false
	}
	since, ok := firstSeen(&before[0], "web")
	if !ok {
		t.Fatalf("no result for web in %+v", before[0].Results)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(versions) == 0 {
		t.Fatal("the new leader's change was never seen")
	}
	for i := range versions {
		if events[i] != watch.Modified {
			t.Errorf("report event %s: a report was deleted or created again during the handover", events[i])
		}
		ts, ok := firstSeen(&versions[i], "web")
		if !ok {
			t.Errorf("version %s of the report lost web's result: %+v", versions[i].ResourceVersion, versions[i].Results)
		} else if ts != since {
			t.Errorf("version %s of the report moved web's first-seen time from %d to %d", versions[i].ResourceVersion, since, ts)
		}
		if _, ok := firstSeen(&versions[i], "api"); !ok {
			t.Errorf("version %s was written without the change (a rewrite of what the new leader found)", versions[i].ResourceVersion)
		}
	}
}

// recordReports decodes the reports a watch sends and passes each on,
// until the watch stops; the channel closes then.
func recordReports(t *testing.T, w watch.Interface, each func(watch.EventType, *reportsv1alpha1.Report)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			var r reportsv1alpha1.Report
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
				t.Error(err)
				continue
			}
			each(ev.Type, &r)
		}
	}()
	return done
}

// TestUnwatchableKindIsAGap: an identity that may list Secrets but not
// watch them (a cluster scan's role) gets no informer for them, which
// would retry for ever: the controller starts, the checks that read
// Secrets are coverage gaps in the cluster report, with the grant that
// closes them (watch secrets), and the other checks still report.
func TestUnwatchableKindIsAGap(t *testing.T) {
	kubetest.SkipIfShort(t)
	cl, cs := shop(t, kubetest.Options{}, reportsModuleCRDs(t), "web")
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kubeward-limited"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list"}},
		// The verbs the chart grants on reports.
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"create", "patch", "delete"}},
	}}
	// Watch on everything but Secrets: RBAC has no exclusions, so list the
	// resources the checks read.
	kinds, _ := scan.ClusterInputs(check.Defaults())
	dc := cs.Discovery()
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lists {
		gv, _ := schema.ParseGroupVersion(l.GroupVersion)
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || r.Name == "secrets" || !slices.Contains(kinds, schema.GroupKind{Group: gv.Group, Kind: r.Kind}) {
				continue
			}
			role.Rules = append(role.Rules, rbacv1.PolicyRule{APIGroups: []string{gv.Group}, Resources: []string{r.Name}, Verbs: []string{"watch"}})
		}
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kubeward-limited"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "kubeward"}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kubeward-limited"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := start(t, cl, func(o *Options) { o.Config = cl.UserConfig("kubeward") })
	eventually(t, "the other checks report", func() error {
		got, err := reports(ctx, cl.Config, policyreport.OpenReports, "shop")
		if err != nil {
			return err
		}
		if !has(results(got), result{Policy: "pss-privileged", Name: "web"}) {
			return fmt.Errorf("none in %+v", results(got))
		}
		return nil
	})
	r.c.mu.Lock()
	var gap *scan.Gap
	for i := range r.c.coverage {
		if r.c.coverage[i].ID == "secrets" {
			gap = &r.c.coverage[i]
		}
	}
	r.c.mu.Unlock()
	if gap == nil || gap.Grant == nil || !slices.Equal(gap.Grant.Verbs, []string{"watch"}) || gap.Checks() == 0 || !strings.Contains(gap.Reason, "forbidden to watch") {
		t.Fatalf("the secrets gap: %+v", gap)
	}
	eventually(t, "the gap's checks in the cluster report", func() error {
		got, err := reports(ctx, cl.Config, policyreport.OpenReports, "")
		if err != nil {
			return err
		}
		for _, rep := range got {
			for _, x := range rep.Results {
				if x.Properties["coverage"] != "" && strings.Contains(x.Description, "forbidden to watch") {
					return nil
				}
			}
		}
		return fmt.Errorf("no coverage result for the secrets gap")
	})
}
