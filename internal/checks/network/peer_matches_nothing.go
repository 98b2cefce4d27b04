package network

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/netpol"
)

// PeerMatchesNothing finds selector peers that match no pod: a rule meant to
// allow a client that allows nobody, usually through a label or namespace
// typo.
//
// Reads: NetworkPolicy spec.ingress[*].from[*] and spec.egress[*].to[*]
// podSelector and namespaceSelector; workload labels; Namespace labels.
// Allows: peers matching at least one workload. Only judged in a cluster
// scan: manifests rarely hold every pod (operators create them from custom
// resources, controllers at run time), and on the corpus every file-mode
// finding was such a pod.
var PeerMatchesNothing = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-peer-matches-nothing",
		Title:    "NetworkPolicy peer matches no pods",
		Severity: check.Low,
		Category: check.CategoryNetwork,
		Rationale: "A peer that matches nothing allows nothing: the connection it was written for is blocked, and " +
			"someone will eventually open it more widely to make it work.",
		Fix:   "Fix the podSelector or namespaceSelector to match the labels of the intended pods and namespaces.",
		Reads: []string{"NetworkPolicy spec.ingress[*].from[*]", "NetworkPolicy spec.egress[*].to[*]"},
		Refs:  references,
	},
	Needs:     needs,
	Inventory: peerMatchesNothing,
}

func init() { check.Register(PeerMatchesNothing) }

func peerMatchesNothing(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for i, info := range a.infos {
		for d, rules := range info.Rules {
			if !info.Affects[d] {
				continue
			}
			for _, r := range rules {
				for _, p := range r.Peers {
					if p.Invalid || p.IsIP || len(p.Pods) > 0 || !a.judgeable(info.Ref.Namespace, p) {
						continue
					}
					where := fmt.Sprintf("namespace %q", info.Ref.Namespace)
					if p.HasNamespaceSelector {
						where = fmt.Sprintf("namespaces %v", p.Namespaces)
						if len(p.Namespaces) == 0 {
							where = "any namespace"
						}
					}
					out = append(out, check.Result{Object: a.Policies[i], Path: p.Path, Message: fmt.Sprintf(
						"%s rule %d peer %d matches no pod in %s, so it allows nothing", netpol.Direction(d), r.Ref.Rule, p.Index, where)})
				}
			}
		}
	}
	return out
}

// judgeable reports whether the scan holds every pod the peer could match:
// a cluster scan, and a namespace that runs pods.
func (a *analysis) judgeable(policyNs string, p netpol.PeerInfo) bool {
	if !a.Cluster {
		return false
	}
	if !p.HasNamespaceSelector {
		return a.hasWorkloads(policyNs)
	}
	for _, ns := range p.Namespaces {
		if a.hasWorkloads(ns) {
			return true
		}
	}
	return false
}
