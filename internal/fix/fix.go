// Package fix writes the fixes of findings whose remedy is mechanical and
// safe for every workload into the manifests they were found in, changing
// only the bytes of the fix: allowPrivilegeEscalation: false,
// capabilities.drop: [ALL] and a RuntimeDefault seccomp profile.
//
// It plans from the scan engine's findings (the checks of Checks, at the
// field paths they name) and edits each document at the positions the YAML
// parser reports; every edited document is decoded again and must equal the
// original with the fix applied, or it is left as it was.
package fix

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	yaml "go.yaml.in/yaml/v3"
)

// Kind is one kind of fix.
type Kind int

// The fixes. Each is safe for every workload: no_new_privs and dropped
// capabilities only take away what a process gains through setuid binaries
// and the runtime's default capabilities, and RuntimeDefault is the
// container runtime's own profile, which Kubernetes' restricted Pod Security
// level requires of every pod.
const (
	// NoPrivilegeEscalation sets a container's
	// securityContext.allowPrivilegeEscalation to false.
	NoPrivilegeEscalation Kind = iota
	// DropAll adds ALL to a container's securityContext.capabilities.drop
	// (capabilities.add still adds back what it names).
	DropAll
	// SeccompRuntimeDefault sets the pod's
	// securityContext.seccompProfile.type to RuntimeDefault, when the pod
	// sets no profile (an explicit one, even Unconfined, is a decision).
	SeccompRuntimeDefault
)

func (k Kind) String() string {
	switch k {
	case NoPrivilegeEscalation:
		return "allowPrivilegeEscalation: false"
	case DropAll:
		return "capabilities.drop: [ALL]"
	default:
		return "seccompProfile: RuntimeDefault"
	}
}

// fixes maps the ids of the checks fixed to the fix and the number of
// trailing elements of the finding's path to strip to reach the mapping
// the fix writes in (a container; the pod spec for seccomp).
func fixes(id string) (Kind, int, bool) {
	switch id {
	case "allow-privilege-escalation":
		return NoPrivilegeEscalation, 2, true // <container>.securityContext.allowPrivilegeEscalation
	case "capabilities-drop-all":
		return DropAll, 3, true // <container>.securityContext.capabilities.drop
	case "linux-hardening":
		return SeccompRuntimeDefault, 3, true // <spec>.containers[i].securityContext
	}
	return 0, 0, false
}

// Checks are the ids of the checks whose findings fix repairs.
func Checks() []string {
	return []string{"allow-privilege-escalation", "capabilities-drop-all", "linux-hardening"}
}

// Change is one fix to write in a file.
type Change struct {
	Kind Kind
	// Document and ListItem locate the object in its file, as
	// inventory.Source does.
	Document, ListItem int
	Object             inventory.Ref
	// Path is the mapping the fix writes in, from the object: a container,
	// or the pod spec.
	Path *fieldpath.Path
	// Line is where the finding points, for messages.
	Line int
}

func (c Change) String() string {
	return fmt.Sprintf("%s %s: %s", c.Object, c.Path, c.Kind)
}

// Refusal is a finding of a fixed check that fix does not write, and why.
type Refusal struct {
	File   string
	Line   int
	Object inventory.Ref
	Reason string
}

func (r Refusal) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", r.File, r.Line, r.Object, r.Reason)
}

