package admission

import (
	"strings"
	"testing"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func TestWebhookConfiguration(t *testing.T) {
	vwc, err := WebhookConfiguration(ConfigOptions{Namespace: "kubeward", ServiceName: "kubeward-webhook", ExemptNamespaces: []string{"legacy", "kube-system"}})
	if err != nil {
		t.Fatal(err)
	}
	if vwc.Name != "kubeward" || len(vwc.Webhooks) != 1 {
		t.Fatalf("%+v", vwc)
	}
	wh := vwc.Webhooks[0]
	if wh.Name != "validate.kubeward.dev" || *wh.FailurePolicy != admissionregv1.Fail || *wh.SideEffects != admissionregv1.SideEffectClassNone ||
		*wh.MatchPolicy != admissionregv1.Equivalent || *wh.TimeoutSeconds != 5 || strings.Join(wh.AdmissionReviewVersions, ",") != "v1" {
		t.Errorf("webhook = %+v", wh)
	}
	svc := wh.ClientConfig.Service
	if svc == nil || svc.Name != "kubeward-webhook" || svc.Namespace != "kubeward" || *svc.Path != "/validate" || *svc.Port != 443 {
		t.Errorf("client config = %+v", wh.ClientConfig)
	}
	sel := wh.NamespaceSelector.MatchExpressions
	if len(sel) != 1 || sel[0].Key != "kubernetes.io/metadata.name" || sel[0].Operator != metav1.LabelSelectorOpNotIn ||
		strings.Join(sel[0].Values, ",") != "kube-system,kube-node-lease,kubeward,legacy" {
		t.Errorf("namespace selector = %+v", sel)
	}
	var resources []string
	for _, r := range wh.Rules {
		for _, res := range r.Resources {
			resources = append(resources, r.APIGroups[0]+"/"+strings.Join(r.APIVersions, ",")+"/"+res)
		}
		if len(r.Operations) != 2 || *r.Scope != admissionregv1.NamespacedScope {
			t.Errorf("rule %+v", r)
		}
	}
	// The workload custom resources' resources and versions, read in
	// their projects' CRDs; Knative's Revisions are made by Knative.
	if got := strings.Join(resources, " "); got != "/v1/pods /v1/pods/ephemeralcontainers /v1/replicationcontrollers /v1/podtemplates "+
		"apps/v1/deployments apps/v1/replicasets apps/v1/statefulsets apps/v1/daemonsets batch/v1/jobs batch/v1/cronjobs "+
		"apps.openshift.io/v1/deploymentconfigs argoproj.io/v1alpha1/rollouts "+
		"apps.kruise.io/v1alpha1,v1beta1/clonesets apps.kruise.io/v1alpha1,v1beta1/statefulsets apps.kruise.io/v1alpha1,v1beta1/daemonsets "+
		"apps.kruise.io/v1alpha1,v1beta1/broadcastjobs apps.kruise.io/v1alpha1,v1beta1/advancedcronjobs "+
		"keda.sh/v1alpha1/scaledjobs serving.knative.dev/v1/services serving.knative.dev/v1/configurations" {
		t.Errorf("resources = %s", got)
	}
	if _, err := yaml.Marshal(vwc); err != nil {
		t.Fatal(err)
	}

	url, err := WebhookConfiguration(ConfigOptions{URL: "https://127.0.0.1:8443", FailurePolicy: admissionregv1.Ignore, TimeoutSeconds: 2, CABundle: []byte("ca")})
	if err != nil {
		t.Fatal(err)
	}
	if cc := url.Webhooks[0].ClientConfig; *cc.URL != "https://127.0.0.1:8443/validate" || cc.Service != nil || string(cc.CABundle) != "ca" {
		t.Errorf("url config = %+v", cc)
	}
	for _, bad := range []ConfigOptions{
		{URL: "https://x", FailurePolicy: "Sometimes"},
		{URL: "https://x", TimeoutSeconds: 31},
		{ServiceName: "svc"},
	} {
		if _, err := WebhookConfiguration(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
