package verify

import (
	"testing"
)

// FuzzMaterial feeds hostile registry content to every parser of a
// signature or attestation: none may panic, whatever a registry serves.
func FuzzMaterial(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`),
		`{"SignedEntryTimestamp":"AA==","Payload":{"body":"e30=","integratedTime":1,"logIndex":0,"logID":"00"}}`, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"eyJfdHlwZSI6IngiLCJwcmVkaWNhdGVUeXBlIjoiaHR0cHM6Ly9zbHNhLmRldi9wcm92ZW5hbmNlL3YxIiwic3ViamVjdCI6W3siZGlnZXN0Ijp7InNoYTI1NiI6ImFiIn19XSwicHJlZGljYXRlIjp7InJ1bkRldGFpbHMiOnsiYnVpbGRlciI6eyJpZCI6ImIifX19fQ==","signatures":[{"keyid":"","sig":"AA=="}]}`), "", "")
	f.Add([]byte(`{"critical":{"image":{"docker-manifest-digest":"sha256:00"}}}`), `{"Payload":{"body":"!!"}}`, "junk")
	f.Fuzz(func(t *testing.T, blob []byte, rekor, cert string) {
		m := bundleMaterial(blob)
		_, _ = m.signedDigests()
		if st, err := envelopeStatement(blob); err == nil {
			provenance(st)
		}
		for _, dsse := range []bool{false, true} {
			l := &legacyLayer{payload: blob, dsse: dsse, annotations: map[string]string{
				annSignature: "AA==", annBundle: rekor, annCertificate: cert, annTimestamp: rekor}}
			_, _ = l.toBundle()
			lm := &material{legacy: l}
			_, _ = lm.signedDigests()
		}
		_ = repository(rekor)
	})
}
