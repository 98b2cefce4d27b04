package manifest

import (
	"strings"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	yaml "go.yaml.in/yaml/v3"
)

// locateIn finds the node at path below root: the key node for a mapping
// field (the line people look at), the item for a list index. A missing
// path resolves to its nearest existing ancestor.
func locateIn(root *yaml.Node, path *fieldpath.Path) (line, col int) {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil {
		return 0, 0
	}
	line, col = n.Line, n.Column
	for _, e := range path.Elems() {
		n = deref(n)
		var next, at *yaml.Node
		switch {
		case e.IsIndex && n.Kind == yaml.SequenceNode:
			if e.Index >= 0 && e.Index < len(n.Content) {
				next = n.Content[e.Index]
				at = next
			}
		case !e.IsIndex && n.Kind == yaml.MappingNode:
			next, at = lookup(n, e.Name)
		}
		if next == nil {
			return line, col
		}
		line, col = at.Line, at.Column
		n = next
	}
	return line, col
}

// valueIn finds the value node at path below root; nil when it is missing.
func valueIn(root *yaml.Node, path *fieldpath.Path) *yaml.Node {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, e := range path.Elems() {
		if n == nil {
			return nil
		}
		n = deref(n)
		switch {
		case e.IsIndex && n.Kind == yaml.SequenceNode && e.Index >= 0 && e.Index < len(n.Content):
			n = n.Content[e.Index]
		case !e.IsIndex && n.Kind == yaml.MappingNode:
			n, _ = lookup(n, e.Name)
		default:
			return nil
		}
	}
	if n != nil {
		n = deref(n)
	}
	return n
}

// valueLine is the line of line k of a string value when its lines are
// the file's: a literal block scalar starts on the line after its "|"
// and keeps every line, empty ones included; a value of one line is where
// the node is. Folded and quoted scalars join or escape lines.
func valueLine(v *yaml.Node, k int) (int, bool) {
	switch {
	case v == nil || v.Kind != yaml.ScalarNode || k < 1:
		return 0, false
	case v.Style&yaml.LiteralStyle != 0:
		if k > strings.Count(v.Value, "\n")+1 {
			return 0, false
		}
		return v.Line + k, true
	case k == 1 && !strings.Contains(v.Value, "\n"):
		return v.Line, true
	}
	return 0, false
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// lookup returns the value and key nodes of a mapping field; the last of
// duplicate keys wins and merged mappings are searched after explicit keys.
func lookup(m *yaml.Node, key string) (val, keyNode *yaml.Node) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, m.Content[i+1])
			continue
		}
		if k.Kind == yaml.ScalarNode && k.Value == key {
			val, keyNode = m.Content[i+1], m.Content[i]
		}
	}
	if val != nil {
		return val, keyNode
	}
	for _, mg := range merges {
		mg = deref(mg)
		srcs := []*yaml.Node{mg}
		if mg.Kind == yaml.SequenceNode {
			srcs = mg.Content
		}
		for _, s := range srcs {
			if s = deref(s); s.Kind == yaml.MappingNode {
				if v, k := lookup(s, key); v != nil {
					return v, k
				}
			}
		}
	}
	return nil, nil
}

// nodeLocator resolves positions while the parsed document is in memory.
type nodeLocator struct {
	root       *yaml.Node
	prefix     *fieldpath.Path // items[i] for objects of a List
	lineOffset int             // lines before the document in its file
}

func (l *nodeLocator) Locate(paths []*fieldpath.Path) ([]inventory.Position, error) {
	out := make([]inventory.Position, len(paths))
	for i, p := range paths {
		if l.prefix != nil {
			p = l.prefix.Join(p)
		}
		line, col := locateIn(l.root, p)
		if line > 0 {
			out[i] = inventory.Position{Line: line + l.lineOffset, Column: col}
		}
	}
	return out, nil
}

func (l *nodeLocator) LocateValueLine(path *fieldpath.Path, k int) (inventory.Position, bool) {
	if l.prefix != nil {
		path = l.prefix.Join(path)
	}
	line, ok := valueLine(valueIn(l.root, path), k)
	if !ok {
		return inventory.Position{}, false
	}
	return inventory.Position{Line: line + l.lineOffset}, true
}

// lazyLocator re-reads and re-parses the document when positions are asked
// after the loader released the parse tree. Only findings of cross-object
// checks need it, so keeping every tree in memory would cost far more.
type lazyLocator struct {
	text       func() ([]byte, error)
	prefix     *fieldpath.Path
	lineOffset int
}

func (l *lazyLocator) Locate(paths []*fieldpath.Path) ([]inventory.Position, error) {
	b, err := l.text()
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	return (&nodeLocator{root: &root, prefix: l.prefix, lineOffset: l.lineOffset}).Locate(paths)
}

func (l *lazyLocator) LocateValueLine(path *fieldpath.Path, k int) (inventory.Position, bool) {
	b, err := l.text()
	if err != nil {
		return inventory.Position{}, false
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return inventory.Position{}, false
	}
	return (&nodeLocator{root: &root, prefix: l.prefix, lineOffset: l.lineOffset}).LocateValueLine(path, k)
}

// OwnText reports whether o's positions are in the text of its own
// document (a plain manifest), not in the files a Kustomize overlay was
// built from: only then does editing that document edit the object.
func OwnText(o *inventory.Object) bool {
	switch o.Locator.(type) {
	case *nodeLocator, *lazyLocator:
		return true
	}
	return false
}
