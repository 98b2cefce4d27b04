package mesh

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

const (
	linkerdPolicyAnnotation = "config.linkerd.io/default-inbound-policy"
	allUnauthenticated      = "all-unauthenticated"
)

// LinkerdAllUnauthenticated reports Linkerd's default inbound policy set
// to all-unauthenticated: for the cluster (the control plane's
// proxy.defaultInboundPolicy value or the policy controller's
// --default-policy), for a namespace, or for a workload.
//
// Reads: the config.linkerd.io/default-inbound-policy annotation of
// Namespaces and pod templates; data.values of the ConfigMap linkerd-config;
// the args of containers (the destination controller's --default-policy).
// Allows: all-authenticated, cluster-authenticated, cluster-unauthenticated,
// deny and audit. Linkerd's own default is all-unauthenticated, so
// kubeward reports the control plane's configuration when it holds it,
// whatever it says it is, not meshed workloads that merely inherit it.
var LinkerdAllUnauthenticated = &check.Check{
	Meta: check.Meta{
		ID:       "linkerd-default-inbound-all-unauthenticated",
		Title:    "Linkerd admits unauthenticated traffic from anywhere by default",
		Severity: check.Medium,
		Category: check.CategoryMesh,
		Rationale: "With the default inbound policy all-unauthenticated, a meshed pod accepts connections from any " +
			"source, inside or outside the cluster, with or without a mesh identity, unless a Server and " +
			"AuthorizationPolicy say otherwise: the mesh encrypts traffic between proxies but authorizes nothing.",
		Fix: "Install Linkerd with proxy.defaultInboundPolicy: all-authenticated (or cluster-authenticated), and set " +
			"config.linkerd.io/default-inbound-policy per namespace; open the ports that must take outside traffic with Server and AuthorizationPolicy resources.",
		Reads: []string{"metadata.annotations[config.linkerd.io/default-inbound-policy]", "ConfigMap linkerd-config data.values", "spec.containers[*].args"},
		Refs:  references,
	},
	Inventory:  linkerdAllUnauthenticated,
	Needs:      append([]schema.GroupKind{inventory.KindConfigMap}, inventory.WorkloadKinds...),
	MetadataOf: []schema.GroupKind{inventory.KindNamespace},
}

func init() { check.Register(LinkerdAllUnauthenticated) }

var annotationPath = fieldpath.New("metadata", "annotations", linkerdPolicyAnnotation)

func linkerdAllUnauthenticated(_ *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, ns := range inv.ByKind(inventory.KindNamespace) {
		if ns.Meta.Annotations[linkerdPolicyAnnotation] == allUnauthenticated {
			out = append(out, check.Result{Object: ns, Path: annotationPath,
				Message: fmt.Sprintf("meshed pods of namespace %s accept unauthenticated connections from anywhere by default", ns.Name)})
		}
	}
	for _, o := range inv.ByKind(inventory.KindConfigMap) {
		if r, ok := linkerdConfig(o); ok {
			out = append(out, r)
		}
	}
	for _, p := range inv.Pods() {
		if p.Meta.Annotations[linkerdPolicyAnnotation] == allUnauthenticated {
			out = append(out, check.Result{Object: p.Object, Pod: p, Path: p.MetaPath.Child("annotations", linkerdPolicyAnnotation),
				Message: "the pods accept unauthenticated connections from anywhere by default"})
		}
		for _, c := range p.Containers() {
			for i, a := range c.Args {
				if a == "--default-policy="+allUnauthenticated {
					out = append(out, check.Result{Object: p.Object, Pod: p, Path: c.Path.Child("args").Index(i),
						Message: fmt.Sprintf("container %q runs Linkerd's policy controller with the cluster default all-unauthenticated", c.Name)})
				}
			}
		}
	}
	return out
}

// linkerdConfig judges the control plane's values, as linkerd install and
// the Helm chart store them in linkerd-config.
func linkerdConfig(o *inventory.Object) (check.Result, bool) {
	cm, ok := o.Typed.(*corev1.ConfigMap)
	if !ok || o.Name != "linkerd-config" {
		return check.Result{}, false
	}
	var values struct {
		Proxy struct {
			DefaultInboundPolicy string `json:"defaultInboundPolicy"`
		} `json:"proxy"`
	}
	raw, ok := cm.Data["values"]
	if !ok || yaml.Unmarshal([]byte(raw), &values) != nil {
		return check.Result{}, false
	}
	policy := strings.TrimSpace(values.Proxy.DefaultInboundPolicy)
	if policy != "" && policy != allUnauthenticated {
		return check.Result{}, false
	}
	msg := "the Linkerd control plane's proxy.defaultInboundPolicy is all-unauthenticated: meshed pods accept connections from anywhere unless a policy says otherwise"
	if policy == "" {
		msg = "the Linkerd control plane sets no proxy.defaultInboundPolicy, so Linkerd's default all-unauthenticated applies: meshed pods accept connections from anywhere"
	}
	return check.Result{Object: o, Path: fieldpath.New("data", "values"), Message: msg}, true
}
