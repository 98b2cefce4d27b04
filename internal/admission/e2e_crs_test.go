package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// schemalessCRD is a CRD serving a kind under its real resource name and
// versions, with a schema that keeps every field (as the projects' own
// CRDs keep their pod templates: x-kubernetes-preserve-unknown-fields).
func schemalessCRD(group, kind, plural string, versions ...string) *apiextv1.CustomResourceDefinition {
	crd := &apiextv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: group, Scope: apiextv1.NamespaceScoped,
			Names: apiextv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)},
		},
	}
	for i, v := range versions {
		crd.Spec.Versions = append(crd.Spec.Versions, apiextv1.CustomResourceDefinitionVersion{
			Name: v, Served: true, Storage: i == len(versions)-1,
			Schema: &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{
				Type: "object", XPreserveUnknownFields: ptr.To(true)}},
		})
	}
	return crd
}

// TestE2EWorkloadCustomResources: with the default rules registered before
// any workload CRD exists (the API server accepts them), a privileged Argo
// Rollout is refused at creation, by `kubectl apply` (a create) and by
// `kubectl apply --server-side` (an apply patch) alike, with the webhook's
// message and the template's path, and a compliant one is admitted; so is
// an OpenKruise CloneSet in its second version. A Knative Revision is not
// sent (Knative makes it from a Configuration, judged already). Before the
// default rules named them, the Rollout was admitted and only its pods
// were refused, by the controller's retries.
func TestE2EWorkloadCustomResources(t *testing.T) {
	kubetest.SkipIfShort(t)
	e := startE2E(t, nil) // registers WebhookConfiguration's rules: no CRD is installed yet
	ctx := context.Background()

	vwc, err := e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, DefaultConfigName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := false
	for _, r := range vwc.Webhooks[0].Rules {
		stored = stored || strings.Join(r.APIGroups, ",") == "argoproj.io" && strings.Join(r.Resources, ",") == "rollouts"
	}
	if !stored {
		t.Errorf("the API server holds no rule for rollouts: %+v", vwc.Webhooks[0].Rules)
	}

	crds := []*apiextv1.CustomResourceDefinition{
		schemalessCRD("argoproj.io", "Rollout", "rollouts", "v1alpha1"),
		schemalessCRD("apps.kruise.io", "CloneSet", "clonesets", "v1alpha1", "v1beta1"),
		schemalessCRD("serving.knative.dev", "Revision", "revisions", "v1"),
	}
	ext := apiextclient.NewForConfigOrDie(e.cluster.Config)
	for _, crd := range crds {
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	dyn := dynamic.NewForConfigOrDie(e.cluster.Config)
	rollouts := dyn.Resource(schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}).Namespace("shop")
	clonesets := dyn.Resource(schema.GroupVersionResource{Group: "apps.kruise.io", Version: "v1beta1", Resource: "clonesets"}).Namespace("shop")
	revisions := dyn.Resource(schema.GroupVersionResource{Group: "serving.knative.dev", Version: "v1", Resource: "revisions"}).Namespace("shop")

	template := func(spec corev1.PodSpec) map[string]any {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	privileged := privilegedPod("web").Spec
	workload := func(apiVersion, kind, name string, spec corev1.PodSpec) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": apiVersion, "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": "shop"},
			"spec": map[string]any{
				"replicas": int64(0),
				"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
				"template": template(spec),
			},
		}}
	}
	// The resources are served once their CRDs are established: until
	// then, listing them fails with NotFound.
	waitFor(t, 60*time.Second, "the workload CRDs to be served", func() bool {
		for _, ri := range []dynamic.ResourceInterface{rollouts, clonesets, revisions} {
			_, err := ri.List(ctx, metav1.ListOptions{})
			if err != nil {
				return false
			}
		}
		return true
	})

	denied := func(t *testing.T, err error, ref, path string) {
		t.Helper()
		if !apierrors.IsForbidden(err) {
			t.Fatalf("admitted or failed otherwise: %v", err)
		}
		for _, want := range []string{
			`admission webhook "validate.kubeward.dev" denied the request: kubeward: ` + ref + ` violates`,
			"pss-privileged (critical) at " + path,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("denial lacks %q:\n%v", want, err)
			}
		}
	}

	t.Run("privileged Rollout refused at creation", func(t *testing.T) {
		_, err := rollouts.Create(ctx, workload("argoproj.io/v1alpha1", "Rollout", "web", privileged), metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
		denied(t, err, "Rollout/shop/web", "spec.template.spec.containers[0].securityContext.privileged")
	})

	t.Run("privileged Rollout refused at server-side apply", func(t *testing.T) {
		body, err := yaml.Marshal(workload("argoproj.io/v1alpha1", "Rollout", "web", privileged).Object)
		if err != nil {
			t.Fatal(err)
		}
		_, err = rollouts.Patch(ctx, "web", types.ApplyYAMLPatchType, body, metav1.PatchOptions{FieldManager: "kubectl"})
		denied(t, err, "Rollout/shop/web", "spec.template.spec.containers[0].securityContext.privileged")
	})

	t.Run("compliant Rollout admitted", func(t *testing.T) {
		if _, err := rollouts.Create(ctx, workload("argoproj.io/v1alpha1", "Rollout", "calm", hardenedSpec()), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("privileged CloneSet v1beta1 refused", func(t *testing.T) {
		_, err := clonesets.Create(ctx, workload("apps.kruise.io/v1beta1", "CloneSet", "web", privileged), metav1.CreateOptions{})
		denied(t, err, "CloneSet/shop/web", "spec.template.spec.containers[0].securityContext.privileged")
	})

	t.Run("Knative Revision not sent", func(t *testing.T) {
		rev := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "serving.knative.dev/v1", "kind": "Revision",
			"metadata": map[string]any{"name": "hello-00001", "namespace": "shop"},
			"spec":     template(privileged)["spec"],
		}}
		if _, err := revisions.Create(ctx, rev, metav1.CreateOptions{}); err != nil {
			t.Fatalf("a Revision was judged at admission: %v", err)
		}
	})
}
