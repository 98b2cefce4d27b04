package inventory

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// live builds the map of a custom resource as an API server answers it:
// the template at its path, JSON numbers as int64.
func live(gk schema.GroupKind, version string, at []string, template map[string]any, extra map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(gk.WithVersion(version))
	u.SetName("w")
	u.SetNamespace("shop")
	if template != nil {
		if err := unstructured.SetNestedField(u.Object, template, at...); err != nil {
			panic(err)
		}
	}
	for k, v := range extra {
		if err := unstructured.SetNestedField(u.Object, v, "spec", k); err != nil {
			panic(err)
		}
	}
	return u
}

func podTemplate(containers ...string) map[string]any {
	var cs []any
	for _, c := range containers {
		cs = append(cs, map[string]any{"name": c, "image": "app:1", "securityContext": map[string]any{"privileged": true, "runAsUser": int64(1000)}})
	}
	return map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "w"}}, "spec": map[string]any{"containers": cs}}
}

// TestNewLive: every workload custom resource of the table read from an
// API server (a cluster scan, an admission review) has its pod template at
// each path its project's types give, converted to a PodTemplateSpec (a
// PodSpec with the object's own metadata for Knative's Revision).
func TestNewLive(t *testing.T) {
	versions := map[string]string{"apps.openshift.io": "v1", "argoproj.io": "v1alpha1", "apps.kruise.io": "v1beta1", "keda.sh": "v1alpha1", "serving.knative.dev": "v1"}
	for _, w := range customWorkloads {
		for _, at := range w.Templates {
			t.Run(w.Kind.String()+"/"+at.String(), func(t *testing.T) {
				tmpl, specAt, metaAt := podTemplate("app"), at.String()+".spec", at.String()+".metadata"
				if w.Inline {
					tmpl, specAt, metaAt = tmpl["spec"].(map[string]any), at.String(), "metadata"
				}
				u := live(w.Kind, versions[w.Kind.Group], fieldNames(at), tmpl, nil)
				u.SetLabels(map[string]string{"app": "w"})
				o, err := NewLive(u, Source{Cluster: "c"})
				if err != nil {
					t.Fatal(err)
				}
				if o.Raw == nil || o.Namespace != "shop" || o.Name != "w" {
					t.Errorf("object %+v", o.Ref)
				}
				if len(o.Pods()) != 1 {
					t.Fatalf("%d pods, want 1", len(o.Pods()))
				}
				p := o.Pods()[0]
				c := p.Containers()[0]
				if want := specAt + ".containers[0]"; c.Path.String() != want || c.Image != "app:1" || !*c.SecurityContext.Privileged || *c.SecurityContext.RunAsUser != 1000 {
					t.Errorf("container %s at %s, want app:1 privileged as 1000 at %s", c.Image, c.Path, want)
				}
				if p.Meta.Labels["app"] != "w" || p.MetaPath.String() != metaAt {
					t.Errorf("template metadata %v at %s, want at %s", p.Meta.Labels, p.MetaPath, metaAt)
				}
				if !slices.Contains(WorkloadKinds, w.Kind) {
					t.Errorf("%s is not among WorkloadKinds: no pod check would see it", w.Kind)
				}
			})
		}
	}
}

// TestNewLiveAdvancedCronJobBoth: an AdvancedCronJob's API takes one of
// its templates; one that holds both has both judged.
func TestNewLiveAdvancedCronJobBoth(t *testing.T) {
	acj := schema.GroupKind{Group: "apps.kruise.io", Kind: "AdvancedCronJob"}
	u := live(acj, "v1beta1", []string{"spec", "template", "jobTemplate", "spec", "template"}, podTemplate("job"), nil)
	if err := unstructured.SetNestedField(u.Object, podTemplate("bcj"), "spec", "template", "broadcastJobTemplate", "spec", "template"); err != nil {
		t.Fatal(err)
	}
	o, err := NewLive(u, Source{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range o.Pods() {
		got = append(got, p.Containers()[0].Path.String())
	}
	want := []string{"spec.template.jobTemplate.spec.template.spec.containers[0]", "spec.template.broadcastJobTemplate.spec.template.spec.containers[0]"}
	if !slices.Equal(got, want) {
		t.Errorf("containers at %q, want %q", got, want)
	}
}

// TestLegacyDeploymentConfig: OpenShift 3's "apiVersion: v1" DeploymentConfig
// is apps.openshift.io's, read as one; no other kind of the core group is
// moved.
func TestLegacyDeploymentConfig(t *testing.T) {
	for _, tt := range []struct {
		apiVersion, kind string
		want             schema.GroupKind
	}{
		{"v1", "DeploymentConfig", deploymentConfig},
		{"apps.openshift.io/v1", "DeploymentConfig", deploymentConfig},
		{"v1", "Pod", KindPod},
		{"v1", "Deployment", schema.GroupKind{Kind: "Deployment"}},
		{"v1beta3", "DeploymentConfig", schema.GroupKind{Kind: "DeploymentConfig"}},
		{"example.com/v1", "DeploymentConfig", schema.GroupKind{Group: "example.com", Kind: "DeploymentConfig"}},
	} {
		if got := (Ref{APIVersion: tt.apiVersion, Kind: tt.kind}).GroupKind(); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.apiVersion, tt.kind, got, tt.want)
		}
	}
	u := live(schema.GroupKind{Kind: "DeploymentConfig"}, "v1", []string{"spec", "template"}, podTemplate("app"), nil)
	o, err := NewLive(u, Source{})
	if err != nil || len(o.Pods()) != 1 || o.APIVersion != "v1" {
		t.Errorf("legacy DeploymentConfig: %d pods, apiVersion %s, %v", len(o.Pods()), o.APIVersion, err)
	}
}

