package netpol

// UnmatchedPeer is a selector peer of a rule in force that matches no pod
// of the input. The connections it allows are with pods the input does not
// hold (kube-dns in kube-system, an ingress controller's namespace, a
// monitoring stack), so the matrix cannot show them: reports say so rather
// than leave the rule out silently.
type UnmatchedPeer struct {
	Policy    PolicyRef `json:"policy"`
	Direction Direction `json:"direction"`
	Rule      int       `json:"rule"`
	Peer      int       `json:"peer"`
	Path      string    `json:"path"`
	// PodSelector and NamespaceSelector are the peer's selectors as label
	// selector strings ("" when the peer has none; "{}" selects all).
	PodSelector       string `json:"podSelector,omitempty"`
	NamespaceSelector string `json:"namespaceSelector,omitempty"`
}

// Describe says which pods the peer selects, in words.
func (u UnmatchedPeer) Describe() string {
	pods := "every pod"
	if u.PodSelector != "" && u.PodSelector != "{}" {
		pods = "pods " + u.PodSelector
	}
	switch u.NamespaceSelector {
	case "":
		return pods + " of namespace " + u.Policy.Namespace
	case "{}":
		return pods + " of every namespace"
	}
	return pods + " of namespaces " + u.NamespaceSelector
}

// UnmatchedPeers lists the selector peers, of rules in directions their
// policy governs, that match no pod of the input. Invalid peers, which match
// nothing anywhere, are Problems instead.
func (e *Engine) UnmatchedPeers() []UnmatchedPeer {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []UnmatchedPeer
	for _, q := range e.policies {
		for d := range q.rules {
			if !q.affects[d] {
				continue
			}
			for ri := range q.rules[d] {
				r := &q.rules[d][ri]
				for pi := range r.peers {
					pr := &r.peers[pi]
					if pr.none || pr.ip != nil || len(e.peerPods(q, pr)) > 0 {
						continue
					}
					u := UnmatchedPeer{Policy: q.ref, Direction: Direction(d), Rule: r.index, Peer: pr.index, Path: pr.path.String(),
						PodSelector: selectorText(pr.pods), NamespaceSelector: selectorText(pr.ns)}
					out = append(out, u)
				}
			}
		}
	}
	return out
}

func selectorText(s *selector) string {
	switch {
	case s == nil:
		return ""
	case s.empty:
		return "{}"
	}
	return s.sel.String()
}
