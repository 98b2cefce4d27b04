package scan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Mode says where a scan's objects come from. It decides whether a subject
// the scan did not find (the control plane, the kubelet) is a coverage gap,
// and how the gap is explained.
type Mode int

const (
	// ModeFiles scans manifests: a repository of applications holds no
	// control plane, so absent subjects are not gaps.
	ModeFiles Mode = iota
	// ModeCluster reads a live cluster through its API.
	ModeCluster
	// ModeNode reads the node kubeward runs on (kubeward node).
	ModeNode
	// ModeNodeConfig reads a directory of copied node files (scan --node-config).
	ModeNodeConfig
)

// Unreadable is a kind the cluster loader could not list.
type Unreadable struct {
	Kind     schema.GroupKind
	Resource schema.GroupResource
	// Namespace is set when only that namespace was listed.
	Namespace string
	// Forbidden is an authorization refusal, which a grant closes; other
	// failures are errors of the server (an object it cannot decrypt).
	Forbidden bool
	// Reason says what happened, without the resource's name: "forbidden
	// to list cluster-wide", "an error on the server (...)".
	Reason string
	// Verb is the verb refused: list, or watch for the controller; empty
	// means list.
	Verb string
}

// Status is what a gap did to a check.
type Status string

const (
	// NotRun: a cross-object check lacked an input and did not run (its
	// answer would be wrong, not merely incomplete).
	NotRun Status = "not-run"
	// Partial: the check ran on what could be read or judged.
	Partial Status = "partial"
	// NothingToJudge: the check ran but its subject was not among the
	// inputs (no control plane visible, no kubelet on the node).
	NothingToJudge Status = "nothing-to-judge"
)

// statusOrder is the precedence of statuses for one check: what it tells
// the reader first.
var statusOrder = []Status{NotRun, NothingToJudge, Partial}

// Gap is one thing a scan could not read or judge, and the checks it
// affects. Gaps are grouped by cause, not by check: one unreadable kind is
// one gap whatever the number of checks that read it.
type Gap struct {
	// ID names the gap for --ignore-gap: a resource ("secrets",
	// "clusterroles.rbac.authorization.k8s.io"), a subject
	// (check.GapControlPlane, ...) or a setting checks could not read
	// ("kube-scheduler-config").
	ID string
	// Namespace is set when the gap holds in that namespace only.
	Namespace string
	// Reason says why, for people.
	Reason string
	// Grant is the permission that would close the gap, when one would.
	Grant *Grant
	// The checks affected, by what the gap did to them.
	NotRun, Partial, NothingToJudge []string
	// Objects are the objects checks could not judge (settings in files the
	// scan does not hold).
	Objects []string
	// Accepted is set when the gap was accepted (--ignore-gap or the
	// configuration): it is still reported, but no longer fails
	// --fail-on-incomplete.
	Accepted *Accepted

	rank    int
	aliases []string // other names --ignore-gap accepts: the kind, the resource without its group
}

// Minor reports a gap the table folds: an open gap of a kind outside the
// ones that matter in most clusters, which only made checks run on part of
// their input (PodTemplates, kinds only API-version checks read).
func (g *Gap) Minor() bool {
	return g.Accepted == nil && g.rank >= otherKindRank && g.rank < acceptedRank && len(g.NotRun)+len(g.NothingToJudge) == 0
}

// Checks is the number of checks the gap affects.
func (g *Gap) Checks() int { return len(g.NotRun) + len(g.Partial) + len(g.NothingToJudge) }

// Grant is an RBAC rule that would let the scanning identity read what a
// gap lacks.
type Grant struct {
	APIGroup  string
	Resource  string
	Verbs     []string
	Namespace string // "" for a ClusterRole bound cluster-wide
}

// String says the rule as kubectl takes it: verbs, then the resource with
// its group ("list clusterroles.rbac.authorization.k8s.io"), and where.
func (g *Grant) String() string {
	res := schema.GroupResource{Group: g.APIGroup, Resource: g.Resource}.String()
	s := strings.Join(g.Verbs, ", ") + " " + res
	if g.Namespace != "" {
		s += " in namespace " + g.Namespace
	}
	return s
}

// Accepted says who accepted a gap and why.
type Accepted struct {
	Reason string
	Origin string // "--ignore-gap" or "FILE coverage.ignoreGaps[N]"
}

