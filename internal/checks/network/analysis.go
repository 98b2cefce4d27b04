// Package network holds the NetworkPolicy checks. They share one engine
// (internal/netpol) built once per run from the scan's inventory.
//
// Partial scans: a manifest set rarely holds every workload and Namespace of
// a cluster. Checks that would need the missing objects to be right say
// nothing rather than guess: a namespace is judged only when the scan holds
// workloads in it, and "matches nothing" is reported only where the scan
// holds the pods that could have matched. A scan of a live cluster holds
// everything, and there the checks judge everything.
package network

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/netpol/netpolinv"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// needs is what every network check reads.
var needs = append([]schema.GroupKind{inventory.KindNetworkPolicy, inventory.KindNamespace}, inventory.WorkloadKinds...)

var references = []check.Reference{
	check.NSA("Network separation and hardening: network policies"),
	check.CIS("5.3.2", "Ensure that all Namespaces have Network Policies defined"),
}

type analysisKey struct{ inv *inventory.Inventory }

// analysis is the engine and the model it was built from.
type analysis struct {
	*netpolinv.Model
	eng *netpol.Engine
	// workloads lists, per namespace, the objects whose pods run there.
	workloads map[string][]*inventory.Object
	// hostNetwork counts, per namespace, those of them whose pods use the
	// node's network namespace, which no NetworkPolicy governs.
	hostNetwork map[string]int
	// firstGoverned is, per namespace, its first workload NetworkPolicy
	// governs (not on the host network).
	firstGoverned map[string]*inventory.Object
	infos         []netpol.PolicyInfo // by Input.Policies index
}

func analyze(ctx *check.Context, inv *inventory.Inventory) *analysis {
	return ctx.Memo(analysisKey{inv}, func() any {
		m := netpolinv.Build(inv)
		a := &analysis{Model: m, eng: netpol.New(m.Input), workloads: map[string][]*inventory.Object{},
			hostNetwork: map[string]int{}, firstGoverned: map[string]*inventory.Object{}}
		for i, p := range a.eng.Pods() {
			a.workloads[p.Namespace] = append(a.workloads[p.Namespace], m.Pods[i])
			switch {
			case p.HostNetwork:
				a.hostNetwork[p.Namespace]++
			case a.firstGoverned[p.Namespace] == nil:
				a.firstGoverned[p.Namespace] = m.Pods[i]
			}
		}
		for i := range m.Policies {
			info, _ := a.eng.PolicyInfo(i)
			a.infos = append(a.infos, info)
		}
		return a
	}).(*analysis)
}

// hasWorkloads reports whether the scan holds pods in ns.
func (a *analysis) hasWorkloads(ns string) bool { return len(a.workloads[ns]) > 0 }

// scannedNamespaces are the namespaces with workloads, less the system ones.
func (a *analysis) scannedNamespaces(ctx *check.Context) []string {
	var out []string
	for _, ns := range a.eng.Namespaces() {
		if a.hasWorkloads(ns) && !ctx.Options.IsSystemNamespace(ns) {
			out = append(out, ns)
		}
	}
	return out
}

// namespaceObject is where a namespace-level finding goes: the Namespace
// object when the scan has it, else the namespace's first workload that
// NetworkPolicy governs (not on the host network), else its first.
func (a *analysis) namespaceObject(ns string) (*inventory.Object, *fieldpath.Path) {
	if o := a.Namespaces[ns]; o != nil {
		return o, fieldpath.New("metadata", "name")
	}
	if o := a.firstGoverned[ns]; o != nil {
		return o, fieldpath.New("metadata", "namespace")
	}
	if ws := a.workloads[ns]; len(ws) > 0 {
		return ws[0], fieldpath.New("metadata", "namespace")
	}
	return nil, nil
}

// hasDefaultDeny reports whether a policy of ns selects every pod for d
// without a rule that opens d completely.
func (a *analysis) hasDefaultDeny(ns string, d netpol.Direction) bool {
	for _, info := range a.infos {
		if info.Ref.Namespace == ns && info.SelectsAll && info.Affects[d] && !info.AllowsAll[d] {
			return true
		}
	}
	return false
}

// governed reports whether some policy of ns affects direction d.
func (a *analysis) governed(ns string, d netpol.Direction) bool {
	for _, info := range a.infos {
		if info.Ref.Namespace == ns && info.Affects[d] {
			return true
		}
	}
	return false
}

func dirTitle(d netpol.Direction) string {
	if d == netpol.Egress {
		return "Egress"
	}
	return "Ingress"
}

// defaultDeny is the shared body of the two default-deny checks.
func defaultDeny(d netpol.Direction) func(*check.Context, *inventory.Inventory) []check.Result {
	return func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		a := analyze(ctx, inv)
		var out []check.Result
		for _, ns := range a.scannedNamespaces(ctx) {
			n, host := len(a.workloads[ns]), a.hostNetwork[ns]
			if host == n || a.hasDefaultDeny(ns, d) {
				continue // only pods on the node's network: no policy would govern them
			}
			o, path := a.namespaceObject(ns)
			what := "accept connections from any pod and any address"
			if d == netpol.Egress {
				what = "may connect anywhere, the cloud metadata address 169.254.169.254 included"
			}
			note := ""
			if host > 0 {
				note = fmt.Sprintf(" (%d of its %d workloads use hostNetwork, which no NetworkPolicy governs: they are left out)", host, n)
			}
			out = append(out, check.Result{Object: o, Path: path, Message: fmt.Sprintf(
				"namespace %q has no default-deny %s policy (podSelector: {} with policyTypes [%s]): its pods that no %s policy selects %s%s",
				ns, d, dirTitle(d), d, what, note)})
		}
		return out
	}
}

// notSelected is the shared body of the two pod-not-selected checks.
func notSelected(d netpol.Direction) func(*check.Context, *inventory.Inventory) []check.Result {
	return func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
		a := analyze(ctx, inv)
		var out []check.Result
		for i, p := range a.eng.Pods() {
			// Namespaces without any policy of this direction are the
			// default-deny check's to report, once.
			if ctx.Options.IsSystemNamespace(p.Namespace) || p.HostNetwork || !a.governed(p.Namespace, d) || a.eng.Isolated(i, d) {
				continue
			}
			out = append(out, check.Result{Object: a.Pods[i], Path: fieldpath.New("metadata", "labels"), Message: fmt.Sprintf(
				"%s %s/%s is selected by no NetworkPolicy with policyTypes %s although its namespace has such policies: all %s traffic is allowed",
				p.Kind, p.Namespace, p.Name, dirTitle(d), d)})
		}
		return out
	}
}
