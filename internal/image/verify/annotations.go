package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/httpguard"
)

// maxShownAnnotation bounds an annotation value quoted in a finding: the
// signer chose it, but a finding is no place for a megabyte.
const maxShownAnnotation = 128

// unmetAnnotations says how the signed payload fails the annotations a
// signer requires, or "" when it carries each of them with the same
// string value (cosign's `verify -a`: a number or a boolean never equals
// a string, and other annotations may be present).
func (m *material) unmetAnnotations(want map[string]string, h v1.Hash) string {
	have, err := m.signedAnnotations(h)
	if err != nil {
		return err.Error()
	}
	var unmet []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		raw, ok := have[k]
		if !ok {
			unmet = append(unmet, fmt.Sprintf("no annotation %s (the policy requires %q)", k, want[k]))
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			unmet = append(unmet, fmt.Sprintf("annotation %s is not JSON", k))
			continue
		}
		switch v := v.(type) {
		case string:
			if v != want[k] {
				unmet = append(unmet, fmt.Sprintf("annotation %s is %s, not %q", k, strconv.Quote(httpguard.Truncate(v, maxShownAnnotation)), want[k]))
			}
		case float64, bool, nil:
			// JSON's own spelling: digits, true, false, null.
			unmet = append(unmet, fmt.Sprintf("annotation %s is %s, not the string %q", k, httpguard.Truncate(string(bytes.TrimSpace(raw)), maxShownAnnotation), want[k]))
		case map[string]any:
			unmet = append(unmet, fmt.Sprintf("annotation %s is a JSON object, not the string %q", k, want[k]))
		default:
			unmet = append(unmet, fmt.Sprintf("annotation %s is a JSON array, not the string %q", k, want[k]))
		}
	}
	if len(unmet) > 3 {
		unmet = append(unmet[:3], fmt.Sprintf("and %d more", len(unmet)-3))
	}
	return strings.Join(unmet, "; ")
}

// signedAnnotations reads the annotations the signature signs: the
// simple-signing payload's optional map (`cosign sign -a`, tag scheme),
// or, in a cosign 3 bundle, the annotations of the signing statement's
// subject that names the image h (where cosign 3 signs them). Other
// signatures (a bundle's bare message signature, a DSSE envelope in the
// .sig tag) carry none.
func (m *material) signedAnnotations(h v1.Hash) (map[string]json.RawMessage, error) {
	var raw json.RawMessage
	switch {
	case m.legacy != nil && !m.legacy.dsse:
		var p struct {
			Optional json.RawMessage `json:"optional"`
		}
		if err := json.Unmarshal(m.legacy.payload, &p); err != nil {
			return nil, fmt.Errorf("the signed payload is not JSON: %w", err)
		}
		raw = p.Optional
	case m.signing != nil:
		for _, s := range m.signing.Subject {
			if strings.EqualFold(s.Digest[h.Algorithm], h.Hex) {
				raw = s.Annotations
				break
			}
		}
	}
	var out map[string]json.RawMessage
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("the signed annotations are not a JSON object")
		}
	}
	return out, nil
}
