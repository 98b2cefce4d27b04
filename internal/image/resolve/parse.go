package resolve

import (
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

// parsedRef is a reference as the resolver reads it.
type parsedRef struct {
	ok bool // it parses
	// repo is the normalized repository (docker.io/library/nginx).
	repo string
	// ref names what to resolve: the tag (latest when none is written) or
	// the digest; tagged is its text.
	ref    name.Reference
	tagged string
	// digest is the digest the reference writes, if any.
	digest string
}

// parseRef reads a reference as the kubelet does (distribution's
// normalization: a bare name is docker.io/library/NAME:latest).
func parseRef(image string) parsedRef {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return parsedRef{}
	}
	ref, err := name.ParseReference(reference.TagNameOnly(named).String())
	if err != nil {
		return parsedRef{}
	}
	p := parsedRef{ok: true, repo: reference.TrimNamed(named).String(), ref: ref, tagged: ref.String()}
	if dg, ok := named.(reference.Digested); ok {
		p.digest = dg.Digest().String()
	}
	return p
}

// maxKeptRef bounds the length of a reference kept: no valid one is longer
// (a name has at most 255 characters, a tag 128), and each key is held.
const maxKeptRef = 512

// parse is parseRef, from memory for the references seen before.
func (r *Resolver) parse(image string) parsedRef {
	if len(image) > maxKeptRef {
		return parseRef(image)
	}
	return r.refs.Get(image, func() parsedRef { return parseRef(image) })
}
