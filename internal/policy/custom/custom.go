// Package custom loads kubeward checks written in CEL from files. A custom
// check is an ordinary *check.Check: it runs in file scans, cluster scans
// and the admission webhook beside the built-in checks, and suppressions
// apply to it. Its expression is compiled in the CEL environment of
// ValidatingAdmissionPolicy validations (the same Kubernetes libraries and
// cost limits) and, like a validation, returns true when the object is
// fine. The format is documented in docs/policy.md.
package custom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// APIVersion and Kind identify a custom check document.
const (
	APIVersion = "kubeward.dev/v1alpha1"
	Kind       = "Check"
)

// maxFileBytes bounds a custom check file.
const maxFileBytes = 4 << 20

// form is one check as written.
type form struct {
	APIVersion        string     `yaml:"apiVersion"`
	Kind              string     `yaml:"kind"`
	ID                string     `yaml:"id"`
	Title             string     `yaml:"title"`
	Severity          string     `yaml:"severity"`
	Category          string     `yaml:"category"`
	Kinds             []kindForm `yaml:"kinds"`
	PodSpec           bool       `yaml:"podSpec"`
	Expression        string     `yaml:"expression"`
	Message           string     `yaml:"message"`
	MessageExpression string     `yaml:"messageExpression"`
	Path              string     `yaml:"path"`
	FailurePolicy     string     `yaml:"failurePolicy"`
	Rationale         string     `yaml:"rationale"`
	Fix               string     `yaml:"fix"`
	References        []refForm  `yaml:"references"`
}

type kindForm struct {
	Group string `yaml:"group"`
	Kind  string `yaml:"kind"`
}

type refForm struct {
	Framework string `yaml:"framework"`
	ID        string `yaml:"id"`
	Title     string `yaml:"title"`
	URL       string `yaml:"url"`
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	kindPattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
)

// Load reads custom checks from files and directories (searched
// recursively for *.yaml, *.yml and *.json). Every problem is reported,
// each with its file and line: bad fields, CEL that does not compile, an
// id used twice or by a built-in check. The checks are not registered:
// they belong to the run that loaded them.
func Load(paths ...string) ([]*check.Check, error) {
	var (
		out  []*check.Check
		errs []error
		at   = map[string]string{} // id -> file:line
	)
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			data, err := readLimited(f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			checks, lines, err := parse(data, f)
			if err != nil {
				errs = append(errs, err)
			}
			for i, c := range checks {
				where := fmt.Sprintf("%s:%d", f, lines[i])
				if prev, dup := at[c.ID]; dup {
					errs = append(errs, fmt.Errorf("%s: check id %q is already defined at %s", where, c.ID, prev))
					continue
				}
				at[c.ID] = where
				out = append(out, c)
			}
		}
	}
	return out, errors.Join(errs...)
}

// Parse reads the check documents of one file; name is used in messages.
func Parse(data []byte, name string) ([]*check.Check, error) {
	checks, _, err := parse(data, name)
	return checks, err
}

func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("custom checks: %w", err)
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	// WalkDir does not follow a symbolic link, not even as its root: walk
	// the directory it names and show paths under the name given.
	root, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("custom checks: %w", err)
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, rerr := filepath.Rel(root, path); rerr == nil {
			path = filepath.Join(p, rel)
		}
		if d.IsDir() {
			if path != filepath.Join(p, ".") && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".yaml", ".yml", ".json":
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("custom checks: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("custom checks: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("custom checks: %s: %w", path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxFileBytes>>20)
	}
	return data, nil
}

// parse returns the checks of a file and the line of each; it goes on after
// a bad document so every problem is reported.
func parse(data []byte, name string) ([]*check.Check, []int, error) {
	var (
		out   []*check.Check
		lines []int
		errs  []error
	)
	nodes := yaml.NewDecoder(bytes.NewReader(data))
	forms := yaml.NewDecoder(bytes.NewReader(data))
	forms.KnownFields(true)
	for doc := 1; ; doc++ {
		var node yaml.Node
		err := nodes.Decode(&node)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, yamlErr(name, err))
			break // the stream cannot be followed past a syntax error
		}
		var f form
		ferr := forms.Decode(&f)
		if len(node.Content) == 0 || (node.Content[0].Kind == yaml.ScalarNode && node.Content[0].Tag == "!!null") {
			continue // an empty document
		}
		root := node.Content[0]
		if ferr != nil {
			errs = append(errs, yamlErr(name, ferr))
			continue
		}
		c, err := build(&f, root, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
		lines = append(lines, root.Line)
	}
	return out, lines, errors.Join(errs...)
}

func yamlErr(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:; ")
	for _, t := range []string{"custom.form", "custom.kindForm", "custom.refForm"} {
		msg = strings.ReplaceAll(msg, " in type "+t, "")
	}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, m, ok := strings.Cut(rest, ": "); ok {
			return fmt.Errorf("%s:%s: %s", name, n, m)
		}
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// line finds the line of a top-level key of the document.
func line(root *yaml.Node, key string) int {
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key {
				return root.Content[i+1].Line
			}
		}
	}
	return root.Line
}

