package fix

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	yaml "go.yaml.in/yaml/v3"
)

// The parser only locates: each edit is a few bytes inserted or replaced at
// a position it reports, so every byte the fix does not touch (comments,
// quoting, indentation, key order, blank lines) stays as the user wrote it.
// Re-encoding the tree would reformat the whole document.

// errUnsafe marks an edit refused because the YAML is written in a way a
// byte-level edit cannot change alone (an anchor shared by other places,
// a merge key, an empty value): the user fixes those by hand.
var errUnsafe = errors.New("not fixed")

func unsafe(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUnsafe}, args...)...)
}

// edit replaces text[at:at+del] with ins.
type edit struct {
	at, del int
	ins     string
}

func (e edit) apply(text []byte) []byte {
	out := make([]byte, 0, len(text)+len(e.ins)-e.del)
	out = append(out, text[:e.at]...)
	out = append(out, e.ins...)
	return append(out, text[e.at+e.del:]...)
}

// doc is one parsed YAML document and its text.
type doc struct {
	text  []byte
	lines []int // byte offset of each line's start
	eol   string
	root  *yaml.Node
}

func parseDoc(text []byte) (*doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(text, &n); err != nil {
		return nil, err
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil, errors.New("empty document")
	}
	d := &doc{text: text, lines: []int{0}, eol: "\n", root: n.Content[0]}
	for i, b := range text {
		if b == '\n' {
			d.lines = append(d.lines, i+1)
		}
	}
	if bytes.Contains(text, []byte("\r\n")) {
		d.eol = "\r\n"
	}
	return d, nil
}

// offset is the byte offset of a node's position (the parser counts
// columns in characters).
func (d *doc) offset(n *yaml.Node) int {
	if n.Line < 1 || n.Line > len(d.lines) {
		return -1
	}
	off := d.lines[n.Line-1]
	for range n.Column - 1 {
		if off >= len(d.text) {
			return -1
		}
		_, size := utf8.DecodeRune(d.text[off:])
		off += size
	}
	return off
}

// atLineStart reports whether only spaces come before n on its line, and
// returns the offset of the line's start.
func (d *doc) atLineStart(n *yaml.Node) (int, bool) {
	off := d.offset(n)
	if off < 0 {
		return 0, false
	}
	start := d.lines[n.Line-1]
	return start, strings.Trim(string(d.text[start:off]), " ") == ""
}

// object finds the object's mapping: the document, or item n of a List,
// and checks that it is the object the finding named.
func (d *doc) object(listItem int, ref inventory.Ref) (*yaml.Node, error) {
	n := d.root
	if listItem > 0 {
		items, _ := child(n, "items")
		if items == nil || items.Kind != yaml.SequenceNode || listItem > len(items.Content) {
			return nil, fmt.Errorf("item %d of the list is not there", listItem)
		}
		n = items.Content[listItem-1]
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("the document is not an object")
	}
	kind, _ := child(n, "kind")
	meta, _ := child(n, "metadata")
	name, _ := child(meta, "name")
	named := name != nil && name.Value == ref.Name
	if gen, _ := child(meta, "generateName"); gen != nil && name == nil {
		named = gen.Value+"*" == ref.Name // inventory names such an object so
	}
	if (kind != nil && kind.Value != ref.Kind) || !named {
		return nil, fmt.Errorf("the document does not hold %s", ref)
	}
	return n, nil
}

// child returns the value and key of a mapping's field, written in the
// mapping itself; nil when it is not (or m is not a mapping).
func child(m *yaml.Node, key string) (val, k *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			val, k = m.Content[i+1], m.Content[i]
		}
	}
	return val, k
}

// mapping checks that a byte edit of m changes m alone and is read as
// written: no anchor (aliases elsewhere would change too) and no merge key
// (the field may come from the merged mapping).
func mapping(m *yaml.Node, where string) error {
	switch {
	case m.Kind == yaml.AliasNode:
		return unsafe("%s is a YAML alias; set the field where its anchor is", where)
	case m.Kind != yaml.MappingNode:
		return unsafe("%s is not a mapping", where)
	case m.Anchor != "":
		return unsafe("%s carries the anchor &%s, which other places may share", where, m.Anchor)
	}
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].ShortTag() == "!!merge" {
			return unsafe("%s uses a merge key (<<)", where)
		}
	}
	return nil
}

// walk follows a field path from an object, refusing what mapping refuses
// on every step.
func walk(n *yaml.Node, path *fieldpath.Path) (*yaml.Node, error) {
	for _, e := range path.Elems() {
		if n.Anchor != "" || n.Kind == yaml.AliasNode {
			return nil, unsafe("%s is written through a YAML anchor or alias", path)
		}
		switch {
		case e.IsIndex && n.Kind == yaml.SequenceNode && e.Index >= 0 && e.Index < len(n.Content):
			n = n.Content[e.Index]
		case !e.IsIndex:
			if err := mapping(n, path.String()); err != nil {
				return nil, err
			}
			if n, _ = child(n, e.Name); n == nil {
				return nil, fmt.Errorf("%s is not in the document", path)
			}
		default:
			return nil, fmt.Errorf("%s is not in the document", path)
		}
	}
	return n, nil
}

