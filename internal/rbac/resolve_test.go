package rbac

import (
	"testing"

	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
)

// Resolve names resources as kubectl's discovery RESTMapper does before
// kubectl auth can-i asks (shortcut expansion, then plural or singular, core
// group first).
func TestResolve(t *testing.T) {
	cat, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		resource, group string
		want            string // Attributes.String of the result
		note            bool
	}{
		{"deployments", "", "get deployments.apps cluster-wide", false},
		{"deploy", "", "get deployments.apps cluster-wide", false},
		{"Deployment", "", "get deployments.apps cluster-wide", false},
		{"deployments", "v1.apps", "get deployments.apps cluster-wide", false},
		{"deploy", "apps", "get deployments.apps cluster-wide", false},
		{"Deployments", "Apps", "get deployments.apps cluster-wide", false},
		{"pods", "", "get pods cluster-wide", false},
		{"po", "", "get pods cluster-wide", false},
		{"pod", "", "get pods cluster-wide", false},
		// events are served by the core group and events.k8s.io: core wins.
		{"events", "", "get events cluster-wide", false},
		{"ev", "", "get events cluster-wide", false},
		{"events", "events.k8s.io", "get events.events.k8s.io cluster-wide", false},
		{"hpa", "", "get horizontalpodautoscalers.autoscaling cluster-wide", false},
		{"horizontalpodautoscalers", "v2.autoscaling", "get horizontalpodautoscalers.autoscaling cluster-wide", false},
		{"crd", "", "get customresourcedefinitions.apiextensions.k8s.io cluster-wide", false},
		{"netpol", "", "get networkpolicies.networking.k8s.io cluster-wide", false},
		// Not served: asked as written; a custom resource's group is not
		// known, so nothing is said about it.
		{"widgets", "", "get widgets cluster-wide", true},
		{"widgets", "apps", "get widgets.apps cluster-wide", true},
		{"widgets", "example.com", "get widgets.example.com cluster-wide", false},
		{"deployments", "v9.apps", "get deployments.v9.apps cluster-wide", false},
		{"*", "", "get * cluster-wide", false},
	}
	for _, tc := range tests {
		got, note := cat.Resolve(Attributes{Verb: "get", Resource: tc.resource, APIGroup: tc.group})
		if got.String() != tc.want || (note != "") != tc.note {
			t.Errorf("%s.%s: got %q note %q, want %q (note %v)", tc.resource, tc.group, got, note, tc.want, tc.note)
		}
	}
	got, _ := cat.Resolve(Attributes{Verb: "create", Resource: "Pods", Subresource: "Exec", Namespace: "shop"})
	if got.String() != "create pods/exec in namespace shop" {
		t.Errorf("subresource: got %q", got)
	}
	// kubectl's TYPE/NAME: a part after the slash that is no subresource
	// of the resource is the object's name.
	for _, tc := range []struct {
		a    Attributes
		want string
		note bool
	}{
		{Attributes{Verb: "get", Resource: "secrets", Subresource: "db", Namespace: "shop"}, "get secrets db in namespace shop", true},
		{Attributes{Verb: "get", Resource: "deploy", Subresource: "web", Namespace: "shop"}, "get deployments.apps web in namespace shop", true},
		{Attributes{Verb: "patch", Resource: "deploy", Subresource: "scale", Namespace: "shop"}, "patch deployments.apps/scale in namespace shop", false},
		{Attributes{Verb: "update", Resource: "pods", Subresource: "finalizers"}, "update pods/finalizers cluster-wide", false},
		{Attributes{Verb: "get", Resource: "pods", Subresource: "web", Name: "x"}, "get pods/web x cluster-wide", false},
		{Attributes{Verb: "get", Resource: "widgets", APIGroup: "example.com", Subresource: "status"}, "get widgets.example.com/status cluster-wide", false},
	} {
		got, note := cat.Resolve(tc.a)
		if got.String() != tc.want || (note != "") != tc.note {
			t.Errorf("%+v: got %q note %q, want %q (note %v)", tc.a, got, note, tc.want, tc.note)
		}
	}
	if got, _ := cat.Resolve(Attributes{Verb: "get", NonResource: true, Path: "/Healthz"}); got.Path != "/Healthz" {
		t.Errorf("a non-resource URL changed: %q", got.Path)
	}
}

// A custom resource that shares its name with a built-in one (Calico's
// networkpolicies.crd.projectcalico.org) does not take the name over:
// kubectl's mapper prefers the groups the API server lists first, and it
// lists built-in groups before those of CRDs, whatever their names.
func TestResolvePrefersBuiltInGroups(t *testing.T) {
	cat, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	cat.AddServed(bootstrap.Resource{Group: "crd.projectcalico.org", Version: "v1", Name: "networkpolicies", SingularName: "networkpolicy",
		Kind: "NetworkPolicy", Namespaced: true})
	cat.AddServed(bootstrap.Resource{Group: "aaa.example.com", Version: "v1", Name: "deployments", SingularName: "deployment",
		Kind: "Deployment", Namespaced: true, ShortNames: []string{"deploy"}})
	for res, want := range map[string]string{
		"networkpolicies": "get networkpolicies.networking.k8s.io cluster-wide",
		"networkpolicy":   "get networkpolicies.networking.k8s.io cluster-wide",
		"deploy":          "get deployments.apps cluster-wide",
		"deployments":     "get deployments.apps cluster-wide",
	} {
		if got, _ := cat.Resolve(Attributes{Verb: "get", Resource: res}); got.String() != want {
			t.Errorf("%s: got %q, want %q", res, got, want)
		}
	}
	// Named with its group, the custom resource is still reachable.
	if got, _ := cat.Resolve(Attributes{Verb: "get", Resource: "networkpolicies", APIGroup: "crd.projectcalico.org"}); got.APIGroup != "crd.projectcalico.org" {
		t.Errorf("with its group: got %q", got)
	}
}
