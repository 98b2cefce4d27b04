// Package view renders the NetworkPolicy engine's answers for people and
// programs: the matrix as a table, JSON, Graphviz DOT or Mermaid, and an
// explanation as text or JSON.
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kubeward/kubeward/internal/netpol"
)

// Edge is one allowed connection of the matrix.
type Edge struct {
	From  string         `json:"from"`
	To    string         `json:"to"`
	Ports netpol.PortSet `json:"ports"`
	// Restricted is true when a policy governs either side.
	Restricted bool `json:"restricted"`
}

// Options choose what the matrix shows.
type Options struct {
	// RestrictedOnly drops pairs where no policy governs either side (they
	// allow everything and drown the picture).
	RestrictedOnly bool
	// Namespace keeps pairs with an end in this namespace.
	Namespace string
}

// Edges lists the allowed pairs of a matrix, in endpoint order.
func Edges(e *netpol.Engine, m *netpol.Matrix, opts Options) []Edge {
	pods := e.Pods()
	governed := func(i int, d netpol.Direction) bool { return i < m.PodCount() && e.Isolated(i, d) }
	inNs := func(i int) bool { return i < m.PodCount() && pods[i].Namespace == opts.Namespace }
	var out []Edge
	for s := range m.Len() {
		for d := range m.Len() {
			if s == d && s < m.PodCount() && (pods[s].Kind == "Pod" || pods[s].Kind == "") {
				// A workload's cell to itself is traffic between its
				// replicas; a bare Pod has none, only loopback, which
				// NetworkPolicy does not govern.
				continue
			}
			set, ok := m.Allowed(s, d)
			if !ok || set.IsEmpty() {
				continue
			}
			if opts.Namespace != "" && !inNs(s) && !inNs(d) {
				continue
			}
			restricted := governed(s, netpol.Egress) || governed(d, netpol.Ingress)
			if opts.RestrictedOnly && !restricted {
				continue
			}
			out = append(out, Edge{From: m.Name(s), To: m.Name(d), Ports: set, Restricted: restricted})
		}
	}
	return out
}

// Table writes the allowed pairs as aligned columns.
func Table(w io.Writer, e *netpol.Engine, m *netpol.Matrix, opts Options) error {
	edges := Edges(e, m, opts)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "FROM\tTO\tALLOWED\t\n")
	for _, ed := range edges {
		note := ""
		if !ed.Restricted {
			note = "(no policy)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ed.From, ed.To, ed.Ports, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d workloads, %d external address classes, %d allowed pairs shown\n", m.PodCount(), len(m.Externals()), len(edges))
	if err != nil {
		return err
	}
	if un := unmatched(e, opts); len(un) > 0 {
		fmt.Fprintf(w, "\n%d policy peers select no workload of the input; the connections their rules allow are not shown:\n", len(un))
		for _, u := range un {
			fmt.Fprintf(w, "  %s\n", unmatchedLine(u))
		}
	}
	return nil
}

// unmatched lists the peers that select no workload of the input, for the
// policies in view.
func unmatched(e *netpol.Engine, opts Options) []netpol.UnmatchedPeer {
	var out []netpol.UnmatchedPeer
	for _, u := range e.UnmatchedPeers() {
		if opts.Namespace == "" || u.Policy.Namespace == opts.Namespace {
			out = append(out, u)
		}
	}
	return out
}

// unmatchedLine says what an unmatched peer would allow, on one line.
func unmatchedLine(u netpol.UnmatchedPeer) string {
	side := "from"
	if u.Direction == netpol.Egress {
		side = "to"
	}
	return oneLine(fmt.Sprintf("%s %s: %s %s, which the input does not hold", u.Policy, u.Path, side, u.Describe()))
}

// oneLine keeps text from the input on one line of a table or a graph
// comment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

type jsonMatrix struct {
	Workloads []jsonWorkload    `json:"workloads"`
	Externals []netpol.External `json:"externals"`
	Allowed   []Edge            `json:"allowed"`
	Problems  []string          `json:"problems,omitempty"`
	// UnmatchedPeers are peers of rules in force that select no workload
	// of the input: what they allow is not in allowed.
	UnmatchedPeers []netpol.UnmatchedPeer `json:"unmatchedPeers,omitempty"`
}

type jsonWorkload struct {
	ID              string   `json:"id"`
	Namespace       string   `json:"namespace"`
	Kind            string   `json:"kind"`
	Name            string   `json:"name"`
	IngressIsolated bool     `json:"ingressIsolated"`
	EgressIsolated  bool     `json:"egressIsolated"`
	IngressPolicies []string `json:"ingressPolicies,omitempty"`
	EgressPolicies  []string `json:"egressPolicies,omitempty"`
}

