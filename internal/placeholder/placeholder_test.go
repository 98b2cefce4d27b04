package placeholder

import (
	"strings"
	"testing"
)

// TestMarkersSurviveUnLeet: Is searches markers only in the leet-mapped
// text, which is sound only if unLeet leaves markers intact.
func TestMarkersSurviveUnLeet(t *testing.T) {
	for _, m := range placeholderMarkers {
		if strings.Map(unLeet, m) != m {
			t.Errorf("marker %q changes under unLeet", m)
		}
	}
}

func TestDocumentation(t *testing.T) {
	for _, v := range []string{"...base64 encoded data...", "<base64-encoded-cert>", "changeme", "REPLACE_ME"} {
		if !Documentation(v) {
			t.Errorf("Documentation(%q) = false, want true", v)
		}
	}
	// Real values, bare words a mistyped field holds, and templates of an
	// unrendered chart are not.
	for _, v := range []string{"", "aGVsbG8gd29ybGQ=", "not base64 at all!", "c2VjcmV0LXZhbHVlLTE5Mzc=", "true", "none",
		"{{ .Values.password | b64enc }}", "${TLS_KEY}"} {
		if Documentation(v) {
			t.Errorf("Documentation(%q) = true, want false", v)
		}
	}
}