// AcceptGap accepts a known gap: ID is a gap's id, or for a kind its name
// (PodTemplate) or resource without group (podtemplates).
type AcceptGap struct {
	ID     string
	Reason string
	Origin string
}

// CheckCoverage is what the gaps of a scan did to one check.
type CheckCoverage struct {
	Check  string
	Status Status
	Gaps   []string // ids of the gaps that affect it
	Reason string   // the gaps' reasons, for people
}

// kindGaps maps the kinds a scan could not read onto the checks that read
// them. Cross-object checks missing an input cannot give a true answer (a
// Secret looks unused when the Pods that mount it are unreadable) and do not
// run; object and pod checks run on what was read. PodTemplates are the
// exception: they run nothing and nothing refers to them, so their absence
// hides findings on them and changes no verdict on other objects, and a
// cross-object check runs without them. runnable is the checks that run.
func kindGaps(checks []*check.Check, opts *check.Options, unreadable []Unreadable) (runnable []*check.Check, gaps []*Gap) {
	byKind := map[schema.GroupKind]*Gap{}
	for i := range unreadable {
		u := &unreadable[i]
		g := &Gap{ID: u.Resource.String(), Namespace: u.Namespace, Reason: u.Reason, rank: kindRank(u.Resource),
			aliases: []string{u.Kind.Kind, u.Resource.Resource}}
		if u.Forbidden {
			verb := u.Verb
			if verb == "" {
				verb = "list"
			}
			g.Grant = &Grant{APIGroup: u.Resource.Group, Resource: u.Resource.Resource, Verbs: []string{verb}, Namespace: u.Namespace}
		}
		byKind[u.Kind] = g
		gaps = append(gaps, g)
	}
	for _, c := range checks {
		if c.Active != nil && !c.Active(opts) {
			continue // the runner drops it too
		}
		var missing, context []*Gap
		for _, gk := range c.Inputs() {
			g := byKind[gk]
			if g == nil || containsGap(missing, g) || containsGap(context, g) {
				continue
			}
			if c.Inventory != nil && !c.EachObject && gk != inventory.KindPodTemplate {
				context = append(context, g)
			} else {
				missing = append(missing, g)
			}
		}
		if len(context) > 0 {
			for _, g := range context {
				g.NotRun = append(g.NotRun, c.ID)
			}
			continue
		}
		runnable = append(runnable, c)
		for _, g := range missing {
			g.Partial = append(g.Partial, c.ID)
		}
	}
	return runnable, gaps
}

func containsGap(gs []*Gap, g *Gap) bool {
	for _, x := range gs {
		if x == g {
			return true
		}
	}
	return false
}