// Plan turns findings into the changes to write, per file (the file as the
// finding names it). Suppressed findings are left alone; findings in Helm
// templates and Kustomize builds are refused, since the text they were
// read from is not the text kubeward would edit. own reports whether an
// object's positions are in its own document (manifest.OwnText).
func Plan(findings []check.Finding, own func(inventory.Source, inventory.Ref) bool) (map[string][]Change, []Refusal) {
	plan := map[string][]Change{}
	var refused []Refusal
	seen := map[string]bool{}
	var visit func(f check.Finding)
	visit = func(f check.Finding) {
		// A finding speaks for the same cause in other checks (Folded)
		// and for the same finding in other files (Elsewhere).
		for _, g := range slices.Concat(f.Folded, f.Elsewhere) {
			visit(g)
		}
		kind, strip, ok := fixes(f.CheckID)
		if !ok || f.Suppressed() {
			return
		}
		src := f.Source
		switch {
		case src.Template != "":
			refused = append(refused, Refusal{src.File, f.Position.Line, f.Object,
				"rendered from the Helm template " + src.Template + ": kubeward fix edits plain manifests only; set the field in the chart's template or values"})
			return
		case src.File == "" || src.File == "-" || !own(src, f.Object):
			refused = append(refused, Refusal{src.File, f.Position.Line, f.Object,
				"built by a Kustomize overlay (or read from standard input): kubeward fix edits plain manifests only; run it on the files the kustomization lists"})
			return
		}
		path := fieldpath.Parse(f.Path)
		for range strip {
			path = path.Parent()
		}
		if path == nil {
			return // a container or pod spec is never the object itself
		}
		c := Change{Kind: kind, Document: src.Document, ListItem: src.ListItem, Object: f.Object, Path: path, Line: f.Position.Line}
		key := fmt.Sprint(src.File, "\x00", c.Document, "\x00", c.ListItem, "\x00", int(kind), "\x00", path)
		if seen[key] {
			return
		}
		seen[key] = true
		plan[src.File] = append(plan[src.File], c)
	}
	for _, f := range findings {
		visit(f)
	}
	return plan, refused
}

// Result is what Patch did with one change.
type Result struct {
	Change
	// Err says why the change was not written; nil when it was.
	Err error
}

// Patch writes changes into data, a file of YAML or JSON documents. A
// document is edited only when all its changes can be written and it then
// decodes to the original object with the fixes applied.
func Patch(data []byte, changes []Change) ([]byte, []Result) {
	byDoc := map[int][]Change{}
	for _, c := range changes {
		byDoc[c.Document] = append(byDoc[c.Document], c)
	}
	docs := manifest.Documents(data)
	indexes := make([]int, 0, len(byDoc))
	for i := range byDoc {
		indexes = append(indexes, i)
	}
	sort.Ints(indexes)
	var results []Result
	var out []byte
	next := 0
	for _, i := range indexes {
		cs := byDoc[i]
		if i < 0 || i >= len(docs) {
			for _, c := range cs {
				results = append(results, Result{c, fmt.Errorf("document %d is not in the file", i)})
			}
			continue
		}
		d := docs[i]
		text, err := patchDoc(data[d.Start:d.End], cs)
		for _, c := range cs {
			results = append(results, Result{c, err})
		}
		if err != nil {
			continue
		}
		out = append(out, data[next:d.Start]...)
		out = append(out, text...)
		next = d.End
	}
	if out == nil {
		return data, results
	}
	return append(out, data[next:]...), results
}

// patchDoc applies the changes of one document one at a time, parsing the
// text again after each (an edit moves what follows), then checks that
// nothing but the fixes changed.
func patchDoc(text []byte, cs []Change) ([]byte, error) {
	orig := text
	// Each field goes in above the others: the last written comes first,
	// so allowPrivilegeEscalation is written last, above capabilities.
	cs = slices.Clone(cs)
	slices.SortStableFunc(cs, func(a, b Change) int { return int(b.Kind) - int(a.Kind) })
	for _, c := range cs {
		d, err := parseDoc(text)
		if err != nil {
			return nil, fmt.Errorf("the document does not parse: %w", err)
		}
		e, err := d.change(c)
		if err != nil {
			return nil, err
		}
		if e != nil {
			text = e.apply(text)
		}
	}
	before, err := decode(orig)
	if err != nil {
		return nil, fmt.Errorf("the document does not decode: %w", err)
	}
	after, err := decode(text)
	if err != nil {
		return nil, fmt.Errorf("%w: the edit would make the document unreadable", errUnsafe)
	}
	for _, c := range cs {
		if err := expect(before, c); err != nil {
			return nil, err
		}
	}
	if !reflect.DeepEqual(before, after) {
		return nil, fmt.Errorf("%w: the edit would change more than the fix", errUnsafe)
	}
	return text, nil
}

