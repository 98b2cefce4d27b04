package vap

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// minSecretLen is the shortest Secret value that is redacted: shorter ones
// ("1", "yes") would blank out ordinary words of every message.
const minSecretLen = 4

// redactor removes the values of Secrets (as read, and base64-encoded as
// CEL sees data fields) from what kubeward prints: a messageExpression or
// an audit annotation may quote them.
type redactor struct {
	values []string // longest first, so a value is replaced before its parts
}

func newRedactor() *redactor { return &redactor{} }

// with returns a redactor that also knows the Secrets among objs; the
// receiver is not changed.
func (r *redactor) with(objs ...*inventory.Object) *redactor {
	var add []string
	for _, o := range objs {
		if o == nil {
			continue
		}
		if s, ok := o.Typed.(*corev1.Secret); ok {
			for _, v := range s.Data {
				add = append(add, string(v), base64.StdEncoding.EncodeToString(v))
			}
			for _, v := range s.StringData {
				add = append(add, v, base64.StdEncoding.EncodeToString([]byte(v)))
			}
		}
	}
	if len(add) == 0 {
		return r
	}
	out := &redactor{values: append(append([]string(nil), r.values...), add...)}
	out.values = filterShort(out.values)
	sort.Slice(out.values, func(i, j int) bool { return len(out.values[i]) > len(out.values[j]) })
	return out
}

func filterShort(vs []string) []string {
	out := vs[:0]
	for _, v := range vs {
		if len(strings.TrimSpace(v)) >= minSecretLen {
			out = append(out, v)
		}
	}
	return out
}

func (r *redactor) redact(s string) string {
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

func (r *redactor) all(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.redact(s)
	}
	return out
}
