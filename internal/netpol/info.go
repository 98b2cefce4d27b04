package netpol

import (
	"net/netip"
	"sort"

	"github.com/kubeward/kubeward/internal/fieldpath"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// PolicyInfo describes a compiled policy, for checks.
type PolicyInfo struct {
	Ref PolicyRef
	// SelectsAll is true for an empty podSelector: every pod of the
	// namespace, present and future.
	SelectsAll bool
	// Affects is the defaulted policyTypes, by Direction.
	Affects [2]bool
	// AllowsAll is true for a direction that has a rule with neither peers
	// nor ports: that direction is then not restricted at all.
	AllowsAll [2]bool
	Selected  []int
	Rules     [2][]RuleInfo
}

// RuleInfo describes one rule.
type RuleInfo struct {
	Ref      RuleRef // Peer and Port are -1
	AllPeers bool
	AllPorts bool
	Peers    []PeerInfo
}

// PeerInfo describes one peer of a rule.
type PeerInfo struct {
	Index int
	Path  *fieldpath.Path
	// Invalid peers match nothing (see Problems).
	Invalid bool
	// IPBlock peers.
	CIDR   netip.Prefix
	Except []netip.Prefix
	IsIP   bool
	// Selector peers.
	HasPodSelector, HasNamespaceSelector bool
	// AllNamespaces: namespaceSelector {} with podSelector missing or {}:
	// every pod of the cluster.
	AllNamespaces bool
	// NameOnly: the namespaceSelector only tests kubernetes.io/metadata.name,
	// so it can be evaluated without the Namespace objects.
	NameOnly bool
	// Pods the peer matches among the input's pods.
	Pods []int
	// Namespaces (known to the engine) the namespaceSelector matches.
	Namespaces []string
}

// PolicyInfo returns the description of the policy at Input.Policies[index].
func (e *Engine) PolicyInfo(index int) (PolicyInfo, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.policyAt(index)
	if q == nil {
		return PolicyInfo{}, false
	}
	pi := PolicyInfo{Ref: q.ref, SelectsAll: q.sel.empty, Affects: q.affects, Selected: q.selected}
	for d := range q.rules {
		for ri := range q.rules[d] {
			r := &q.rules[d][ri]
			if r.allPeers && r.allPorts {
				pi.AllowsAll[d] = true
			}
			info := RuleInfo{Ref: RuleRef{Policy: q.ref, Direction: Direction(d), Rule: r.index, Peer: -1, Port: -1, Path: r.path.String()}, AllPeers: r.allPeers, AllPorts: r.allPorts}
			for i := range r.peers {
				info.Peers = append(info.Peers, e.peerInfo(q, &r.peers[i]))
			}
			pi.Rules[d] = append(pi.Rules[d], info)
		}
	}
	return pi, true
}

func (e *Engine) peerInfo(q *policy, pr *peer) PeerInfo {
	p := PeerInfo{Index: pr.index, Path: pr.path, Invalid: pr.none, HasPodSelector: pr.pods != nil, HasNamespaceSelector: pr.ns != nil}
	switch {
	case pr.none:
	case pr.ip != nil:
		p.IsIP, p.CIDR, p.Except = true, pr.ip.cidr, pr.ip.except
		for _, j := range e.podsWithIPs {
			if e.peerMatchesPod(q, pr, j) {
				p.Pods = append(p.Pods, j)
			}
		}
	default:
		p.Pods = e.peerPods(q, pr)
		if pr.ns != nil {
			p.AllNamespaces = pr.ns.empty && (pr.pods == nil || pr.pods.empty)
			p.NameOnly = onlyNameLabel(pr.ns.sel)
			for _, n := range e.namespacesMatching(pr.ns) {
				p.Namespaces = append(p.Namespaces, e.ns[n].name)
			}
			sort.Strings(p.Namespaces)
		}
	}
	return p
}

func onlyNameLabel(s labels.Selector) bool {
	reqs, ok := s.Requirements()
	if !ok || len(reqs) == 0 {
		return false
	}
	for _, r := range reqs {
		if r.Key() != corev1.LabelMetadataName {
			return false
		}
	}
	return true
}

// RuleAllowsIP reports whether a rule allows traffic with address a on
// port/proto, and through which peer (-1: the rule has no peers).
func (e *Engine) RuleAllowsIP(policyIndex int, d Direction, rule int, a netip.Addr, port int, proto Protocol) (int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.policyAt(policyIndex)
	if q == nil || rule < 0 || rule >= len(q.rules[d]) {
		return 0, false
	}
	r := &q.rules[d][rule]
	ep := IPEndpoint(a)
	peer, ok := e.matchPeer(q, r, ep)
	if !ok {
		return 0, false
	}
	if _, ok := e.matchPort(r, ep, port, proto); !ok {
		return 0, false
	}
	return peer, true
}

// Shadow is a rule that allows nothing the other rules do not already
// allow, for every pod its policy selects: removing it alone changes no
// connection.
type Shadow struct {
	Rule RuleRef
	// By lists the rules that allow what it allows.
	By []RuleRef
}

// ShadowedRules finds rules made redundant by broader ones. Of two rules
// that allow exactly the same, only the later one (in input order) is
// reported. Rules that allow nothing at all are left to other checks.
func (e *Engine) ShadowedRules() []Shadow {
	e.mu.Lock()
	defer e.mu.Unlock()
	pt := e.partition()
	P := len(e.pods)
	n := P + len(pt.classes)
	t := newSetTable()
	rb := &rowBuilder{e: e, t: t, pt: pt, pods: P, numeric: map[int]uint32{}}

	type key struct{ q, d, r int }
	type state struct {
		covered, nonEmpty bool
		by                map[key]bool
	}
	states := map[key]*state{}
	less := func(a, b key) bool {
		if a.q != b.q {
			return a.q < b.q
		}
		if a.d != b.d {
			return a.d < b.d
		}
		return a.r < b.r
	}
	for d := range e.selecting {
		for x := range P {
			var keys []key
			for _, qi := range e.selecting[d][x] {
				for ri := range e.policies[qi].rules[d] {
					keys = append(keys, key{qi, d, ri})
				}
			}
			rows := make([][]uint32, len(keys))
			for i, k := range keys {
				rows[i] = make([]uint32, n)
				q := e.policies[k.q]
				rb.fill(rows[i], q, &q.rules[d][k.r], Direction(d), x)
			}
			others := make([]uint32, n)
			for i, k := range keys {
				st := states[k]
				if st == nil {
					st = &state{covered: true, by: map[key]bool{}}
					states[k] = st
				}
				clear(others)
				for j := range keys {
					// A later rule equal to this one is its duplicate: it
					// does not cover this one, this one covers it.
					if j == i || (less(k, keys[j]) && equalRows(rows[i], rows[j])) {
						continue
					}
					overlap := false
					for c := range others {
						others[c] = t.or(others[c], rows[j][c])
						overlap = overlap || (rows[i][c] != setNone && t.and(rows[i][c], rows[j][c]) != setNone)
					}
					if overlap {
						st.by[keys[j]] = true
					}
				}
				for c := range others {
					if rows[i][c] != setNone {
						st.nonEmpty = true
						if t.and(rows[i][c], others[c]) != rows[i][c] {
							st.covered = false
						}
					}
				}
			}
		}
	}
	var out []Shadow
	for k, st := range states {
		if !st.covered || !st.nonEmpty {
			continue
		}
		q := e.policies[k.q]
		r := &q.rules[k.d][k.r]
		s := Shadow{Rule: RuleRef{Policy: q.ref, Direction: Direction(k.d), Rule: r.index, Peer: -1, Port: -1, Path: r.path.String()}}
		var by []key
		for b := range st.by {
			by = append(by, b)
		}
		sort.Slice(by, func(i, j int) bool { return less(by[i], by[j]) })
		for _, b := range by {
			bq := e.policies[b.q]
			br := &bq.rules[b.d][b.r]
			s.By = append(s.By, RuleRef{Policy: bq.ref, Direction: Direction(b.d), Rule: br.index, Peer: -1, Port: -1, Path: br.path.String()})
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Rule, out[j].Rule
		if a.Policy.Index != b.Policy.Index {
			return a.Policy.Index < b.Policy.Index
		}
		if a.Direction != b.Direction {
			return a.Direction < b.Direction
		}
		return a.Rule < b.Rule
	})
	return out
}

func equalRows(a, b []uint32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
