package manifest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/fieldpath"
	yaml "go.yaml.in/yaml/v3"
)

// Limits bound the work one document may cause, so that hostile input (alias
// bombs, deep nesting, huge documents) ends in a clear error, not an
// exhausted process.
type Limits struct {
	MaxDocumentBytes int // larger documents are not parsed
	MaxDepth         int // nesting of mappings and sequences
	MaxJSONBytes     int // output after alias expansion
}

// DefaultLimits are generous for real manifests: the API server itself
// refuses requests over 3 MiB.
var DefaultLimits = Limits{MaxDocumentBytes: 16 << 20, MaxDepth: 256, MaxJSONBytes: 64 << 20}

var errTooLarge = errors.New("document expands to more than the size limit (alias bomb?)")

// converter writes a yaml.Node as JSON, with the semantics of
// sigs.k8s.io/yaml, which kubectl uses: merge keys, aliases, non-string keys
// as strings, the last of duplicate keys wins.
type converter struct {
	buf    []byte
	limits Limits
	// warn receives non-fatal issues such as duplicate keys.
	warn func(n *yaml.Node, path *fieldpath.Path, msg string)
	// spans, when non-nil, records where each node's JSON starts and ends,
	// so a decoding error at a byte offset can be traced to a YAML line.
	spans *[]nodeSpan
	// null replaces these nodes by JSON null (values that failed to decode).
	null map[*yaml.Node]bool
	// lineOffset turns document lines into file lines in messages.
	lineOffset int
	// root is the path of the node converted in the object: nil for the
	// object itself, the template's path for a custom resource's pod
	// template, so that problems name the field from the object's root.
	root *fieldpath.Path
}

type nodeSpan struct {
	start, end int
	node       *yaml.Node
	path       *fieldpath.Path
	depth      int
}

func (c *converter) emit(n *yaml.Node, path *fieldpath.Path, depth int) error {
	if depth > c.limits.MaxDepth {
		return fmt.Errorf("line %d: nesting deeper than %d levels", n.Line, c.limits.MaxDepth)
	}
	if len(c.buf) > c.limits.MaxJSONBytes {
		return errTooLarge
	}
	start := len(c.buf)
	defer func() {
		if c.spans != nil {
			*c.spans = append(*c.spans, nodeSpan{start, len(c.buf), n, path, depth})
		}
	}()
	if c.null[n] {
		c.buf = append(c.buf, "null"...)
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			c.buf = append(c.buf, "null"...)
			return nil
		}
		return c.emit(n.Content[0], path, depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return fmt.Errorf("line %d: unknown alias", n.Line)
		}
		return c.emit(n.Alias, path, depth+1)
	case yaml.SequenceNode:
		c.buf = append(c.buf, '[')
		for i, item := range n.Content {
			if i > 0 {
				c.buf = append(c.buf, ',')
			}
			if err := c.emit(item, path.Index(i), depth+1); err != nil {
				return err
			}
		}
		c.buf = append(c.buf, ']')
		return nil
	case yaml.MappingNode:
		return c.mapping(n, path, depth)
	case yaml.ScalarNode:
		c.scalar(n)
		return nil
	}
	return fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

type entry struct {
	key   string
	k, v  *yaml.Node
	merge bool
}

func (c *converter) mapping(n *yaml.Node, path *fieldpath.Path, depth int) error {
	entries := make([]entry, 0, len(n.Content)/2)
	// Small mappings are scanned; large ones get a map, so a hostile mapping
	// with many keys costs linear, not quadratic, time.
	var byKey map[string]int
	if len(n.Content) > 32 {
		byKey = make(map[string]int, len(n.Content)/2)
	}
	index := func(key string) int {
		if byKey != nil {
			if i, ok := byKey[key]; ok {
				return i
			}
			return -1
		}
		for i := range entries {
			if entries[i].key == key {
				return i
			}
		}
		return -1
	}
	add := func(e entry) {
		if byKey != nil {
			byKey[e.key] = len(entries)
		}
		entries = append(entries, e)
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
		}
		key := k.Value
		if j := index(key); j >= 0 {
			if c.warn != nil && !entries[j].merge {
				c.warn(k, child(path, key), fmt.Sprintf("duplicate key %q (first at line %d); the last value is used, as kubectl does", key, entries[j].k.Line+c.lineOffset))
			}
			entries[j] = entry{key: key, k: k, v: v}
			continue
		}
		add(entry{key: key, k: k, v: v})
	}
	// Explicit keys win over merged ones, whatever their order.
	for _, m := range merges {
		var sources []*yaml.Node
		if m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		if m == nil {
			continue
		}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		} else {
			sources = []*yaml.Node{m}
		}
		for _, s := range sources {
			if s.Kind == yaml.AliasNode {
				s = s.Alias
			}
			if s == nil || s.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: a merge key must refer to a mapping", m.Line)
			}
			for i := 0; i+1 < len(s.Content); i += 2 {
				if k := s.Content[i]; k.Kind == yaml.ScalarNode && index(k.Value) < 0 {
					add(entry{key: k.Value, k: k, v: s.Content[i+1], merge: true})
				}
			}
		}
	}
	c.buf = append(c.buf, '{')
	for i, e := range entries {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendString(c.buf, e.key)
		c.buf = append(c.buf, ':')
		if err := c.emit(e.v, child(path, e.key), depth+1); err != nil {
			return err
		}
	}
	c.buf = append(c.buf, '}')
	return nil
}

func (c *converter) scalar(n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		c.buf = append(c.buf, "null"...)
	case "!!bool":
		if strings.EqualFold(n.Value, "true") {
			c.buf = append(c.buf, "true"...)
		} else {
			c.buf = append(c.buf, "false"...)
		}
	case "!!int":
		// Base 0 reads 0x, 0o, 0b and a leading 0 as octal, as YAML 1.1 and
		// kubectl do (defaultMode: 0644 is 420).
		s := strings.ReplaceAll(n.Value, "_", "")
		if v, err := strconv.ParseInt(s, 0, 64); err == nil {
			c.buf = strconv.AppendInt(c.buf, v, 10)
		} else if v, err := strconv.ParseUint(s, 0, 64); err == nil {
			c.buf = strconv.AppendUint(c.buf, v, 10)
		} else if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			c.buf = strconv.AppendFloat(c.buf, f, 'g', -1, 64)
		} else {
			c.buf = appendString(c.buf, n.Value)
		}
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			c.buf = appendString(c.buf, n.Value) // JSON has no .inf or .nan
		} else {
			c.buf = strconv.AppendFloat(c.buf, f, 'g', -1, 64)
		}
	default: // !!str, !!timestamp, !!binary and custom tags stay strings
		c.buf = appendString(c.buf, n.Value)
	}
}

// child names a mapping entry: Kubernetes field names never hold dots or
// slashes, so such keys are map keys (labels, resources, data) and print in
// brackets, like requests[nvidia.com/gpu].
func child(p *fieldpath.Path, key string) *fieldpath.Path {
	if strings.ContainsAny(key, "./[]") {
		return p.Key(key)
	}
	return p.Child(key)
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string, replacing invalid UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ToJSON writes a parsed document as JSON with kubectl's semantics, within
// DefaultLimits, for commands that decode a document again (an alias bomb
// ends in an error, not an exhausted process).
func ToJSON(n *yaml.Node) ([]byte, error) {
	c := &converter{limits: DefaultLimits}
	if err := c.emit(n, nil, 0); err != nil {
		return nil, err
	}
	return c.buf, nil
}