// TestNewLiveWithoutTemplate: a Rollout whose pods come from a referenced
// Deployment (spec.workloadRef) has no template of its own; a template that
// does not convert leaves the object without pods and says so; a kind
// outside the table is a plain custom resource.
func TestNewLiveWithoutTemplate(t *testing.T) {
	rollout := schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}
	ref := live(rollout, "v1alpha1", nil, nil, map[string]any{"workloadRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}})
	if o, err := NewLive(ref, Source{}); err != nil || len(o.Pods()) != 0 {
		t.Errorf("workloadRef: %d pods, %v", len(o.Pods()), err)
	}
	bad := live(rollout, "v1alpha1", []string{"spec", "template"}, map[string]any{"spec": map[string]any{"containers": "web"}}, nil)
	o, err := NewLive(bad, Source{})
	if err == nil || o == nil || len(o.Pods()) != 0 || !strings.Contains(err.Error(), "spec.template is not a pod template") {
		t.Errorf("a template of the wrong shape: %v", err)
	}
	other := live(schema.GroupKind{Group: "example.com", Kind: "Rollout"}, "v1", []string{"spec", "template"}, podTemplate("app"), nil)
	if o, err := NewLive(other, Source{}); err != nil || len(o.Pods()) != 0 || o.Raw == nil {
		t.Errorf("another group's Rollout: %v", err)
	}
}

// TestKnativeContainerNames: Knative names unnamed containers as its
// RevisionSpec.SetDefaults does, and keeps the names written.
func TestKnativeContainerNames(t *testing.T) {
	svc := schema.GroupKind{Group: "serving.knative.dev", Kind: "Service"}
	for _, tt := range []struct {
		names, want []string
	}{
		{[]string{""}, []string{"user-container"}},
		{[]string{"", "", "proxy"}, []string{"user-container-0", "user-container-1", "proxy"}},
	} {
		o, err := NewLive(live(svc, "v1", []string{"spec", "template"}, podTemplate(tt.names...), nil), Source{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range o.Pods()[0].Containers() {
			got = append(got, c.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("names %q: got %q, want %q", tt.names, got, tt.want)
		}
	}
}

// TestPodSelector: a DeploymentConfig selects with a map of labels (like a
// ReplicationController), a Rollout or a CloneSet with a LabelSelector, a
// ScaledJob's Jobs with a generated one (none).
func TestPodSelector(t *testing.T) {
	for _, tt := range []struct {
		gk       schema.GroupKind
		selector any
		want     string
	}{
		{schema.GroupKind{Group: "apps.openshift.io", Kind: "DeploymentConfig"}, map[string]any{"name": "frontend"}, "name=frontend"},
		{schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, map[string]any{"matchLabels": map[string]any{"app": "web"}}, "app=web"},
		{schema.GroupKind{Group: "apps.kruise.io", Kind: "CloneSet"}, map[string]any{"matchExpressions": []any{map[string]any{"key": "app", "operator": "In", "values": []any{"a"}}}}, "app in (a)"},
		{schema.GroupKind{Group: "keda.sh", Kind: "ScaledJob"}, map[string]any{"matchLabels": map[string]any{"app": "web"}}, "nil"},
		{schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, "app=web", "nil"},
	} {
		o, err := NewLive(live(tt.gk, "v1", nil, nil, map[string]any{"selector": tt.selector}), Source{})
		if err != nil {
			t.Fatal(err)
		}
		got := "nil"
		if s := o.PodSelector(); s != nil {
			got = metav1.FormatLabelSelector(s)
		}
		if got != tt.want {
			t.Errorf("%s selector %v: got %s, want %s", tt.gk, tt.selector, got, tt.want)
		}
	}
}

// TestNewLiveTemplateNotAMapping: a template that is a string is an error
// that does not quote it.
func TestNewLiveTemplateNotAMapping(t *testing.T) {
	u := live(schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, "v1alpha1", nil, nil, map[string]any{"template": "hunter2-secret"})
	_, err := NewLive(u, Source{})
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "spec.template is not a pod template: not a mapping") {
		t.Errorf("error %v", err)
	}
}
