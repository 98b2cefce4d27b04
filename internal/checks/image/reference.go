// Package image holds checks on container image references: mutable tags,
// missing digests, registries outside the configured allowlist, and
// references the kubelet cannot pull.
package image

import (
	"strings"

	"github.com/distribution/reference"
)

// ref is a container image reference as the kubelet reads it: normalised
// the Docker way (nginx is docker.io/library/nginx), with the tag it will
// pull ("latest" when none is given and there is no digest).
type ref struct {
	Domain string // registry host, with port: docker.io, localhost:5000
	Path   string // repository path: library/nginx
	Tag    string // "" when the reference has none
	Digest string // "" when the reference has none
}

// Name is the repository with its registry: docker.io/library/nginx.
func (r ref) Name() string { return r.Domain + "/" + r.Path }

// parseRef parses an image reference with the parser the kubelet's own
// (k8s.io/kubernetes/pkg/util/parsers) is built on.
func parseRef(s string) (ref, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return ref{}, err
	}
	r := ref{Domain: reference.Domain(named), Path: reference.Path(named)}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest().String()
	}
	return r, nil
}

// placeholder reports whether an unparsable reference looks like a value
// left for a templating or build step (envsubst, sed, a CI variable, ko
// resolve) rather than a mistake: ${IMAGE}, $IMAGE, <REPO>/app,
// {{ .Values.image }}, PROJECT_ID, ko://example.com/cmd/app.
func placeholder(s string) bool {
	if strings.ContainsAny(s, "$<>{}") || strings.Contains(s, "://") {
		return true
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("/:@.-", r) }) {
		if len(part) > 1 && part == strings.ToUpper(part) && strings.ContainsAny(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			return true
		}
	}
	return false
}