// JSON writes the matrix as one JSON document.
func JSON(w io.Writer, e *netpol.Engine, m *netpol.Matrix, opts Options) error {
	doc := jsonMatrix{Externals: m.Externals(), Allowed: Edges(e, m, opts), UnmatchedPeers: unmatched(e, opts)}
	for i, p := range e.Pods() {
		jw := jsonWorkload{ID: p.ID(), Namespace: p.Namespace, Kind: p.Kind, Name: p.Name,
			IngressIsolated: e.Isolated(i, netpol.Ingress), EgressIsolated: e.Isolated(i, netpol.Egress)}
		for _, r := range e.SelectingPolicies(i, netpol.Ingress) {
			jw.IngressPolicies = append(jw.IngressPolicies, r.String())
		}
		for _, r := range e.SelectingPolicies(i, netpol.Egress) {
			jw.EgressPolicies = append(jw.EgressPolicies, r.String())
		}
		doc.Workloads = append(doc.Workloads, jw)
	}
	for _, p := range e.Problems() {
		doc.Problems = append(doc.Problems, p.String())
	}
	if doc.Allowed == nil {
		doc.Allowed = []Edge{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// graph groups nodes by namespace for DOT and Mermaid.
type graph struct {
	byNs  map[string][]string // namespace -> node names
	ext   []string
	id    map[string]string
	edges []Edge
}

func newGraph(e *netpol.Engine, m *netpol.Matrix, opts Options) *graph {
	g := &graph{byNs: map[string][]string{}, id: map[string]string{}, edges: Edges(e, m, opts)}
	used := map[string]bool{}
	for _, ed := range g.edges {
		used[ed.From], used[ed.To] = true, true
	}
	for i := range m.Len() {
		name := m.Name(i)
		if !used[name] {
			continue
		}
		g.id[name] = fmt.Sprintf("n%d", i)
		if i < m.PodCount() {
			ns := e.Pods()[i].Namespace
			g.byNs[ns] = append(g.byNs[ns], name)
		} else {
			g.ext = append(g.ext, name)
		}
	}
	return g
}

func (g *graph) namespaces() []string {
	out := make([]string, 0, len(g.byNs))
	for ns := range g.byNs {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// short drops the namespace from a node label inside its namespace box.
func short(name, ns string) string { return strings.TrimPrefix(name, ns+"/") }

// DOT writes a Graphviz digraph: a box per namespace, external address
// classes as ellipses, an edge per allowed pair labelled with its ports
// (dashed when no policy governs it).
func DOT(w io.Writer, e *netpol.Engine, m *netpol.Matrix, opts Options) error {
	g := newGraph(e, m, opts)
	var b strings.Builder
	b.WriteString("digraph netpol {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	for i, ns := range g.namespaces() {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%q;\n", i, ns)
		for _, n := range g.byNs[ns] {
			fmt.Fprintf(&b, "    %s [label=%q];\n", g.id[n], short(n, ns))
		}
		b.WriteString("  }\n")
	}
	for _, n := range g.ext {
		fmt.Fprintf(&b, "  %s [label=%q, shape=ellipse];\n", g.id[n], n)
	}
	for _, ed := range g.edges {
		style := ""
		if !ed.Restricted {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%q%s];\n", g.id[ed.From], g.id[ed.To], ed.Ports.String(), style)
	}
	for _, u := range unmatched(e, opts) {
		fmt.Fprintf(&b, "  // not drawn: %s\n", unmatchedLine(u))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Mermaid writes a flowchart with a subgraph per namespace.
func Mermaid(w io.Writer, e *netpol.Engine, m *netpol.Matrix, opts Options) error {
	g := newGraph(e, m, opts)
	q := func(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "#quot;") + "\"" }
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, ns := range g.namespaces() {
		fmt.Fprintf(&b, "  subgraph ns%d[%s]\n", i, q(ns))
		for _, n := range g.byNs[ns] {
			fmt.Fprintf(&b, "    %s[%s]\n", g.id[n], q(short(n, ns)))
		}
		b.WriteString("  end\n")
	}
	for _, n := range g.ext {
		fmt.Fprintf(&b, "  %s([%s])\n", g.id[n], q(n))
	}
	for _, ed := range g.edges {
		arrow := "-->"
		if !ed.Restricted {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s|%s| %s\n", g.id[ed.From], arrow, q(ed.Ports.String()), g.id[ed.To])
	}
	for _, u := range unmatched(e, opts) {
		fmt.Fprintf(&b, "  %%%% not drawn: %s\n", unmatchedLine(u))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Explain writes a decision for people.
func Explain(w io.Writer, d *netpol.Decision) error {
	verdict := "DENIED"
	if d.Allowed {
		verdict = "ALLOWED"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s %d/%s: %s\n", d.Source, d.Destination, d.Port, d.Protocol, verdict)
	for _, s := range []*netpol.Side{&d.Egress, &d.Ingress} {
		mark := "allows"
		if !s.Allowed {
			mark = "DENIES"
		}
		fmt.Fprintf(&b, "\n%s of %s %s: %s\n", s.Direction, s.Endpoint, mark, s.Reason())
		for _, p := range s.Policies {
			fmt.Fprintf(&b, "  selected by  %s\n", p)
		}
		for _, r := range s.AllowedBy {
			fmt.Fprintf(&b, "  allowed by   %s\n", r)
		}
		for _, r := range s.PortMismatch {
			fmt.Fprintf(&b, "  port differs %s\n", r)
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ExplainJSON writes a decision as JSON.
func ExplainJSON(w io.Writer, d *netpol.Decision) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}