// leaf is the value a missing field gets: a scalar, or a list of one item.
type leaf struct {
	scalar string
	item   string // set for a list
}

func (l leaf) flow() string {
	if l.item != "" {
		return `["` + l.item + `"]`
	}
	if l.scalar == "true" || l.scalar == "false" {
		return l.scalar
	}
	return `"` + l.scalar + `"`
}

// ensure finds the value at keys below mapping m, or, when the path stops
// short, the edit that writes the missing fields with v at the end.
func (d *doc) ensure(m *yaml.Node, keys []string, v leaf) (*yaml.Node, *edit, error) {
	for i, k := range keys {
		if err := mapping(m, strings.Join(keys[:i], ".")+" (where "+k+" goes)"); err != nil {
			return nil, nil, err
		}
		next, _ := child(m, k)
		if next == nil {
			e, err := d.insert(m, keys[i:], v)
			return nil, e, err
		}
		m = next
	}
	return m, nil, nil
}

// insert writes keys (nested) with v into mapping m, in m's style: JSON
// text in a flow mapping (so JSON stays JSON), indented lines in a block
// one, placed before the first key that starts its line (above the comments
// that lead it), else after a one-line first field.
func (d *doc) insert(m *yaml.Node, keys []string, v leaf) (*edit, error) {
	if m.Style&yaml.FlowStyle != 0 {
		text := `"` + keys[len(keys)-1] + `": ` + v.flow()
		for i := len(keys) - 2; i >= 0; i-- {
			text = `"` + keys[i] + `": {` + text + `}`
		}
		if len(m.Content) == 0 {
			at := d.offset(m)
			if at < 0 || d.text[at] != '{' {
				return nil, unsafe("cannot place %s in its mapping", keys[0])
			}
			return &edit{at: at + 1, ins: text}, nil
		}
		at := d.offset(m.Content[0])
		if at < 0 {
			return nil, unsafe("cannot place %s in its mapping", keys[0])
		}
		return &edit{at: at, ins: text + ", "}, nil
	}
	for i := 0; i < len(m.Content); i += 2 {
		k := m.Content[i]
		if _, ok := d.atLineStart(k); !ok {
			continue
		}
		indent := k.Column - 1
		line := k.Line - 1
		for line > 0 && d.commentAt(line-1, indent) {
			line--
		}
		return &edit{at: d.lines[line], ins: d.block(indent, keys, v)}, nil
	}
	if len(m.Content) == 2 {
		k, val := m.Content[0], m.Content[1]
		if val.Kind == yaml.ScalarNode && val.Line == k.Line && val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 && k.Line < len(d.lines) {
			return &edit{at: d.lines[k.Line], ins: d.block(k.Column-1, keys, v)}, nil
		}
	}
	return nil, unsafe("cannot place %s in its mapping", keys[0])
}

// commentAt reports whether line i (0-based) holds only a comment starting
// at column indent.
func (d *doc) commentAt(i, indent int) bool {
	end := len(d.text)
	if i+1 < len(d.lines) {
		end = d.lines[i+1]
	}
	line := string(d.text[d.lines[i]:end])
	trimmed := strings.TrimLeft(line, " ")
	return strings.HasPrefix(trimmed, "#") && len(line)-len(trimmed) == indent
}

// block renders nested keys as lines at indent, two more spaces per level.
func (d *doc) block(indent int, keys []string, v leaf) string {
	var b strings.Builder
	for i, k := range keys {
		b.WriteString(strings.Repeat(" ", indent+2*i) + k + ":")
		if i < len(keys)-1 {
			b.WriteString(d.eol)
		}
	}
	if v.item != "" {
		b.WriteString(d.eol + strings.Repeat(" ", indent+2*len(keys)) + "- " + v.item + d.eol)
	} else {
		b.WriteString(" " + v.scalar + d.eol)
	}
	return b.String()
}

// replaceScalar replaces a plain scalar's text.
func (d *doc) replaceScalar(n *yaml.Node, with string) (*edit, error) {
	at := d.offset(n)
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.Value == "" || at < 0 || !bytes.HasPrefix(d.text[at:], []byte(n.Value)) {
		return nil, unsafe("the value is not written as a plain scalar")
	}
	return &edit{at: at, del: len(n.Value), ins: with}, nil
}

// prepend adds an item at the head of a list.
func (d *doc) prepend(seq *yaml.Node, item string) (*edit, error) {
	if seq.Kind != yaml.SequenceNode || seq.Anchor != "" {
		return nil, unsafe("the list is not written as a plain list")
	}
	at := d.offset(seq)
	if at < 0 {
		return nil, unsafe("cannot place %s in the list", item)
	}
	if seq.Style&yaml.FlowStyle != 0 {
		if d.text[at] != '[' {
			return nil, unsafe("cannot place %s in the list", item)
		}
		ins := `"` + item + `"`
		if len(seq.Content) > 0 {
			ins += ", "
		}
		return &edit{at: at + 1, ins: ins}, nil
	}
	start, ok := d.atLineStart(seq)
	if !ok || d.text[at] != '-' {
		return nil, unsafe("cannot place %s in the list", item)
	}
	return &edit{at: start, ins: strings.Repeat(" ", seq.Column-1) + "- " + item + d.eol}, nil
}
