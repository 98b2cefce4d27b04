package workload

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// HostAliases reports pods that write their own entries into /etc/hosts.
//
// Reads: spec.hostAliases.
// Allows: pods without hostAliases.
var HostAliases = &check.Check{
	Meta: check.Meta{
		ID:       "host-aliases",
		Title:    "Pod overrides name resolution with hostAliases",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "hostAliases writes fixed addresses into the pod's /etc/hosts, ahead of cluster DNS: traffic " +
			"for those names goes where the manifest says, invisible to DNS policies and logs, and keeps going " +
			"there when the real service moves. In a manifest from elsewhere it can quietly redirect an " +
			"application's calls (to an API, a registry, a license server) to another host.",
		Fix:   "Remove spec.hostAliases and publish the names through DNS (a Service, an ExternalName Service, or the cluster's DNS configuration).",
		Reads: []string{"spec.hostAliases"},
		Refs: []check.Reference{
			check.NSA("Network separation and hardening"),
			check.MITRE("T1565.002", "Data Manipulation: Transmitted Data Manipulation"),
		},
		Peers: []check.Peer{check.Trivy("KSV007")},
	},
	Pod: hostAliases,
}

func init() { check.Register(HostAliases) }

func hostAliases(_ *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for i, a := range p.Spec.HostAliases {
		out = append(out, check.Result{Path: p.SpecPath.Child("hostAliases").Index(i),
			Message: fmt.Sprintf("the pod resolves %s to %s through /etc/hosts, not DNS", strings.Join(a.Hostnames, ", "), a.IP)})
	}
	return out
}
