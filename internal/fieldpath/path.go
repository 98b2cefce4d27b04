// Package fieldpath names a field inside a Kubernetes object, such as
// spec.template.spec.containers[0].securityContext.privileged.
//
// It prints like k8s.io/apimachinery/pkg/util/validation/field.Path but, unlike
// it, exposes its elements, which the position mapper needs to walk a YAML tree.
package fieldpath

import (
	"strconv"
	"strings"
)

// Path is immutable; children share their parent's storage.
type Path struct {
	parent *Path
	name   string
	index  int
	kind   elemKind
}

type elemKind uint8

const (
	field elemKind = iota
	index
	key
)

// Elem is one step of a path: a field name, a list index or a map key.
type Elem struct {
	Name    string // field name or map key
	Index   int    // list index when IsIndex
	IsIndex bool
	IsKey   bool // a map key, printed as [key]
}

// New returns the path of the given nested field names.
func New(names ...string) *Path {
	var p *Path
	return p.Child(names...)
}

// Child appends field names. It is valid on a nil path.
func (p *Path) Child(names ...string) *Path {
	for _, n := range names {
		p = &Path{parent: p, name: n, kind: field}
	}
	return p
}

// Index appends a list index.
func (p *Path) Index(i int) *Path { return &Path{parent: p, index: i, kind: index} }

// Key appends a map key (for label, annotation or data keys that may contain dots).
func (p *Path) Key(k string) *Path { return &Path{parent: p, name: k, kind: key} }

// Join appends all elements of q to p.
func (p *Path) Join(q *Path) *Path {
	for _, e := range q.Elems() {
		switch {
		case e.IsIndex:
			p = p.Index(e.Index)
		case e.IsKey:
			p = p.Key(e.Name)
		default:
			p = p.Child(e.Name)
		}
	}
	return p
}

// Parent returns the path without its last element.
func (p *Path) Parent() *Path {
	if p == nil {
		return nil
	}
	return p.parent
}

// Elems returns the elements from the root.
func (p *Path) Elems() []Elem {
	n := 0
	for q := p; q != nil; q = q.parent {
		n++
	}
	out := make([]Elem, n)
	for q := p; q != nil; q = q.parent {
		n--
		out[n] = Elem{Name: q.name, Index: q.index, IsIndex: q.kind == index, IsKey: q.kind == key}
	}
	return out
}

// Last returns the final element, or false for the empty path.
func (p *Path) Last() (Elem, bool) {
	if p == nil {
		return Elem{}, false
	}
	return Elem{Name: p.name, Index: p.index, IsIndex: p.kind == index, IsKey: p.kind == key}, true
}

func (p *Path) String() string {
	if p == nil {
		return ""
	}
	// Every finding prints its path: the elements are gathered on the
	// stack and written into one buffer of the right size.
	var stack [24]*Path
	nodes, n := stack[:0], 0
	var digits [20]byte
	for q := p; q != nil; q = q.parent {
		nodes = append(nodes, q)
		switch q.kind {
		case index:
			n += 2 + len(strconv.AppendInt(digits[:0], int64(q.index), 10))
		case key:
			n += 2 + len(q.name)
		default:
			n += len(q.name) + 1
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i := len(nodes) - 1; i >= 0; i-- {
		q := nodes[i]
		switch q.kind {
		case index:
			b.WriteByte('[')
			b.Write(strconv.AppendInt(digits[:0], int64(q.index), 10))
			b.WriteByte(']')
		case key:
			b.WriteByte('[')
			b.WriteString(q.name)
			b.WriteByte(']')
		default:
			if i < len(nodes)-1 {
				b.WriteByte('.')
			}
			b.WriteString(q.name)
		}
	}
	return b.String()
}

// Parse reads the printed form back. Map keys in brackets that are not
// numbers become keys; a dotted name is always split, so Parse is exact only
// for paths whose keys hold no dots outside brackets.
func Parse(s string) *Path {
	var p *Path
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return p.Child(s)
			}
			inner := s[1:end]
			if n, err := strconv.Atoi(inner); err == nil {
				p = p.Index(n)
			} else {
				p = p.Key(inner)
			}
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			p = p.Child(s[:end])
			s = s[end:]
		}
	}
	return p
}
