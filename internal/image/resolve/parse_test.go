package resolve

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestParseRef(t *testing.T) {
	const dg = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		image, repo, tagged, digest string
	}{
		{"nginx", "docker.io/library/nginx", "docker.io/library/nginx:latest", ""},
		{"nginx:1.27", "docker.io/library/nginx", "docker.io/library/nginx:1.27", ""},
		{"ghcr.io/acme/web:1.0", "ghcr.io/acme/web", "ghcr.io/acme/web:1.0", ""},
		{"127.0.0.1:5000/acme/web@" + dg, "127.0.0.1:5000/acme/web", "127.0.0.1:5000/acme/web@" + dg, dg},
		// A tag beside a digest: the digest is what is resolved.
		{"ghcr.io/acme/web:1.0@" + dg, "ghcr.io/acme/web", "ghcr.io/acme/web:1.0@" + dg, dg},
		{"Nginx", "", "", ""},
		{"nginx:", "", "", ""},
		{"", "", "", ""},
	} {
		p := parseRef(tc.image)
		if p.ok != (tc.repo != "") || p.repo != tc.repo || p.tagged != tc.tagged || p.digest != tc.digest {
			t.Errorf("%q: got ok=%v repo=%q tagged=%q digest=%q; want repo=%q tagged=%q digest=%q",
				tc.image, p.ok, p.repo, p.tagged, p.digest, tc.repo, tc.tagged, tc.digest)
		}
		if p.ok && p.ref.String() != p.tagged {
			t.Errorf("%q: ref %q, tagged %q", tc.image, p.ref, p.tagged)
		}
		if _, isDigest := p.ref.(name.Digest); p.ok && isDigest != (tc.digest != "") {
			t.Errorf("%q: resolves %T", tc.image, p.ref)
		}
	}
}

// The resolver's store answers as parseRef does, keeps at most MaxEntries
// references, and keeps none longer than maxKeptRef.
func TestParsedRefsBounded(t *testing.T) {
	r := New(Options{MaxEntries: 10})
	for i := range 25 {
		image := fmt.Sprintf("ghcr.io/acme/app%d:1.0", i)
		for range 2 { // the second from memory
			if got, want := r.parse(image), parseRef(image); got.repo != want.repo || got.tagged != want.tagged || !got.ok {
				t.Fatalf("%s: %+v, want %+v", image, got, want)
			}
		}
		if n := r.refs.Len(); n > 10 {
			t.Fatalf("%d references kept, max 10", n)
		}
	}
	// No valid reference is this long: a hostile one is parsed, refused,
	// and not kept.
	r = New(Options{})
	long := "ghcr.io/acme/" + strings.Repeat("a", maxKeptRef) + ":1.0"
	if p := r.parse(long); p.ok {
		t.Fatalf("an over-long reference parsed: %+v", p)
	}
	if n := r.refs.Len(); n != 0 {
		t.Fatalf("a reference longer than maxKeptRef was kept (%d held)", n)
	}
}
