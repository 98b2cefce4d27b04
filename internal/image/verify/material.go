package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// Media types and annotations of the two layouts.
const (
	// cosign's tag scheme.
	annSignature   = "dev.cosignproject.cosign/signature"
	annCertificate = "dev.sigstore.cosign/certificate"
	annChain       = "dev.sigstore.cosign/chain"
	annBundle      = "dev.sigstore.cosign/bundle"
	annTimestamp   = "dev.sigstore.cosign/rfc3161timestamp"
	mediaDSSE      = "application/vnd.dsse.envelope.v1+json"
	// OCI 1.1 referrers holding Sigstore bundles.
	bundleTypePrefix = "application/vnd.dev.sigstore.bundle"
	emptyConfigType  = "application/vnd.oci.empty.v1+json"
	// The statement cosign 3 signs an image with, in a bundle.
	cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
	inTotoPayloadType   = "application/vnd.in-toto+json"
)

// Bounds on what a registry may make kubeward read for one image.
const (
	maxEntries         = 64       // signatures and attestations per layout
	maxSignatureBytes  = 1 << 20  // a simple-signing payload or a bundle
	maxAttestationSize = 64 << 20 // an attestation envelope (SBOMs are large)
)

// material is one signature or attestation found for an image, with what
// verification needs; exactly one of legacy or bundle is set.
type material struct {
	layout string
	// att is set for an attestation (cosign's .att tag, or a bundle whose
	// statement is not cosign's signing statement).
	att    bool
	legacy *legacyLayer
	bundle *bundle.Bundle
	// attestation is set for an in-toto statement (a DSSE envelope), nil
	// for a signature.
	attestation *statement
	// signing is the statement of a cosign 3 signature (a DSSE envelope
	// whose predicate is cosign's signing predicate).
	signing *statement
	// problem is set when the material could not even be read; it counts
	// as an invalid signature.
	problem string
}

// legacyLayer is one layer of a cosign .sig or .att manifest.
type legacyLayer struct {
	payload     []byte // the simple-signing payload, or the DSSE envelope JSON
	annotations map[string]string
	dsse        bool
}

