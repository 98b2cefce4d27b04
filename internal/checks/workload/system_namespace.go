package workload

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// systemPriorityClasses are the built-in priority classes that mark a pod
// as a cluster component: the scheduler evicts anything else first for them.
var systemPriorityClasses = map[string]bool{"system-cluster-critical": true, "system-node-critical": true}

// SystemNamespaceWorkload reports workloads placed in a system namespace
// (kube-system, kube-public, kube-node-lease, or the configured
// systemNamespaces) that do not declare themselves cluster components.
//
// Reads: metadata.namespace, spec.priorityClassName, the labels of the pod
// template.
// Allows: pods with priorityClassName system-cluster-critical or
// system-node-critical (add-ons such as CoreDNS and kube-proxy declare
// themselves so), and control-plane static pods (label tier:
// control-plane).
var SystemNamespaceWorkload = &check.Check{
	Meta: check.Meta{
		ID:       "system-namespace-workload",
		Title:    "Workload runs in a system namespace",
		Severity: check.Low,
		Category: check.CategoryWorkload,
		Rationale: "kube-system holds the service accounts and Secrets of the cluster's controllers, many of " +
			"them able to reach cluster-admin; a workload there can mount or be granted them, and anyone " +
			"allowed to manage it in that namespace can. Security tools, kubeward included, judge system " +
			"namespaces more leniently (kubeward's RBAC checks treat their service accounts as cluster components " +
			"and do not report their rights), so an application placed there escapes review.",
		Fix:   "Deploy the application into a namespace of its own; keep system namespaces for cluster components.",
		Reads: []string{"metadata.namespace", "spec.priorityClassName", "metadata.labels"},
		Refs: []check.Reference{
			check.CIS("5.6.1", "Create administrative boundaries between resources using namespaces"),
			check.NSA("Network separation and hardening: namespaces"),
		},
		Peers: []check.Peer{check.Trivy("KSV037").Differs("Trivy exempts only control-plane static pods with priorityClassName system-node-critical; " +
			"kubeward exempts every pod that declares a system priority class, as cluster add-ons do, and judges workloads only")},
	},
	Pod: systemNamespaceWorkload,
}

func init() { check.Register(SystemNamespaceWorkload) }

func systemNamespaceWorkload(ctx *check.Context, p *inventory.Pod) []check.Result {
	ns := p.Namespace()
	if !ctx.Options.IsSystemNamespace(ns) || systemPriorityClasses[p.Spec.PriorityClassName] || p.Meta.Labels["tier"] == "control-plane" {
		return nil
	}
	return []check.Result{{Path: namespacePath,
		Message: fmt.Sprintf("%s runs in %s, next to the cluster's own service accounts and Secrets, and is judged there as a cluster component; "+
			"a cluster add-on says so with priorityClassName system-cluster-critical", p.Object.Kind, ns)}}
}