func build(f *form, root *yaml.Node, file string) (*check.Check, error) {
	fail := func(key, format string, args ...any) error {
		id := ""
		if f.ID != "" {
			id = "check " + f.ID + ": "
		}
		return fmt.Errorf("%s:%d: %s%s", file, line(root, key), id, fmt.Sprintf(format, args...))
	}
	if root.Kind != yaml.MappingNode {
		return nil, fail("", "want a mapping with apiVersion %s and kind %s", APIVersion, Kind)
	}
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return nil, fail("kind", "want apiVersion %s and kind %s, got %q and %q", APIVersion, Kind, f.APIVersion, f.Kind)
	}
	if !idPattern.MatchString(f.ID) {
		return nil, fail("id", "id %q is not a lower-case slug (like require-owner-label)", f.ID)
	}
	if _, builtin := check.Get(f.ID); builtin {
		return nil, fail("id", "id is the id of a built-in check; choose another")
	}
	if strings.TrimSpace(f.Title) == "" {
		return nil, fail("title", "title is required")
	}
	sev, err := check.ParseSeverity(f.Severity)
	if err != nil {
		return nil, fail("severity", "%v", err)
	}
	cat := check.CategoryPolicy
	if f.Category != "" {
		if !idPattern.MatchString(f.Category) {
			return nil, fail("category", "category %q is not a lower-case slug", f.Category)
		}
		cat = check.Category(f.Category)
	}
	if f.PodSpec == (len(f.Kinds) > 0) {
		return nil, fail("kinds", "give either kinds (the kinds of object checked) or podSpec: true (every pod spec of any workload kind)")
	}
	var kinds []schema.GroupKind
	for i, k := range f.Kinds {
		gk := schema.GroupKind{Group: k.Group, Kind: k.Kind}
		if err := checkKind(gk); err != nil {
			return nil, fail("kinds", "kinds[%d]: %v", i, err)
		}
		kinds = append(kinds, gk)
	}
	if strings.TrimSpace(f.Expression) == "" {
		return nil, fail("expression", "expression is required")
	}
	c := &compiled{title: f.Title, message: strings.TrimSpace(f.Message)}
	if strings.ContainsAny(c.message, "\r\n") {
		return nil, fail("message", "message must not contain line breaks")
	}
	if c.expr, err = compile(f.Expression, f.PodSpec, cel.BoolType); err != nil {
		return nil, fail("expression", "expression: %v", err)
	}
	if strings.TrimSpace(f.MessageExpression) != "" {
		if c.msg, err = compile(f.MessageExpression, f.PodSpec, cel.StringType); err != nil {
			return nil, fail("messageExpression", "messageExpression: %v", err)
		}
	}
	if f.Path != "" {
		c.path = fieldpath.Parse(f.Path)
		if c.path.String() != strings.TrimSpace(f.Path) {
			return nil, fail("path", "path %q is not a field path like spec.template.spec or containers[0].image", f.Path)
		}
	}
	switch f.FailurePolicy {
	case "", "Fail":
	case "Ignore":
		c.ignoreErrors = true
	default:
		return nil, fail("failurePolicy", "failurePolicy %q is not Fail or Ignore", f.FailurePolicy)
	}
	var refs []check.Reference
	for i, r := range f.References {
		if r.Framework == "" || r.ID == "" {
			return nil, fail("references", "references[%d]: framework and id are required", i)
		}
		refs = append(refs, check.Reference{Framework: r.Framework, ID: r.ID, Title: r.Title, URL: r.URL})
	}
	out := &check.Check{Meta: check.Meta{
		ID: f.ID, Title: strings.TrimSpace(f.Title), Severity: sev, Category: cat,
		Rationale: strings.TrimSpace(f.Rationale), Fix: strings.TrimSpace(f.Fix), Refs: refs,
		Reads: []string{"CEL: " + strings.TrimSpace(f.Expression)},
	}}
	if f.PodSpec {
		out.Pod = c.pod
	} else {
		out.Object, out.Kinds = c.object, kinds
	}
	return out, nil
}

// checkKind catches kinds that would silently match nothing: a lower-case
// or plural name, or a built-in kind under the wrong group.
func checkKind(gk schema.GroupKind) error {
	if !kindPattern.MatchString(gk.Kind) {
		return fmt.Errorf("kind %q is not a Kind name like Deployment", gk.Kind)
	}
	var groups []string
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if gvk.Kind != gk.Kind || gvk.Version == "__internal" {
			continue
		}
		if gvk.Group == gk.Group {
			return nil
		}
		groups = append(groups, gvk.Group)
	}
	if len(groups) == 0 {
		return nil // a custom resource
	}
	sort.Strings(groups)
	name := func(g string) string {
		if g == "" {
			return `"" (core)`
		}
		return fmt.Sprintf("%q", g)
	}
	return fmt.Errorf("%s is in group %s, not %s", gk.Kind, name(groups[0]), name(gk.Group))
}