// subjectGaps finds the checks whose subject the inventory does not hold.
func subjectGaps(ctx *check.Context, checks []*check.Check, selected func(string) bool, inv *inventory.Inventory, mode Mode) []*Gap {
	if mode == ModeFiles {
		return nil
	}
	present := map[*check.Subject]bool{}
	byID := map[string]*Gap{}
	names := map[string][]string{}
	someFound := map[string]bool{} // a subject of the gap was found
	var gaps []*Gap
	for _, c := range checks {
		s := c.Subject
		if s == nil || !selected(c.ID) {
			continue
		}
		ok, seen := present[s]
		if !seen {
			ok = s.Present(ctx, inv)
			present[s] = ok
		}
		if ok {
			someFound[s.Gap] = true
			continue
		}
		g := byID[s.Gap]
		if g == nil {
			g = &Gap{ID: s.Gap, rank: subjectRank}
			byID[s.Gap] = g
			gaps = append(gaps, g)
		}
		g.NothingToJudge = append(g.NothingToJudge, c.ID)
		if !contains(names[s.Gap], s.Name) {
			names[s.Gap] = append(names[s.Gap], s.Name)
		}
	}
	for _, g := range gaps {
		sort.Strings(names[g.ID])
		g.Reason = subjectReason(g.ID, mode, names[g.ID], someFound[g.ID])
	}
	return gaps
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// undecidedGaps groups the objects checks could not judge by gap.
func undecidedGaps(us []check.Undecided) []*Gap {
	byID := map[string]*Gap{}
	var gaps []*Gap
	for _, u := range us {
		g := byID[u.Gap]
		if g == nil {
			g = &Gap{ID: u.Gap, Reason: u.Reason, rank: undecidedRank}
			byID[u.Gap] = g
			gaps = append(gaps, g)
		}
		if !contains(g.Partial, u.Check) {
			g.Partial = append(g.Partial, u.Check)
		}
		if ref := u.Object.String(); !contains(g.Objects, ref) {
			g.Objects = append(g.Objects, ref)
		}
	}
	return gaps
}

// subjectReason explains an absent subject in the words of the scan's mode.
func subjectReason(id string, mode Mode, names []string, someFound bool) string {
	what := strings.Join(names, ", ")
	switch id {
	case check.GapControlPlane:
		switch {
		case mode == ModeCluster && someFound:
			return "no Pod or Deployment runs " + what + " (run outside the cluster, or not at all): run `kubeward node` on a control-plane node"
		case mode == ModeCluster:
			return "control plane not visible from the API (no Pod or Deployment runs " + what + "): a managed cluster? " +
				"Run `kubeward node` on a control-plane node you manage"
		case mode == ModeNodeConfig:
			return "no static Pod manifest in the directory runs " + what
		default:
			return "not on this node (no static Pod manifest runs " + what + "): a worker node? Run `kubeward node` on a control-plane node"
		}
	case check.GapKubelet:
		if mode == ModeCluster {
			return "the kubelet's settings are not readable through the API: run `kubeward node` on each node"
		}
		return "no kubelet found: no running kubelet process, systemd unit or KubeletConfiguration"
	case check.GapKubeProxy:
		if mode == ModeCluster {
			return "no kube-proxy found: no kube-proxy container and no KubeProxyConfiguration in a ConfigMap (replaced by the CNI?)"
		}
		return "kube-proxy runs as a DaemonSet: `kubeward scan --cluster` judges it"
	case check.GapNodeFiles:
		switch mode {
		case ModeCluster:
			return "owners and modes of node files are not visible through the API: run `kubeward node` on each node"
		case ModeNodeConfig:
			return "owners and modes of copied files mean nothing: run `kubeward node` on the node itself"
		}
		return "no file the checks judge was found on this node"
	}
	return "nothing to judge: no " + what
}

// Ranks order gaps by how much they matter: kinds that hold objects in
// almost every cluster and that the security checks depend on come first
// (Secrets, RBAC, workloads), then what a scan could not see of the control
// plane and the nodes, then kinds few clusters use.
const (
	subjectRank   = 40
	undecidedRank = 45
	otherKindRank = 50
)

var kindRanks = map[schema.GroupResource]int{
	{Resource: "secrets"}: 0,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}: 1,
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}:        2,
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}:        3,
	{Group: "rbac.authorization.k8s.io", Resource: "roles"}:               4,
	{Resource: "pods"}:                                                     10,
	{Group: "apps", Resource: "deployments"}:                               11,
	{Group: "apps", Resource: "daemonsets"}:                                12,
	{Group: "apps", Resource: "statefulsets"}:                              13,
	{Group: "apps", Resource: "replicasets"}:                               14,
	{Group: "batch", Resource: "cronjobs"}:                                 15,
	{Group: "batch", Resource: "jobs"}:                                     16,
	{Resource: "serviceaccounts"}:                                          20,
	{Group: "networking.k8s.io", Resource: "networkpolicies"}:              21,
	{Resource: "namespaces"}:                                               22,
	{Resource: "configmaps"}:                                               23,
	{Resource: "nodes"}:                                                    24,
	{Resource: "services"}:                                                 25,
	{Group: "networking.k8s.io", Resource: "ingresses"}:                    26,
	{Resource: "limitranges"}:                                              30,
	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}: 31,
	// Kinds that hold nothing in most clusters: a controller-less
	// ReplicationController or a PodTemplate is rare today.
	{Resource: "replicationcontrollers"}: 90,
	{Resource: "podtemplates"}:           91,
}

func kindRank(gr schema.GroupResource) int {
	if r, ok := kindRanks[gr]; ok {
		return r
	}
	return otherKindRank
}

// acceptedRank puts accepted gaps after every open one.
const acceptedRank = 1000

