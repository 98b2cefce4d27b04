// Package policytest reads PolicyTest files, the test cases of
// ValidatingAdmissionPolicies (an object, how it is sent, and the decision
// expected), runs them through package vap and reports like a test runner.
package policytest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/policy/vap"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
)

// APIVersion and Kind identify a PolicyTest file.
const (
	APIVersion = "kubeward.dev/v1alpha1"
	Kind       = "PolicyTest"
)

// Expectations a case can state.
const (
	ExpectAdmit = "admit" // allowed (warnings allowed too)
	ExpectDeny  = "deny"  // refused by a validation that evaluated to false
	ExpectWarn  = "warn"  // allowed with at least one warning
	// ExpectError: refused because an expression failed at run time
	// under failurePolicy Fail (no such key, no such overload, the cost
	// limit), which expect: deny does not accept.
	ExpectError = "error"
)

// maxFileBytes bounds a PolicyTest file and the object files it names.
const maxFileBytes = 16 << 20

// Suite is one PolicyTest file.
type Suite struct {
	File  string
	Cases []*Case
}

// Case is one test case: a request and what the API server should decide.
type Case struct {
	Name string
	Line int // of the case in File
	vap.Request
	Expect string
	// Message must occur in the denial message (deny, error) or in a
	// warning (warn).
	Message string
	// Warnings must each occur in some warning.
	Warnings []string
	// AuditAnnotations must be present, each value containing the given text.
	AuditAnnotations map[string]string
}

// fileFormat is the YAML form; positions come from the nodes.
type fileFormat struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Cases      []caseForm `yaml:"cases"`
}

type caseForm struct {
	Name             string            `yaml:"name"`
	Object           yaml.Node         `yaml:"object"`
	File             string            `yaml:"file"`
	Select           string            `yaml:"select"`
	OldObject        yaml.Node         `yaml:"oldObject"`
	OldFile          string            `yaml:"oldFile"`
	Operation        string            `yaml:"operation"`
	Namespace        string            `yaml:"namespace"`
	NamespaceLabels  map[string]string `yaml:"namespaceLabels"`
	User             *userForm         `yaml:"user"`
	Policies         []string          `yaml:"policies"`
	Expect           string            `yaml:"expect"`
	Message          string            `yaml:"message"`
	Warnings         []string          `yaml:"warnings"`
	AuditAnnotations map[string]string `yaml:"auditAnnotations"`
}

type userForm struct {
	Name   string              `yaml:"name"`
	UID    string              `yaml:"uid"`
	Groups []string            `yaml:"groups"`
	Extra  map[string][]string `yaml:"extra"`
}

// Load reads a PolicyTest file; object files it names are read relative to
// its directory.
func Load(path string) (*Suite, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	return Parse(data, path, func(name string) ([]byte, string, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		b, err := readLimited(name)
		return b, name, err
	})
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxFileBytes>>20)
	}
	return data, nil
}

// ReadFile reads a file a case names, returning its contents and the name
// to show in messages.
type ReadFile func(name string) ([]byte, string, error)

// Parse reads a PolicyTest file from bytes. Unknown fields, a case without
// a name or an expectation, an object that does not decode: all are errors
// with the file and line.
func Parse(data []byte, name string, read ReadFile) (*Suite, error) {
	errAt := func(line int, format string, args ...any) error {
		if line > 0 {
			return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
		}
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errAt(0, "empty file")
		}
		return nil, yamlErr(name, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, errAt(root.Line, "want a PolicyTest mapping with apiVersion %s and kind %s", APIVersion, Kind)
	}
	var ff fileFormat
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&ff); err != nil {
		return nil, yamlErr(name, err)
	}
	if ff.APIVersion != APIVersion || ff.Kind != Kind {
		return nil, errAt(root.Content[0].Line, "want apiVersion %s and kind %s, got %q and %q", APIVersion, Kind, ff.APIVersion, ff.Kind)
	}
	if len(ff.Cases) == 0 {
		return nil, errAt(root.Content[0].Line, "no cases")
	}
	lines := caseLines(root.Content[0])
	s := &Suite{File: name}
	seen := map[string]int{}
	for i := range ff.Cases {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		cs, err := buildCases(&ff.Cases[i], line, name, read)
		if err != nil {
			return nil, errAt(line, "case %d: %v", i+1, err)
		}
		for _, c := range cs {
			if prev, dup := seen[c.Name]; dup {
				return nil, errAt(line, "case %q: the name is used by the case at line %d", c.Name, prev)
			}
			seen[c.Name] = line
			s.Cases = append(s.Cases, c)
		}
	}
	return s, nil
}

