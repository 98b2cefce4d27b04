package admission

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// Defaults of the generated webhook configuration.
const (
	DefaultConfigName  = "kubeward"
	DefaultWebhookName = "validate.kubeward.dev"
	DefaultPath        = "/validate"
	DefaultTimeout     = 5

	// CertManagerInjectAnnotation names the Certificate whose CA
	// cert-manager's CA injector writes into the configuration's caBundle.
	CertManagerInjectAnnotation = "cert-manager.io/inject-ca-from"
)

// ConfigOptions shape the ValidatingWebhookConfiguration.
type ConfigOptions struct {
	Name        string // the configuration's name (DefaultConfigName)
	WebhookName string // the webhook's name, shown in denials (DefaultWebhookName)
	// Namespace is the webhook's own namespace, always excluded.
	Namespace string
	// Service names the webhook's Service; URL is used instead when set
	// (a webhook outside the cluster, or tests on 127.0.0.1).
	ServiceName string
	ServicePort int32
	URL         string
	Path        string
	// FailurePolicy is Fail (default: an unreachable webhook denies in the
	// namespaces it judges) or Ignore (it admits them unjudged).
	FailurePolicy  admissionregv1.FailurePolicyType
	TimeoutSeconds int32
	CABundle       []byte
	// CertManagerCA, NAMESPACE/CERTIFICATE, asks cert-manager's CA
	// injector to write that Certificate's CA into the caBundle (the
	// cert-manager.io/inject-ca-from annotation).
	CertManagerCA string
	// ExemptNamespaces are excluded besides AlwaysExempt and Namespace.
	ExemptNamespaces []string
}

// Rules are what the webhook judges: Pods (and ephemeral containers added
// to them) and every workload kind with a pod template, built-in and
// custom (inventory.CustomWorkloads: every version its project serves).
// A rule for a resource no API server serves is harmless: the API server
// matches rules against requests, and a CRD installed later is sent from
// then on.
func Rules() []admissionregv1.RuleWithOperations {
	rule := func(group string, versions []string, resources ...string) admissionregv1.RuleWithOperations {
		return admissionregv1.RuleWithOperations{
			Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
			Rule: admissionregv1.Rule{APIGroups: []string{group}, APIVersions: versions, Resources: resources,
				Scope: ptr.To(admissionregv1.NamespacedScope)},
		}
	}
	v1 := []string{"v1"}
	rules := []admissionregv1.RuleWithOperations{
		rule("", v1, "pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"),
		rule("apps", v1, "deployments", "replicasets", "statefulsets", "daemonsets"),
		rule("batch", v1, "jobs", "cronjobs"),
	}
	// One rule per group and versions, in the table's order.
	at := map[string]int{}
	for _, w := range inventory.CustomWorkloads() {
		if !sentByDefault(w.Kind) {
			continue
		}
		key := w.Kind.Group + " " + strings.Join(w.Versions, ",")
		if i, ok := at[key]; ok {
			rules[i].Resources = append(rules[i].Resources, w.Resource)
			continue
		}
		at[key] = len(rules)
		rules = append(rules, rule(w.Kind.Group, slices.Clone(w.Versions), w.Resource))
	}
	return rules
}

// sentByDefault reports whether the default rules send a workload custom
// resource. A Knative Revision is made by Knative's controller from a
// Configuration's template (a Service's, through its Configuration),
// judged when the Configuration is admitted: judging the copy again
// doubles the work, and its denial would stop Knative's controller, in
// events no person reads, not the person who applied the Service. A
// Revision written by hand is no way around the webhook either: the
// Deployment Knative makes for it, and that Deployment's Pods, are judged.
func sentByDefault(gk schema.GroupKind) bool {
	return gk != schema.GroupKind{Group: "serving.knative.dev", Kind: "Revision"}
}

// ExcludedNamespaces are the namespaces the API server does not send.
func ExcludedNamespaces(own string, more []string) []string {
	out := slices.Clone(AlwaysExempt)
	for _, ns := range append([]string{own}, more...) {
		if ns != "" && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// WebhookConfiguration builds the ValidatingWebhookConfiguration: the
// namespaceSelector keeps the control plane's namespaces and the webhook's
// own out of reach, so a webhook that is down cannot lock the cluster out
// of repairing it.
func WebhookConfiguration(o ConfigOptions) (*admissionregv1.ValidatingWebhookConfiguration, error) {
	if o.Name == "" {
		o.Name = DefaultConfigName
	}
	if o.WebhookName == "" {
		o.WebhookName = DefaultWebhookName
	}
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if o.FailurePolicy == "" {
		o.FailurePolicy = admissionregv1.Fail
	}
	if o.FailurePolicy != admissionregv1.Fail && o.FailurePolicy != admissionregv1.Ignore {
		return nil, fmt.Errorf("failure policy %q: want Fail or Ignore", o.FailurePolicy)
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = DefaultTimeout
	}
	if o.TimeoutSeconds < 1 || o.TimeoutSeconds > 30 {
		return nil, fmt.Errorf("timeout %ds: the API server accepts 1 to 30 seconds", o.TimeoutSeconds)
	}
	cc := admissionregv1.WebhookClientConfig{CABundle: o.CABundle}
	switch {
	case o.URL != "":
		cc.URL = ptr.To(o.URL + o.Path)
	case o.ServiceName != "" && o.Namespace != "":
		port := o.ServicePort
		if port == 0 {
			port = 443
		}
		cc.Service = &admissionregv1.ServiceReference{Name: o.ServiceName, Namespace: o.Namespace, Path: ptr.To(o.Path), Port: ptr.To(port)}
	default:
		return nil, fmt.Errorf("name the webhook's Service and namespace, or a URL")
	}
	meta := metav1.ObjectMeta{Name: o.Name, Labels: map[string]string{
		"app.kubernetes.io/name": "kubeward", "app.kubernetes.io/component": "admission-webhook"}}
	if o.CertManagerCA != "" {
		ns, name, ok := strings.Cut(o.CertManagerCA, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("cert-manager Certificate %q: want NAMESPACE/NAME", o.CertManagerCA)
		}
		meta.Annotations = map[string]string{CertManagerInjectAnnotation: o.CertManagerCA}
	}
	return &admissionregv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregv1.SchemeGroupVersion.String(), Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: meta,
		Webhooks: []admissionregv1.ValidatingWebhook{{
			Name:                    o.WebhookName,
			ClientConfig:            cc,
			Rules:                   Rules(),
			FailurePolicy:           ptr.To(o.FailurePolicy),
			MatchPolicy:             ptr.To(admissionregv1.Equivalent),
			SideEffects:             ptr.To(admissionregv1.SideEffectClassNone),
			TimeoutSeconds:          ptr.To(o.TimeoutSeconds),
			AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn,
				Values: ExcludedNamespaces(o.Namespace, o.ExemptNamespaces),
			}}},
		}},
	}, nil
}
