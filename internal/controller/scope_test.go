package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestScopedRunsMatchFull holds check.Check.NamespaceLocal to its word on
// the 4,300 real objects of the shared corpus, read as a cluster's: after
// random changes in random namespaces (objects deleted, brought back,
// copied into another namespace, Deployments given another pod's labels,
// service account or SSH port), the findings of the namespace-local checks
// re-run over the changed namespaces alone are exactly those of a run over
// every object.
func TestScopedRunsMatchFull(t *testing.T) {
	objs := corpusObjects(t)

	c := New(Options{Checks: check.All()})
	c.engine = scan.New(scan.Options{Checks: c.opts.Checks, CheckOptions: c.opts.CheckOptions, Mode: scan.ModeCluster})
	var local []*check.Check
	for _, ch := range c.opts.Checks {
		if ch.Inventory != nil && namespaceLocal(ch) && c.engine.Runner.Runs(ch.ID) {
			local = append(local, ch)
		}
	}
	var namespaced []objKey
	spaces := map[string]bool{}
	for _, o := range objs {
		k := keyOf(o.Ref)
		c.objects[k] = o
		if k.scope() != "" {
			namespaced = append(namespaced, k)
			spaces[k.scope()] = true
		}
	}
	namespaces := slices.Sorted(func(yield func(string) bool) {
		for ns := range spaces {
			if !yield(ns) {
				return
			}
		}
	})
	c.runCross(local, time.Time{})
	before := countFindings(c, local)
	if before == 0 {
		t.Fatal("the namespace-local checks find nothing in the corpus: the comparison would prove nothing")
	}
	t.Logf("%d objects, %d namespaces, %d namespace-local checks, %d of their findings", len(c.objects), len(namespaces), len(local), before)

	const rounds = 20
	rng := rand.New(rand.NewPCG(13, 7))
	var gone []*inventory.Object
	changedRounds := 0
	for round := range rounds {
		prev := snapshotFindings(c, local)
		scopes := map[string][]*check.Check{}
		for range 4 {
			k, what := mutate(t, rng, c, &namespaced, &gone, namespaces)
			if k.scope() != "" {
				scopes[k.scope()] = local
			}
			t.Logf("round %d: %s %s %s", round, what, k.gk.Kind, k.cacheKey())
		}
		c.runScoped(scopes, map[string]time.Time{})
		scoped := snapshotFindings(c, local)
		c.runCross(local, time.Time{})
		full := snapshotFindings(c, local)
		if !sameSnapshot(prev, full) {
			changedRounds++
		}
		for _, key := range keysOf(scoped, full) {
			if !sameFindings(scoped[key], full[key]) {
				t.Errorf("round %d: %s: %d findings from the namespace re-run, %d from the full run:\n scoped %s\n full   %s",
					round, key, len(scoped[key]), len(full[key]), brief(scoped[key]), brief(full[key]))
			}
		}
	}
	if changedRounds == 0 {
		t.Fatal("no change altered a finding: the comparison proved nothing")
	}
	t.Logf("%d of %d rounds changed the findings", changedRounds, rounds)
}