// accept marks the gaps the user accepted; it returns the accepts that
// matched no gap.
func accept(gaps []*Gap, accepts []AcceptGap) (unused []AcceptGap) {
	for _, a := range accepts {
		matched := false
		for _, g := range gaps {
			if g.matches(a.ID) {
				matched = true
				if g.Accepted == nil {
					g.Accepted = &Accepted{Reason: a.Reason, Origin: a.Origin}
					g.rank += acceptedRank
				}
			}
		}
		if !matched {
			unused = append(unused, a)
		}
	}
	return unused
}

func (g *Gap) matches(id string) bool {
	id = strings.TrimSpace(id)
	if strings.EqualFold(g.ID, id) {
		return true
	}
	for _, a := range g.aliases {
		if strings.EqualFold(a, id) || strings.EqualFold(a+"s", id) {
			return true
		}
	}
	return false
}

// sortGaps orders gaps by rank, then by how many checks they affect.
func sortGaps(gaps []*Gap) {
	for _, g := range gaps {
		sort.Strings(g.NotRun)
		sort.Strings(g.Partial)
		sort.Strings(g.NothingToJudge)
		sort.Strings(g.Objects)
	}
	sort.SliceStable(gaps, func(i, j int) bool {
		a, b := gaps[i], gaps[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.Checks() != b.Checks() {
			return a.Checks() > b.Checks()
		}
		return a.ID < b.ID
	})
}

// CheckCoverage is what the open (not accepted) gaps did to each check,
// one entry per affected check, sorted by check id. A check affected in
// several ways shows the one that says most: did not run, then nothing to
// judge, then partial.
func (r *Result) CheckCoverage() []CheckCoverage {
	byCheck := map[string]*CheckCoverage{}
	byStatus := map[string]map[Status][]*Gap{} // check -> status -> gaps
	note := func(id string, st Status, g *Gap) {
		c := byCheck[id]
		if c == nil {
			c = &CheckCoverage{Check: id, Status: st}
			byCheck[id] = c
			byStatus[id] = map[Status][]*Gap{}
		}
		if rankOf(st) < rankOf(c.Status) {
			c.Status = st
		}
		c.Gaps = append(c.Gaps, g.ID)
		byStatus[id][st] = append(byStatus[id][st], g)
	}
	for i := range r.Coverage {
		g := &r.Coverage[i]
		if g.Accepted != nil {
			continue
		}
		for _, id := range g.NotRun {
			note(id, NotRun, g)
		}
		for _, id := range g.NothingToJudge {
			note(id, NothingToJudge, g)
		}
		for _, id := range g.Partial {
			note(id, Partial, g)
		}
	}
	out := make([]CheckCoverage, 0, len(byCheck))
	for id, c := range byCheck {
		var parts []string
		for _, st := range statusOrder {
			if gaps := byStatus[id][st]; len(gaps) > 0 {
				parts = append(parts, statusText[st]+" "+byReason(gaps))
			}
		}
		c.Reason = strings.Join(parts, "; ")
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Check < out[j].Check })
	return out
}

// byReason lists gaps grouped by reason, "secrets, roles (forbidden to list
// cluster-wide)", so a check many gaps affect reads in one line.
func byReason(gaps []*Gap) string {
	var reasons []string
	ids := map[string][]string{}
	for _, g := range gaps {
		if _, ok := ids[g.Reason]; !ok {
			reasons = append(reasons, g.Reason)
		}
		ids[g.Reason] = append(ids[g.Reason], g.Title())
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s (%s)", strings.Join(ids[r], ", "), r)
	}
	return strings.Join(parts, "; ")
}

// statusText words a status for people, followed by the gaps that caused it.
var statusText = map[Status]string{
	NotRun:         "did not run for want of",
	NothingToJudge: "nothing to judge:",
	Partial:        "ran without",
}

// Title names the gap for people: its id, and its namespace if any.
func (g *Gap) Title() string {
	if g.Namespace != "" {
		return g.ID + " in namespace " + g.Namespace
	}
	return g.ID
}

func rankOf(s Status) int {
	for i, x := range statusOrder {
		if x == s {
			return i
		}
	}
	return len(statusOrder)
}

// OpenGaps counts the gaps nobody accepted: what --fail-on-incomplete gates on.
func (r *Result) OpenGaps() int {
	n := 0
	for i := range r.Coverage {
		if r.Coverage[i].Accepted == nil {
			n++
		}
	}
	return n
}
