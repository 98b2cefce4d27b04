package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

func TestEmbeddedDecodes(t *testing.T) {
	d, err := bootstrap.Load()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, cr := range d.ClusterRoles {
		names[cr.Name] = true
	}
	for _, want := range []string{"cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery"} {
		if !names[want] {
			t.Errorf("embedded bootstrap data lacks ClusterRole %q", want)
		}
	}
	for _, cr := range d.ClusterRoles {
		if cr.AggregationRule != nil && len(cr.Rules) == 0 && cr.Name != "system:aggregate-to-admin" {
			t.Errorf("aggregated ClusterRole %q has no rules: was the dump taken before kube-controller-manager filled it?", cr.Name)
		}
	}
	found := false
	for _, r := range d.Resources {
		if r.Group == "" && r.Name == "pods/exec" {
			found = true
		}
	}
	if !found {
		t.Error("embedded resources lack pods/exec")
	}
}

// Dump reads the bootstrap state of a fresh cluster, normalised as embedded.
func Dump(t *testing.T, cs kubernetes.Interface) *bootstrap.Data {
	t.Helper()
	ctx := context.Background()
	d := &bootstrap.Data{ServerVersion: kubernetesVersion(t)}
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range crs.Items {
		o.ObjectMeta = strip(o.ObjectMeta)
		d.ClusterRoles = append(d.ClusterRoles, o)
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range crbs.Items {
		o.ObjectMeta = strip(o.ObjectMeta)
		d.ClusterRoleBindings = append(d.ClusterRoleBindings, o)
	}
	rs, err := cs.RbacV1().Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rs.Items {
		o.ObjectMeta = strip(o.ObjectMeta)
		d.Roles = append(d.Roles, o)
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rbs.Items {
		o.ObjectMeta = strip(o.ObjectMeta)
		d.RoleBindings = append(d.RoleBindings, o)
	}
	sort.Slice(d.ClusterRoles, func(i, j int) bool { return d.ClusterRoles[i].Name < d.ClusterRoles[j].Name })
	sort.Slice(d.ClusterRoleBindings, func(i, j int) bool { return d.ClusterRoleBindings[i].Name < d.ClusterRoleBindings[j].Name })
	sort.Slice(d.Roles, func(i, j int) bool {
		return d.Roles[i].Namespace+"/"+d.Roles[i].Name < d.Roles[j].Namespace+"/"+d.Roles[j].Name
	})
	sort.Slice(d.RoleBindings, func(i, j int) bool {
		return d.RoleBindings[i].Namespace+"/"+d.RoleBindings[i].Name < d.RoleBindings[j].Namespace+"/"+d.RoleBindings[j].Name
	})

	_, lists, err := cs.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			d.Resources = append(d.Resources, bootstrap.Resource{Group: gv.Group, Version: gv.Version, Name: r.Name,
				Kind: r.Kind, Namespaced: r.Namespaced, Verbs: r.Verbs, SingularName: r.SingularName, ShortNames: r.ShortNames})
		}
	}
	sort.Slice(d.Resources, func(i, j int) bool {
		a, b := d.Resources[i], d.Resources[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Name < b.Name
	})
	return d
}

// kubernetesVersion is the k8s.io/kubernetes version the test binaries are
// built from (the binaries themselves report no version: they are built
// without the release ldflags).
func kubernetesVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "test", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("test/go.mod does not require k8s.io/kubernetes")
	}
	return string(m[1])
}

func strip(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, Annotations: m.Annotations}
}

// waitAggregated waits until kube-controller-manager has filled every
// aggregated ClusterRole: until each holds what aggregating the served
// ClusterRoles gives, the controller's own fixed point. (Waiting for the
// roles to stop changing for a few seconds is not enough: a controller
// starved of CPU on a loaded machine can pause longer than that mid-way,
// and the dump then holds a half-filled admin.)
func waitAggregated(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	var diff string
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		crs, err := cs.RbacV1().ClusterRoles().List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var in rbac.Input
		served := map[string]*rbacv1.ClusterRole{}
		for i := range crs.Items {
			in.ClusterRoles = append(in.ClusterRoles, &crs.Items[i])
			served[crs.Items[i].Name] = &crs.Items[i]
		}
		diff = ""
		for _, r := range rbac.Build(in, rbac.Options{}).Roles() {
			cr := served[r.Ref.Name]
			if r.Ref.Kind != "ClusterRole" || cr == nil || cr.AggregationRule == nil {
				continue
			}
			if !(len(r.Rules) == 0 && len(cr.Rules) == 0) && !reflect.DeepEqual(r.Rules, cr.Rules) {
				diff += fmt.Sprintf("\n%s: %d rules served, %d aggregated", cr.Name, len(cr.Rules), len(r.Rules))
			}
		}
		if diff == "" {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("aggregated ClusterRoles not filled within 2 minutes:%s", diff)
}

func TestBootstrapMatchesServer(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	cs := c.Client()
	waitAggregated(t, cs)
	live := Dump(t, cs)
	got, err := json.MarshalIndent(live, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if os.Getenv("KUBEWARD_UPDATE_BOOTSTRAP") != "" {
		if err := os.WriteFile(bootstrap.FileName, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s from %s", bootstrap.FileName, live.ServerVersion)
		return
	}
	emb, err := os.ReadFile(bootstrap.FileName)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(emb, got) {
		return
	}
	d, err := bootstrap.Load()
	if err != nil {
		t.Fatal(err)
	}
	diffNamed(t, "ClusterRole", d.ClusterRoles, live.ClusterRoles, func(o rbacv1.ClusterRole) string { return o.Name })
	diffNamed(t, "ClusterRoleBinding", d.ClusterRoleBindings, live.ClusterRoleBindings, func(o rbacv1.ClusterRoleBinding) string { return o.Name })
	diffNamed(t, "Role", d.Roles, live.Roles, func(o rbacv1.Role) string { return o.Namespace + "/" + o.Name })
	diffNamed(t, "RoleBinding", d.RoleBindings, live.RoleBindings, func(o rbacv1.RoleBinding) string { return o.Namespace + "/" + o.Name })
	diffNamed(t, "resource", d.Resources, live.Resources, func(o bootstrap.Resource) string { return o.Group + "/" + o.Version + "/" + o.Name })
	t.Errorf("embedded %s differs from a live %s API server; regenerate with KUBEWARD_UPDATE_BOOTSTRAP=1", bootstrap.FileName, live.ServerVersion)
}

func diffNamed[T any](t *testing.T, kind string, emb, live []T, key func(T) string) {
	t.Helper()
	em := map[string]T{}
	for _, o := range emb {
		em[key(o)] = o
	}
	for _, o := range live {
		k := key(o)
		e, ok := em[k]
		switch {
		case !ok:
			t.Errorf("%s %s is served but not embedded", kind, k)
		case !reflect.DeepEqual(e, o):
			t.Errorf("%s %s differs:\nembedded %+v\nlive     %+v", kind, k, e, o)
		}
		delete(em, k)
	}
	for k := range em {
		t.Errorf("%s %s is embedded but not served", kind, k)
	}
}