// change computes the edit of one change; nil when the field already holds
// the fix.
func (d *doc) change(c Change) (*edit, error) {
	obj, err := d.object(c.ListItem, c.Object)
	if err != nil {
		return nil, err
	}
	m, err := walk(obj, c.Path)
	if err != nil {
		return nil, err
	}
	switch c.Kind {
	case NoPrivilegeEscalation:
		v, e, err := d.ensure(m, []string{"securityContext", "allowPrivilegeEscalation"}, leaf{scalar: "false"})
		if v == nil || err != nil {
			return e, err
		}
		if v.Kind == yaml.ScalarNode && v.Value == "false" {
			return nil, nil
		}
		return d.replaceScalar(v, "false")
	case DropAll:
		v, e, err := d.ensure(m, []string{"securityContext", "capabilities", "drop"}, leaf{item: "ALL"})
		if v == nil || err != nil {
			return e, err
		}
		if slices.ContainsFunc(v.Content, func(n *yaml.Node) bool { return strings.EqualFold(n.Value, "ALL") }) {
			return nil, nil
		}
		return d.prepend(v, "ALL")
	default:
		v, e, err := d.ensure(m, []string{"securityContext", "seccompProfile", "type"}, leaf{scalar: "RuntimeDefault"})
		if v == nil || err != nil {
			return e, err
		}
		return nil, nil // a profile the pod chose
	}
}

// expect applies a change to the decoded document, as the edit should.
func expect(v any, c Change) error {
	if c.ListItem > 0 {
		items, _ := field(v, "items").([]any)
		if c.ListItem > len(items) {
			return fmt.Errorf("item %d of the list is not there", c.ListItem)
		}
		v = items[c.ListItem-1]
	}
	for _, e := range c.Path.Elems() {
		if e.IsIndex {
			l, _ := v.([]any)
			if e.Index >= len(l) {
				return fmt.Errorf("%s is not in the document", c.Path)
			}
			v = l[e.Index]
			continue
		}
		if v = field(v, e.Name); v == nil {
			return fmt.Errorf("%s is not in the document", c.Path)
		}
	}
	sc := sub(v, "securityContext")
	switch c.Kind {
	case NoPrivilegeEscalation:
		sc["allowPrivilegeEscalation"] = false
	case DropAll:
		caps := sub(sc, "capabilities")
		drop, _ := caps["drop"].([]any)
		if !slices.ContainsFunc(drop, func(d any) bool { s, _ := d.(string); return strings.EqualFold(s, "ALL") }) {
			caps["drop"] = append([]any{"ALL"}, drop...)
		}
	case SeccompRuntimeDefault:
		sp := sub(sc, "seccompProfile")
		if _, ok := sp["type"]; !ok {
			sp["type"] = "RuntimeDefault"
		}
	}
	return nil
}

func field(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

// sub returns the mapping at name in v, adding an empty one when missing.
func sub(v any, name string) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	s, ok := m[name].(map[string]any)
	if !ok {
		s = map[string]any{}
		m[name] = s
	}
	return s
}

// Own is Plan's own for the objects of an inventory: true for an object
// whose positions are in its own document.
func Own(inv *inventory.Inventory) func(inventory.Source, inventory.Ref) bool {
	type at struct {
		file            string
		doc, item       int
		kind, name, nsp string
	}
	own := map[at]bool{}
	for _, o := range inv.All() {
		s := o.Source
		own[at{s.File, s.Document, s.ListItem, o.Kind, o.Name, o.Namespace}] = manifest.OwnText(o)
	}
	return func(s inventory.Source, r inventory.Ref) bool {
		return own[at{s.File, s.Document, s.ListItem, r.Kind, r.Name, r.Namespace}]
	}
}

// decode reads a document as kubectl does, within the manifest limits.
func decode(text []byte) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(text, &n); err != nil {
		return nil, err
	}
	j, err := manifest.ToJSON(&n)
	if err != nil {
		return nil, err
	}
	var v any
	return v, json.Unmarshal(j, &v)
}
