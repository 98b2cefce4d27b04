package kustomize

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/source"
	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/resource"
)

// A built object's fields come from the file its resource was written in
// and from the patches applied to it on the way. kustomize records the
// first (buildMetadata: [originAnnotations]) and which kustomizations'
// transformers touched the object (transformerAnnotations), not which
// patch set which field. So each field is looked for in the resource's
// document and in the patches those kustomizations declare for the object;
// the one that holds the deepest part of the field's path, with the built
// value, wins, a later patch over an earlier one and over the resource,
// since it was applied last.

// yamlFiles parses the files of one build once, for the positions of all
// its objects, which checks ask for from several goroutines.
type yamlFiles struct {
	maxFile int64
	mu      sync.Mutex
	docs    map[string][]*yaml.Node // absolute path: documents, lines of the file
	errs    map[string]error
}

func newYAMLFiles(maxFile int64) *yamlFiles {
	return &yamlFiles{maxFile: maxFile, docs: map[string][]*yaml.Node{}, errs: map[string]error{}}
}

// documents returns the mapping or sequence at the top of each document of
// a file, with the file's own lines.
func (y *yamlFiles) documents(abs string) ([]*yaml.Node, error) {
	y.mu.Lock()
	defer y.mu.Unlock()
	if d, ok := y.docs[abs]; ok {
		return d, y.errs[abs]
	}
	data, err := source.ReadFile(abs, y.maxFile)
	var docs []*yaml.Node
	if err == nil {
		docs, err = parseDocuments(data)
	}
	y.docs[abs], y.errs[abs] = docs, err
	return docs, err
}

func parseDocuments(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if len(n.Content) > 0 {
			docs = append(docs, n.Content[0])
		}
	}
}

// place is a node in a file: a resource, a patch, or a part of one.
type place struct {
	file string // as displayed
	// lineShift and colShift move positions of a patch written inline in a
	// kustomization (a block scalar) into that file.
	lineShift, colShift int
	node                *yaml.Node
}

func (p place) position(n *yaml.Node) inventory.Position {
	return inventory.Position{File: p.file, Line: n.Line + p.lineShift, Column: n.Column + p.colShift}
}

// patch is one patch that may have touched the object.
type patch struct {
	place
	json6902 bool // a list of JSON patch operations, not a strategic merge
}

// originLocator maps the fields of one built object to the files they were
// written in. It implements inventory.Locator; positions in another file
// than the resource's carry that file.
type originLocator struct {
	files    *yamlFiles
	built    []byte // the object as built, for its list items and values
	resource place  // its document, or for a generated object its generator entry
	patches  []patch

	once  sync.Once
	root  *yaml.Node // built, parsed
	found bool       // resource.node was found
}

func (l *originLocator) Locate(paths []*fieldpath.Path) ([]inventory.Position, error) {
	l.once.Do(func() {
		docs, err := parseDocuments(l.built)
		if err == nil && len(docs) == 1 {
			l.root = docs[0]
		}
	})
	out := make([]inventory.Position, len(paths))
	for i, p := range paths {
		out[i] = l.locate(p)
		if out[i].File == l.resource.file {
			out[i].File = ""
		}
	}
	return out, nil
}

func (l *originLocator) locate(p *fieldpath.Path) inventory.Position {
	res := l.resource
	if res.node == nil {
		return inventory.Position{}
	}
	elems := p.Elems()
	best, at := walk(res.node, l.root, elems)
	pos := res.position(at)
	for _, pt := range l.patches {
		var depth int
		var n *yaml.Node
		if pt.json6902 {
			depth, n = walkOps(pt.node, l.root, elems)
		} else {
			depth, n = walk(pt.node, l.root, elems)
		}
		// A later patch wins a tie when it sets the field itself; for a
		// field that is nowhere, the resource keeps the nearest place.
		if n != nil && (depth > best || depth == best && depth == 2*len(elems)) {
			best, pos = depth, pt.position(n)
		}
	}
	return pos
}

// walk follows elems from node, matching list items to the built object's
// by their identity, and returns how many steps it could follow (one more
// when the value there is the built one) and the node it reached: the key
// of a field, the item of a list.
func walk(node, built *yaml.Node, elems []fieldpath.Elem) (int, *yaml.Node) {
	at, n, b := node, deref(node), deref(built)
	depth := 0
	for _, e := range elems {
		var next, key, bnext *yaml.Node
		switch {
		case e.IsIndex && n.Kind == yaml.SequenceNode:
			if b != nil && b.Kind == yaml.SequenceNode && e.Index < len(b.Content) {
				bnext = deref(b.Content[e.Index])
			}
			next = sameItem(n, bnext, e.Index)
			key = next
		case !e.IsIndex && n.Kind == yaml.MappingNode:
			next, key = lookup(n, e.Name)
			if b != nil && b.Kind == yaml.MappingNode {
				bnext, _ = lookup(b, e.Name)
			}
		}
		if next == nil {
			return depth * 2, at
		}
		depth++
		at, n, b = key, deref(next), deref(bnext)
	}
	if n.Kind == yaml.ScalarNode && b != nil && (b.Kind != yaml.ScalarNode || b.Value != n.Value) {
		return depth*2 - 1, at // the field is here, another value was built
	}
	return depth * 2, at
}

