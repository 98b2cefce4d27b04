package exposure

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// ExternalIPs reports Services that claim external IPs, which kube-proxy
// then captures on every node (CVE-2020-8554).
//
// Reads: spec.externalIPs, spec.type, spec.clusterIP of Services.
// Allows: no externalIPs. ExternalName and headless Services (clusterIP:
// None) are skipped: kube-proxy programs no rules for them, so their
// externalIPs have no effect.
var ExternalIPs = &check.Check{
	Meta: check.Meta{
		ID:       "service-external-ips",
		Title:    "Service claims external IPs",
		Severity: check.Medium,
		Category: check.CategoryExposure,
		Rationale: "kube-proxy sends traffic for a Service's externalIPs to its pods from every node, whoever owns " +
			"those addresses. Anyone who may create Services can therefore intercept the cluster's traffic to any " +
			"IP (CVE-2020-8554, unfixed by design), and a legitimate use is indistinguishable from that attack.",
		Fix: "Use a LoadBalancer Service, or an Ingress or Gateway, instead; enable the DenyServiceExternalIPs " +
			"admission plugin (or an admission policy) and allow externalIPs only where an administrator vetted them.",
		Reads: []string{"spec.externalIPs", "spec.type", "spec.clusterIP"},
		Refs:  []check.Reference{{Framework: check.FrameworkMITRE, ID: "T1557", Title: "Adversary-in-the-Middle"}},
	},
	Object: externalIPs,
	Kinds:  serviceKinds,
}

func init() { check.Register(ExternalIPs) }

var externalIPsPath = fieldpath.New("spec", "externalIPs")

func externalIPs(_ *check.Context, o *inventory.Object) []check.Result {
	s := service(o)
	if s == nil || len(s.Spec.ExternalIPs) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName || s.Spec.ClusterIP == corev1.ClusterIPNone {
		return nil
	}
	return []check.Result{{
		Path: externalIPsPath,
		Message: fmt.Sprintf("kube-proxy captures traffic to %s on every node and sends it to this Service's pods",
			strings.Join(s.Spec.ExternalIPs, ", ")),
	}}
}
