// Package redact removes the values of Secrets from text kubeward prints:
// a CEL messageExpression or audit annotation may quote them.
package redact

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// MinLen is the shortest Secret value that is redacted: shorter ones
// ("1", "yes") would blank out ordinary words of every message.
const MinLen = 4

// Redactor replaces known Secret values, as read and base64-encoded (as CEL
// sees the data fields of a typed Secret), with "[redacted]". The zero
// value and nil redact nothing.
type Redactor struct {
	values []string // longest first, so a value goes before its parts
}

// With returns a redactor that also knows the Secrets among objs; the
// receiver is not changed.
func (r *Redactor) With(objs ...*inventory.Object) *Redactor {
	var add []string
	for _, o := range objs {
		add = append(add, Values(o)...)
	}
	if len(add) == 0 {
		return r
	}
	out := &Redactor{}
	if r != nil {
		out.values = append(out.values, r.values...)
	}
	out.values = append(out.values, add...)
	sort.Slice(out.values, func(i, j int) bool { return len(out.values[i]) > len(out.values[j]) })
	return out
}

// Values lists the redactable values of a Secret (nil for other objects).
func Values(o *inventory.Object) []string {
	if o == nil {
		return nil
	}
	var raw [][]byte
	switch {
	case o.Typed != nil:
		s, ok := o.Typed.(*corev1.Secret)
		if !ok {
			return nil
		}
		for _, v := range s.Data {
			raw = append(raw, v)
		}
		for _, v := range s.StringData {
			raw = append(raw, []byte(v))
		}
	case o.Raw != nil && o.Kind == "Secret" && o.APIVersion == "v1":
		for _, field := range []string{"data", "stringData"} {
			m, _ := o.Raw.Object[field].(map[string]any)
			for _, v := range m {
				s, _ := v.(string)
				if field == "data" {
					if dec, err := base64.StdEncoding.DecodeString(s); err == nil {
						raw = append(raw, dec)
					}
				}
				raw = append(raw, []byte(s))
			}
		}
	}
	var out []string
	for _, v := range raw {
		if len(strings.TrimSpace(string(v))) < MinLen {
			continue
		}
		out = append(out, string(v), base64.StdEncoding.EncodeToString(v))
	}
	return out
}

// String redacts one text.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// Strings redacts each text.
func (r *Redactor) Strings(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.String(s)
	}
	return out
}