// statement is an in-toto statement, predicate kept raw.
type statement struct {
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Subject       []subject       `json:"subject"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
	// Annotations are read only when a signer requires some.
	Annotations json.RawMessage `json:"annotations"`
}

// fetch reads every signature and attestation of an image: cosign's tags
// and the referrers. An error means the registry could not be read.
func fetch(ctx context.Context, s *registry.Session, d name.Digest) ([]*material, error) {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return nil, err
	}
	var out []*material
	for _, suffix := range []string{".sig", ".att"} {
		ms, err := fetchTag(ctx, s, d.Context().Tag(h.Algorithm+"-"+h.Hex+suffix), suffix == ".att")
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	ms, err := fetchReferrers(ctx, s, d)
	if err != nil {
		return nil, err
	}
	return append(out, ms...), nil
}

func fetchTag(ctx context.Context, s *registry.Session, tag name.Tag, att bool) ([]*material, error) {
	h, found, err := s.Lookup(ctx, tag)
	if err != nil || !found {
		return nil, err
	}
	raw, _, err := s.Manifest(ctx, tag.Context().Digest(h.String()))
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return []*material{{layout: facts.LayoutCosignTag, problem: fmt.Sprintf("%s is not an image manifest: %v", tag.TagStr(), err)}}, nil
	}
	var out []*material
	for i, l := range m.Layers {
		if i == maxEntries {
			break
		}
		limit := int64(maxSignatureBytes)
		if att {
			limit = maxAttestationSize
		}
		b, err := s.Blob(ctx, tag.Context(), l.Digest, limit)
		if err != nil {
			if errors.Is(err, registry.ErrTooLarge) {
				out = append(out, &material{layout: facts.LayoutCosignTag, att: att, problem: err.Error()})
				continue
			}
			return nil, err
		}
		mat := &material{layout: facts.LayoutCosignTag, att: att, legacy: &legacyLayer{payload: b, annotations: l.Annotations, dsse: string(l.MediaType) == mediaDSSE}}
		if mat.legacy.dsse || att {
			mat.legacy.dsse = true
			st, err := envelopeStatement(b)
			if err != nil {
				mat.problem = "attestation envelope: " + err.Error()
			}
			mat.attestation = st
		}
		out = append(out, mat)
	}
	return out, nil
}

func fetchReferrers(ctx context.Context, s *registry.Session, d name.Digest) ([]*material, error) {
	descs, err := s.Referrers(ctx, d)
	if err != nil {
		return nil, err
	}
	var out []*material
	for _, desc := range descs {
		if len(out) == maxEntries {
			break
		}
		// Registries report a manifest's artifactType, or its config's
		// media type when it has none: a bundle manifest shows either.
		at := desc.ArtifactType
		if !strings.HasPrefix(at, bundleTypePrefix) && at != emptyConfigType && at != "" {
			continue
		}
		raw, _, err := s.Manifest(ctx, d.Context().Digest(desc.Digest.String()))
		if err != nil {
			return nil, err
		}
		var m struct {
			ArtifactType string          `json:"artifactType"`
			Layers       []v1.Descriptor `json:"layers"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || len(m.Layers) == 0 {
			continue
		}
		if !strings.HasPrefix(m.ArtifactType, bundleTypePrefix) && !strings.HasPrefix(string(m.Layers[0].MediaType), bundleTypePrefix) {
			continue
		}
		b, err := s.Blob(ctx, d.Context(), m.Layers[0].Digest, maxAttestationSize)
		if err != nil {
			if errors.Is(err, registry.ErrTooLarge) {
				out = append(out, &material{layout: facts.LayoutReferrer, problem: err.Error()})
				continue
			}
			return nil, err
		}
		out = append(out, bundleMaterial(b))
	}
	return out, nil
}

// bundleMaterial parses a Sigstore bundle. A DSSE envelope holding
// cosign's signing statement is a signature; any other statement is an
// attestation.
func bundleMaterial(b []byte) *material {
	mat := &material{layout: facts.LayoutReferrer}
	var bun bundle.Bundle
	if err := bun.UnmarshalJSON(b); err != nil {
		mat.problem = "bundle: " + err.Error()
		// A bundle sigstore-go refuses (a v0.2 one without its inclusion
		// proof, say) still says what it holds: an attestation is then
		// reported as an invalid attestation, not as a missing one and an
		// invalid signature.
		var raw struct {
			Envelope json.RawMessage `json:"dsseEnvelope"`
		}
		if json.Unmarshal(b, &raw) == nil && len(raw.Envelope) > 0 {
			if st, err := envelopeStatement(raw.Envelope); err == nil {
				mat.classify(st)
			}
		}
		return mat
	}
	mat.bundle = &bun
	if env := bun.GetDsseEnvelope(); env != nil {
		st, err := parseStatement(env.GetPayloadType(), env.GetPayload())
		if err != nil {
			mat.problem = "bundle envelope: " + err.Error()
			return mat
		}
		mat.classify(st)
	}
	return mat
}

// classify files a bundle's statement as a signature or an attestation.
func (m *material) classify(st *statement) {
	if st.PredicateType == cosignSignPredicate {
		m.signing = st
	} else {
		m.att, m.attestation = true, st
	}
}

// envelopeStatement reads the statement of a DSSE envelope's JSON.
func envelopeStatement(b []byte) (*statement, error) {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return parseStatement(env.PayloadType, payload)
}

func parseStatement(payloadType string, payload []byte) (*statement, error) {
	if payloadType != inTotoPayloadType {
		return nil, fmt.Errorf("payload type %q is not in-toto", payloadType)
	}
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	if st.PredicateType == "" || len(st.Subject) == 0 {
		return nil, fmt.Errorf("statement without a predicate type or subject")
	}
	return &st, nil
}
