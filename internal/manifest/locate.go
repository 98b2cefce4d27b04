package manifest

import (
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