// identities are the merge keys of Kubernetes lists (containers and
// volumes by name, ports by containerPort, mounts by mountPath...), which
// strategic merge patches match items by.
var identities = []string{"name", "containerPort", "mountPath", "devicePath", "ip", "key", "port", "topologyKey"}

// sameItem finds the item of seq that is the built item: the one with the
// same identity, else the one at the same index.
func sameItem(seq, built *yaml.Node, index int) *yaml.Node {
	if built != nil && built.Kind == yaml.MappingNode {
		for _, k := range identities {
			want, _ := lookup(built, k)
			if want == nil || deref(want).Kind != yaml.ScalarNode {
				continue
			}
			for _, it := range seq.Content {
				if it = deref(it); it.Kind == yaml.MappingNode {
					if v, _ := lookup(it, k); v != nil && deref(v).Value == deref(want).Value {
						return it
					}
				}
			}
			return nil // the built item is not in this list
		}
	}
	if built != nil && built.Kind == yaml.ScalarNode {
		for _, it := range seq.Content {
			if deref(it).Kind == yaml.ScalarNode && deref(it).Value == built.Value {
				return it
			}
		}
	}
	if index < len(seq.Content) {
		return seq.Content[index]
	}
	return nil
}

// walkOps finds the JSON patch operation (add or replace) whose path the
// field is at or below, and follows the rest of the path in its value.
func walkOps(ops, built *yaml.Node, elems []fieldpath.Elem) (int, *yaml.Node) {
	bestDepth, var0 := 0, (*yaml.Node)(nil)
	for _, op := range ops.Content {
		op = deref(op)
		if op.Kind != yaml.MappingNode {
			continue
		}
		kind, _ := lookup(op, "op")
		ptr, _ := lookup(op, "path")
		if kind == nil || ptr == nil || (deref(kind).Value != "add" && deref(kind).Value != "replace") {
			continue
		}
		steps := pointer(deref(ptr).Value)
		if len(steps) == 0 || len(steps) > len(elems) || !prefixOf(steps, elems) {
			continue
		}
		value, valueKey := lookup(op, "value")
		if value == nil {
			continue
		}
		depth, at := 2*len(steps), valueKey
		if rest := elems[len(steps):]; len(rest) > 0 {
			d, n := walk(value, builtAt(built, elems[:len(steps)]), rest)
			if d > 0 {
				depth, at = depth+d, n
			}
		} else if deref(value).Kind == yaml.ScalarNode {
			if b := builtAt(built, elems); b != nil && b.Kind == yaml.ScalarNode && b.Value != deref(value).Value {
				depth-- // replaced again later
			}
		}
		if depth >= bestDepth {
			bestDepth, var0 = depth, at
		}
	}
	return bestDepth, var0
}

// pointer splits a JSON pointer into its unescaped steps.
func pointer(p string) []string {
	if !strings.HasPrefix(p, "/") {
		return nil
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return parts
}

func prefixOf(steps []string, elems []fieldpath.Elem) bool {
	for i, s := range steps {
		e := elems[i]
		if e.IsIndex {
			if s != strconv.Itoa(e.Index) {
				return false
			}
		} else if s != e.Name {
			return false
		}
	}
	return true
}

// builtAt is the built node at a path, or nil.
func builtAt(built *yaml.Node, elems []fieldpath.Elem) *yaml.Node {
	n := deref(built)
	for _, e := range elems {
		if n == nil {
			return nil
		}
		switch {
		case e.IsIndex && n.Kind == yaml.SequenceNode && e.Index < len(n.Content):
			n = deref(n.Content[e.Index])
		case !e.IsIndex && n.Kind == yaml.MappingNode:
			v, _ := lookup(n, e.Name)
			n = deref(v)
		default:
			return nil
		}
	}
	return n
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// lookup returns the value and key nodes of a mapping's field.
func lookup(m *yaml.Node, key string) (val, keyNode *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			val, keyNode = m.Content[i+1], m.Content[i]
		}
	}
	return val, keyNode
}

func scalar(m *yaml.Node, keys ...string) string {
	for _, k := range keys {
		v, _ := lookup(m, k)
		if m = deref(v); m == nil {
			return ""
		}
	}
	if m.Kind != yaml.ScalarNode {
		return ""
	}
	return m.Value
}

// identity is what a built object is known by, to find its document and
// the patches meant for it.
type identity struct {
	group, version, kind, name, namespace string
}

func identityOf(res *resource.Resource) identity {
	gvk := res.GetGvk()
	return identity{group: gvk.Group, version: gvk.Version, kind: gvk.Kind, name: res.GetName(), namespace: res.GetNamespace()}
}

// namedLike reports whether a name written in a source file is the built
// object's name: the same, or the same with the prefixes, suffixes and
// hash kustomize adds.
func namedLike(written, built string) bool {
	return written != "" && (written == built || strings.Contains(built, written))
}

