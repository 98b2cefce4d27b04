package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// legacyBundleMediaType is the bundle version whose log entries need an
// inclusion promise (a signed entry timestamp) but no inclusion proof:
// what cosign's tag scheme stores.
const legacyBundleMediaType = "application/vnd.dev.sigstore.bundle+json;version=0.1"

// rekorBundle is cosign's dev.sigstore.cosign/bundle annotation: the log
// entry and the log's signed promise to include it.
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

// toBundle turns a layer of cosign's tag scheme into the Sigstore bundle
// it is equivalent to, so that sigstore-go verifies both layouts alike.
func (l *legacyLayer) toBundle() (*bundle.Bundle, error) {
	vm := &protobundle.VerificationMaterial{}
	if certs := l.annotations[annCertificate]; certs != "" {
		chain, err := pemChain(certs + "\n" + l.annotations[annChain])
		if err != nil {
			return nil, err
		}
		vm.Content = &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: chain}
	} else {
		// The key is the policy's: each key signer tries its own.
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: "policy-key"}}
	}
	if rb := l.annotations[annBundle]; rb != "" {
		tle, err := logEntry(rb)
		if err != nil {
			return nil, err
		}
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{tle}
	}
	if ts := l.annotations[annTimestamp]; ts != "" {
		var t struct {
			SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
		}
		if err := json.Unmarshal([]byte(ts), &t); err != nil {
			return nil, fmt.Errorf("timestamp annotation: %w", err)
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: t.SignedRFC3161Timestamp}}}
	}
	pb := &protobundle.Bundle{MediaType: legacyBundleMediaType, VerificationMaterial: vm}
	if l.dsse {
		env, err := dsseEnvelope(l.payload)
		if err != nil {
			return nil, err
		}
		pb.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: env}
	} else {
		sig, err := base64.StdEncoding.DecodeString(l.annotations[annSignature])
		if err != nil || len(sig) == 0 {
			return nil, errors.New("the layer has no signature annotation")
		}
		sum := sha256.Sum256(l.payload)
		pb.Content = &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     sig,
		}}
	}
	return bundle.NewBundle(pb)
}

func pemChain(s string) (*protocommon.X509CertificateChain, error) {
	chain := &protocommon.X509CertificateChain{}
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			chain.Certificates = append(chain.Certificates, &protocommon.X509Certificate{RawBytes: block.Bytes})
		}
	}
	if len(chain.Certificates) == 0 {
		return nil, errors.New("the certificate annotation holds no PEM certificate")
	}
	return chain, nil
}

func logEntry(annotation string) (*protorekor.TransparencyLogEntry, error) {
	var rb rekorBundle
	if err := json.Unmarshal([]byte(annotation), &rb); err != nil {
		return nil, fmt.Errorf("log entry annotation: %w", err)
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("log entry body: %w", err)
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("log entry id: %w", err)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kv); err != nil {
		return nil, fmt.Errorf("log entry body: %w", err)
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	}, nil
}

func dsseEnvelope(b []byte) (*protodsse.Envelope, error) {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     []byte `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	out := &protodsse.Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, s := range env.Signatures {
		out.Signatures = append(out.Signatures, &protodsse.Signature{Keyid: s.KeyID, Sig: s.Sig})
	}
	if len(out.Signatures) == 0 {
		return nil, errors.New("envelope without a signature")
	}
	return out, nil
}