// mutate makes one change to a namespaced object of the controller's
// world, as a cluster would, and returns the object changed.
func mutate(t *testing.T, rng *rand.Rand, c *Controller, namespaced *[]objKey, gone *[]*inventory.Object, namespaces []string) (objKey, string) {
	t.Helper()
	// A kind first, then one of its objects: the few RoleBindings and
	// NetworkPolicies, which reach into other namespaces, are picked as
	// often as the many ConfigMaps.
	pick := func() (objKey, *inventory.Object) {
		byKind := map[schema.GroupKind][]objKey{}
		var kinds []schema.GroupKind
		for _, k := range *namespaced {
			if c.objects[k] == nil {
				continue
			}
			if byKind[k.gk] == nil {
				kinds = append(kinds, k.gk)
			}
			byKind[k.gk] = append(byKind[k.gk], k)
		}
		keys := byKind[kinds[rng.IntN(len(kinds))]]
		k := keys[rng.IntN(len(keys))]
		return k, c.objects[k]
	}
	put := func(o *inventory.Object) objKey {
		k := keyOf(o.Ref)
		c.objects[k] = o
		if !slices.Contains(*namespaced, k) {
			*namespaced = append(*namespaced, k)
		}
		return k
	}
	grantee := func() (*appsv1.Deployment, string) {
		for range 100 {
			if _, o := pick(); o.Typed != nil {
				if d, ok := o.Typed.(*appsv1.Deployment); ok {
					return d, namespaces[rng.IntN(len(namespaces))]
				}
			}
		}
		return nil, ""
	}
	switch rng.IntN(7) {
	case 5: // a RoleBinding in another namespace grants a workload's service account
		if d, ns := grantee(); d != nil {
			sa := d.Spec.Template.Spec.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			rb := &rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("grant-%d", rng.Int())},
				RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: d.Namespace}}}
			o, err := inventory.New(rb, inventory.Source{Cluster: "corpus"})
			if err != nil {
				t.Fatal(err)
			}
			return put(o), "granted " + d.Namespace + "/" + sa + " by"
		}
	case 6: // a NetworkPolicy lets in a workload's pods from any namespace
		if d, ns := grantee(); d != nil && len(d.Spec.Template.Labels) > 0 {
			np := &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("from-%d", rng.Int())},
				Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
					Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{},
						PodSelector:       &metav1.LabelSelector{MatchLabels: d.Spec.Template.Labels}}}}}}}
			o, err := inventory.New(np, inventory.Source{Cluster: "corpus"})
			if err != nil {
				t.Fatal(err)
			}
			return put(o), "let in " + d.Namespace + "/" + d.Name + " by"
		}
	}
	switch rng.IntN(5) {
	case 0: // deleted
		k, o := pick()
		delete(c.objects, k)
		*gone = append(*gone, o)
		return k, "deleted"
	case 1: // brought back
		if len(*gone) > 0 {
			i := rng.IntN(len(*gone))
			o := (*gone)[i]
			*gone = slices.Delete(*gone, i, i+1)
			return put(o), "restored"
		}
	case 2: // copied into another namespace
		_, o := pick()
		if o.Typed != nil && o.Namespace != "" {
			ns := namespaces[rng.IntN(len(namespaces))]
			cp := o.Typed.DeepCopyObject()
			acc, err := meta.Accessor(cp)
			if err != nil {
				t.Fatal(err)
			}
			acc.SetNamespace(ns)
			n, err := inventory.New(cp, o.Source)
			if err != nil {
				t.Fatal(err)
			}
			return put(n), "copied to " + ns
		}
	}
	// A Deployment changed in place.
	var deps []*inventory.Object
	for _, k := range *namespaced {
		if o := c.objects[k]; o != nil && k.gk == inventory.KindDeployment {
			if _, ok := o.Typed.(*appsv1.Deployment); ok {
				deps = append(deps, o)
			}
		}
	}
	if len(deps) < 2 {
		k, _ := pick()
		return k, "untouched"
	}
	o, other := deps[rng.IntN(len(deps))], deps[rng.IntN(len(deps))]
	d := o.Typed.(*appsv1.Deployment).DeepCopy()
	what := "relabelled"
	switch rng.IntN(3) {
	case 0:
		d.Spec.Template.Labels = other.Typed.(*appsv1.Deployment).Spec.Template.Labels
	case 1:
		d.Spec.Template.Spec.ServiceAccountName = other.Typed.(*appsv1.Deployment).Spec.Template.Spec.ServiceAccountName
		what = "given another service account"
	default:
		if len(d.Spec.Template.Spec.Containers) > 0 {
			c0 := &d.Spec.Template.Spec.Containers[0]
			c0.Ports = append(c0.Ports, corev1.ContainerPort{Name: "ssh", ContainerPort: 22})
		}
		what = "given port 22"
	}
	n, err := inventory.New(d, o.Source)
	if err != nil {
		t.Fatal(err)
	}
	return put(n), what
}

func countFindings(c *Controller, checks []*check.Check) int {
	n := 0
	for _, fs := range snapshotFindings(c, checks) {
		n += len(fs)
	}
	return n
}

// snapshotFindings copies the checks' findings, by check and namespace.
func snapshotFindings(c *Controller, checks []*check.Check) map[string][]check.Finding {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]check.Finding{}
	for _, ch := range checks {
		for ns, fs := range c.crossFindings[ch.ID] {
			out[ch.ID+" in namespace "+fmt.Sprintf("%q", ns)] = slices.Clone(fs)
		}
	}
	return out
}

func sameSnapshot(a, b map[string][]check.Finding) bool {
	for _, k := range keysOf(a, b) {
		if !sameFindings(a[k], b[k]) {
			return false
		}
	}
	return true
}

func keysOf(a, b map[string][]check.Finding) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func brief(fs []check.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Object.String() + " " + f.Path + ": " + f.Message
	}
	sort.Strings(out)
	return out
}

// corpusObjects are the objects of the shared corpus, sorted, read as a
// cluster's.
func corpusObjects(tb testing.TB) []*inventory.Object {
	tb.Helper()
	dir := sharedtest.Dir(tb, "corpus")
	l, err := loader.New(loader.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var objs []*inventory.Object
	if _, err := l.Load([]string{dir}, func(schema.GroupKind) bool { return true }, &diag.Log{}, func(_ int, o *inventory.Object) {
		o.Source.Cluster = "corpus" // judged as a live cluster's objects are
		mu.Lock()
		objs = append(objs, o)
		mu.Unlock()
	}); err != nil {
		tb.Fatal(err)
	}
	inventory.SortObjects(objs)
	return objs
}