// caseLines returns the line of each item of the top-level cases list.
func caseLines(m *yaml.Node) []int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "cases" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, item := range m.Content[i+1].Content {
				out = append(out, item.Line)
			}
			return out
		}
	}
	return nil
}

func yamlErr(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	if rest, ok := strings.CutPrefix(msg, "unmarshal errors:; "); ok {
		msg = rest
	}
	// "line 12: field expct not found in type policytest.caseForm"
	if strings.HasPrefix(msg, "line ") {
		if n, rest, ok := strings.Cut(strings.TrimPrefix(msg, "line "), ": "); ok {
			return fmt.Errorf("%s:%s: %s", name, n, cleanTypeNames(rest))
		}
	}
	return fmt.Errorf("%s: %s", name, cleanTypeNames(msg))
}

// cleanTypeNames hides Go type names from YAML errors.
func cleanTypeNames(msg string) string {
	for _, t := range []string{"policytest.caseForm", "policytest.fileFormat", "policytest.userForm"} {
		msg = strings.ReplaceAll(msg, " in type "+t, "")
	}
	return msg
}

// buildCases builds the case of one entry, or, when it selects several
// objects of a file (select: all, or a glob such as Pod/* or
// Deployment/prod/*), one case per object, named after the entry and the
// object.
func buildCases(f *caseForm, line int, file string, read ReadFile) ([]*Case, error) {
	if !selectsMany(f.Select) {
		c, err := buildCase(f, nil, line, file, read)
		if err != nil {
			return nil, err
		}
		return []*Case{c}, nil
	}
	name := strings.TrimSpace(f.Name)
	if name == "" {
		return nil, errors.New("name is required")
	}
	if f.File == "" {
		return nil, fmt.Errorf("case %q: select %q needs a file", name, f.Select)
	}
	if f.OldFile != "" || f.OldObject.Kind != 0 {
		return nil, fmt.Errorf("case %q: select %q picks several objects; an UPDATE case names one (select: Kind/name)", name, f.Select)
	}
	if read == nil {
		return nil, fmt.Errorf("case %q: file %s: files cannot be read here", name, f.File)
	}
	data, shown, err := read(f.File)
	if err != nil {
		return nil, fmt.Errorf("case %q: file %s: %w", name, f.File, err)
	}
	objs, err := decode(data, shown, 0)
	if err != nil {
		return nil, fmt.Errorf("case %q: %w", name, err)
	}
	var out []*Case
	for _, o := range objs {
		if !selected(o, f.Select) {
			continue
		}
		one := *f
		one.Name = name + " [" + o.Ref.String() + "]"
		c, err := buildCase(&one, o, line, file, read)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("case %q: select %q matches no object of %s (it holds %s)", name, f.Select, f.File, strings.Join(refs(objs), ", "))
	}
	return out, nil
}

// selectsMany reports a select that may pick several objects: "all" or a
// glob.
func selectsMany(sel string) bool { return sel == "all" || strings.ContainsAny(sel, "*?[") }

// selected reports whether o is picked by sel: "all", or a glob matched
// against Kind/name and Kind/namespace/name.
func selected(o *inventory.Object, sel string) bool {
	if sel == "all" {
		return true
	}
	for _, ref := range []string{o.Kind + "/" + o.Name, o.Ref.String()} {
		if ok, _ := path.Match(sel, ref); ok {
			return true
		}
	}
	return false
}

func refs(objs []*inventory.Object) []string {
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, o.Ref.String())
	}
	sort.Strings(names)
	return names
}

