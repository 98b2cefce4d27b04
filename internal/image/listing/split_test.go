package listing

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// TestSplitAgreesWithGoContainerRegistry compares how the listing splits a
// reference with go-containerregistry's name package, which the resolver
// pulls with: the same repository (library/ for an official image), the
// same tag (latest when none is given) and digest, and the same verdict on
// what is not a reference. Two differences are kept on purpose: Docker Hub
// is docker.io, as containerd and the kubelet name it (name says
// index.docker.io), and a reference with both a tag and a digest keeps its
// tag (name keeps only the digest).
func TestSplitAgreesWithGoContainerRegistry(t *testing.T) {
	const d = "@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d"
	for _, s := range []string{
		"nginx", "nginx:latest", "nginx:1.25", "library/nginx:1", "docker.io/nginx", "index.docker.io/library/nginx:1", "bitnami/redis:7",
		"registry-1.docker.io/nginx", "localhost:5000/app", "localhost/app:v1", "registry.example.com:8443/team/app:v2", "[::1]:5000/app:1",
		"example.com/a/b/c:d", "us-docker.pkg.dev/proj/repo/img", "app:75bf9b911b6481dcf29f7942240d1555adaa607eec7fc61bedb7f624f87c36d4",
		"nginx" + d, "nginx:1.25" + d, "nginx:latest" + d, "quay.io/org/app" + d,
		// Not references: upper case in the repository, a short digest,
		// an empty tag, spaces.
		"Nginx:1", "registry.example.com/app@sha256:abc123def456", "gcr.io/google_containers/kafka:1.0@sha256:123456", "nginx:", "a b",
	} {
		im := parse(s)
		ref, err := name.ParseReference(s)
		if (err != nil) != (im.Invalid != "") {
			t.Errorf("%s: listing says invalid %q, name says %v", s, im.Invalid, err)
			continue
		}
		if err != nil {
			continue
		}
		registry := ref.Context().RegistryStr()
		if registry == name.DefaultRegistry {
			registry = "docker.io"
		}
		if im.Registry != registry || im.Repository != ref.Context().RepositoryStr() {
			t.Errorf("%s: listing splits %s / %s, name %s / %s", s, im.Registry, im.Repository, registry, ref.Context().RepositoryStr())
		}
		switch r := ref.(type) {
		case name.Tag:
			if im.Tag != r.TagStr() || im.Digest != "" || im.TagImplied != !strings.HasSuffix(s, ":"+r.TagStr()) {
				t.Errorf("%s: listing tag %q (implied %v) digest %q, name tag %q", s, im.Tag, im.TagImplied, im.Digest, r.TagStr())
			}
		case name.Digest:
			if im.Digest != r.DigestStr() || im.TagImplied {
				t.Errorf("%s: listing digest %q (tag implied %v), name digest %q", s, im.Digest, im.TagImplied, r.DigestStr())
			}
		}
	}
}