// findDocument finds the object's document in its file: the one of its
// kind whose name it bears (the longest, when prefixes make several fit).
func findDocument(docs []*yaml.Node, id identity) *yaml.Node {
	var best *yaml.Node
	bestLen := -1
	for _, d := range docs {
		if scalar(d, "kind") != id.kind {
			continue
		}
		name := scalar(d, "metadata", "name")
		if namedLike(name, id.name) && len(name) > bestLen {
			best, bestLen = d, len(name)
		}
	}
	return best
}

// kustomization is the part of a kustomization file that says where
// objects and patches are written.
type kustFile struct {
	abs  string // the file
	root *yaml.Node
}

// generatorEntry finds the generator entry (configMapGenerator,
// secretGenerator) that made a generated object.
func (k kustFile) generatorEntry(id identity) *yaml.Node {
	field := map[string]string{"ConfigMap": "configMapGenerator", "Secret": "secretGenerator"}[id.kind]
	list, _ := lookup(k.root, field)
	var best *yaml.Node
	bestLen := -1
	if list = deref(list); list != nil && list.Kind == yaml.SequenceNode {
		for _, it := range list.Content {
			if name := scalar(it, "name"); namedLike(name, id.name) && len(name) > bestLen {
				best, bestLen = deref(it), len(name)
			}
		}
	}
	return best
}

// patches returns the kustomization's patches that may apply to the
// object, in the order kustomize applies them.
func (k kustFile) patches(files *yamlFiles, id identity) []patch {
	var out []patch
	dir := filepath.Dir(k.abs)
	display := source.Display(k.abs)
	add := func(inline *yaml.Node, file string, target *yaml.Node) {
		var docs []*yaml.Node
		var pl place
		switch {
		case file != "":
			abs := filepath.Join(dir, file)
			d, err := files.documents(abs)
			if err != nil {
				return
			}
			docs, pl = d, place{file: source.Display(abs)}
		case inline != nil:
			d, err := parseDocuments([]byte(inline.Value))
			if err != nil {
				return
			}
			docs, pl = d, place{file: display, lineShift: inline.Line, colShift: blockIndent(files, k.abs, inline) - 1}
			if inline.Style != yaml.LiteralStyle && inline.Style != yaml.FoldedStyle {
				pl.lineShift, pl.colShift = inline.Line-1, inline.Column-1
			}
		default:
			return
		}
		for _, d := range docs {
			p := patch{place: pl, json6902: d.Kind == yaml.SequenceNode}
			p.node = d
			switch {
			case target != nil && !targets(target, id):
			case target == nil && !p.json6902 && !(scalar(d, "kind") == id.kind && namedLike(scalar(d, "metadata", "name"), id.name)):
			default:
				out = append(out, p)
			}
		}
	}
	if list, _ := lookup(k.root, "patchesStrategicMerge"); deref(list) != nil {
		for _, it := range deref(list).Content {
			it = deref(it)
			if strings.Contains(it.Value, "\n") {
				add(it, "", nil)
			} else {
				add(nil, it.Value, nil)
			}
		}
	}
	for _, field := range []string{"patchesJson6902", "patches"} {
		list, _ := lookup(k.root, field)
		if list = deref(list); list == nil {
			continue
		}
		for _, it := range list.Content {
			it = deref(it)
			target, _ := lookup(it, "target")
			inline, _ := lookup(it, "patch")
			add(deref(inline), scalar(it, "path"), deref(target))
		}
	}
	return out
}

// targets reports whether a patch's target selects the object: kind,
// group, version and namespace as written, the name as a regular
// expression (label and annotation selectors are not judged).
func targets(t *yaml.Node, id identity) bool {
	for _, c := range []struct{ key, want string }{{"kind", id.kind}, {"group", id.group}, {"version", id.version}, {"namespace", id.namespace}} {
		if v := scalar(t, c.key); v != "" && v != c.want {
			return false
		}
	}
	if name := scalar(t, "name"); name != "" {
		re, err := regexp.Compile("^(?:" + name + ")$")
		return err == nil && (re.MatchString(id.name) || namedLike(name, id.name))
	}
	return true
}

// blockIndent returns the column where the lines of a block scalar start
// in its file (its content is parsed without the indentation).
func blockIndent(files *yamlFiles, abs string, n *yaml.Node) int {
	data, err := source.ReadFile(abs, files.maxFile)
	if err != nil {
		return 1
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, int(files.maxFile))
	for line := 1; sc.Scan(); line++ {
		if line > n.Line && strings.TrimSpace(sc.Text()) != "" {
			return len(sc.Text()) - len(strings.TrimLeft(sc.Text(), " ")) + 1
		}
	}
	return 1
}

// readKustomizationFile parses a kustomization for the locator.
func readKustomizationFile(files *yamlFiles, abs string) (kustFile, bool) {
	if info, err := os.Stat(abs); err != nil || info.IsDir() {
		return kustFile{}, false
	}
	docs, err := files.documents(abs)
	if err != nil || len(docs) == 0 {
		return kustFile{}, false
	}
	return kustFile{abs: abs, root: docs[0]}, true
}