// buildCase builds one case; obj, when not nil, is its object, already
// picked from the case's file.
func buildCase(f *caseForm, obj *inventory.Object, line int, file string, read ReadFile) (*Case, error) {
	c := &Case{Name: strings.TrimSpace(f.Name), Line: line, Message: f.Message, Warnings: f.Warnings, AuditAnnotations: f.AuditAnnotations}
	if c.Name == "" {
		return nil, errors.New("name is required")
	}
	switch f.Expect {
	case ExpectAdmit, ExpectDeny, ExpectWarn, ExpectError:
		c.Expect = f.Expect
	case "":
		return nil, fmt.Errorf("case %q: expect is required (admit, deny, warn or error)", c.Name)
	default:
		return nil, fmt.Errorf("case %q: expect %q is not admit, deny, warn or error", c.Name, f.Expect)
	}
	if f.Message != "" && c.Expect == ExpectAdmit {
		return nil, fmt.Errorf("case %q: message applies to deny, error and warn; use warnings to expect warnings of an admitted request", c.Name)
	}
	var err error
	c.Object = obj
	if obj == nil {
		if c.Object, err = object(&f.Object, f.File, f.Select, file, read); err != nil {
			return nil, fmt.Errorf("case %q: %w", c.Name, err)
		}
	}
	if c.Object == nil {
		return nil, fmt.Errorf("case %q: an object (inline) or a file is required", c.Name)
	}
	if c.OldObject, err = object(&f.OldObject, f.OldFile, "", file, read); err != nil {
		return nil, fmt.Errorf("case %q: old object: %w", c.Name, err)
	}
	switch op := admission.Operation(strings.ToUpper(f.Operation)); op {
	case "":
		if c.OldObject != nil {
			c.Operation = admission.Update
		} else {
			c.Operation = admission.Create
		}
	case admission.Create, admission.Delete:
		if c.OldObject != nil {
			return nil, fmt.Errorf("case %q: oldObject is only for UPDATE", c.Name)
		}
		c.Operation = op
	case admission.Update:
		if c.OldObject == nil {
			return nil, fmt.Errorf("case %q: UPDATE needs oldObject or oldFile", c.Name)
		}
		c.Operation = op
	default:
		return nil, fmt.Errorf("case %q: operation %q is not CREATE, UPDATE or DELETE", c.Name, f.Operation)
	}
	c.Namespace, c.Policies = f.Namespace, f.Policies
	if f.NamespaceLabels != nil {
		c.NamespaceLabels = f.NamespaceLabels
	}
	if u := f.User; u != nil {
		if u.Name == "" {
			return nil, fmt.Errorf("case %q: user.name is required", c.Name)
		}
		c.User = &user.DefaultInfo{Name: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
	}
	return c, nil
}

// object decodes an inline object, or one from a file (select picks it
// among several: Kind/name or Kind/namespace/name).
func object(node *yaml.Node, file, sel, caseFile string, read ReadFile) (*inventory.Object, error) {
	inline := node.Kind != 0 && !(node.Kind == yaml.ScalarNode && node.Tag == "!!null")
	switch {
	case inline && file != "":
		return nil, errors.New("give the object inline or as a file, not both")
	case inline:
		if node.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: the object must be a mapping", node.Line)
		}
		data, err := yaml.Marshal(node)
		if err != nil {
			return nil, err
		}
		objs, err := decode(data, caseFile, node.Line)
		if err != nil {
			return nil, err
		}
		if len(objs) != 1 {
			return nil, fmt.Errorf("line %d: want one object, got %d (an object needs apiVersion and kind)", node.Line, len(objs))
		}
		return objs[0], nil
	case file != "":
		if read == nil {
			return nil, fmt.Errorf("file %s: files cannot be read here", file)
		}
		data, shown, err := read(file)
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", file, err)
		}
		objs, err := decode(data, shown, 0)
		if err != nil {
			return nil, err
		}
		return pick(objs, sel, file)
	case sel != "":
		return nil, errors.New("select needs a file")
	}
	return nil, nil
}

func pick(objs []*inventory.Object, sel, file string) (*inventory.Object, error) {
	if sel == "" {
		if len(objs) != 1 {
			return nil, fmt.Errorf("file %s holds %d objects; name one with select: Kind/name, or take each with select: all or a glob (Pod/*)", file, len(objs))
		}
		return objs[0], nil
	}
	var hits []*inventory.Object
	for _, o := range objs {
		if o.Kind+"/"+o.Name == sel || o.Ref.String() == sel {
			hits = append(hits, o)
		}
	}
	if len(hits) != 1 {
		return nil, fmt.Errorf("select %q matches %d objects of %s (it holds %s)", sel, len(hits), file, strings.Join(refs(objs), ", "))
	}
	return hits[0], nil
}

// decode reads objects in full; the first error-level problem fails.
func decode(data []byte, name string, line int) ([]*inventory.Object, error) {
	log := &diag.Log{}
	var objs []*inventory.Object
	in := manifest.Input{Name: name, Data: data}
	if line > 0 {
		in.LineOffset = line - 1
	}
	(&manifest.Decoder{Log: log}).Decode(in, func(o *inventory.Object) { objs = append(objs, o) })
	for _, p := range log.Problems() {
		if p.Level == diag.Error {
			return nil, errors.New(p.String())
		}
	}
	return objs, nil
}
