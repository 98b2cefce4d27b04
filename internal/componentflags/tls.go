package componentflags

import (
	"crypto/tls"
	"strings"
)

// CipherClass is how strong a TLS cipher suite is.
type CipherClass int

const (
	// CipherStrong: TLS 1.3 suites and ECDHE with AES-GCM or ChaCha20-Poly1305
	// (the suites the CIS benchmark lists).
	CipherStrong CipherClass = iota
	// CipherCBC: ECDHE with AES-CBC and SHA-1 MACs; not broken, but exposed to
	// padding-oracle attacks and outside the CIS list.
	CipherCBC
	// CipherNoForwardSecrecy: RSA key exchange; a stolen server key decrypts
	// every recorded session.
	CipherNoForwardSecrecy
	// CipherInsecure: what Go's crypto/tls lists as insecure (RC4, 3DES,
	// CBC with SHA-256 MACs); Go also lists RSA key exchange there, which is
	// classed CipherNoForwardSecrecy to say why.
	CipherInsecure
	// CipherUnknown: a name the components refuse (they do not start).
	CipherUnknown
)

func (c CipherClass) String() string {
	return [...]string{"strong", "CBC mode", "no forward secrecy", "insecure", "unknown"}[c]
}

// ClassifyCipher classifies a cipher-suite name as the Kubernetes
// components (k8s.io/component-base cli/flag/ciphersuites_flag.go) and
// etcd accept them: Go's crypto/tls names, plus the two legacy ChaCha20
// names without _SHA256.
func ClassifyCipher(name string) CipherClass {
	name = strings.TrimSpace(name)
	switch name {
	case "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305":
		return CipherStrong
	}
	for _, s := range tls.InsecureCipherSuites() {
		if s.Name != name {
			continue
		}
		// Go lists RSA key exchange as insecure too; say why.
		if strings.HasPrefix(name, "TLS_RSA_") && !strings.Contains(name, "RC4") && !strings.Contains(name, "3DES") && !strings.HasSuffix(name, "_CBC_SHA256") {
			return CipherNoForwardSecrecy
		}
		return CipherInsecure
	}
	for _, s := range tls.CipherSuites() {
		if s.Name != name {
			continue
		}
		switch {
		case strings.HasPrefix(name, "TLS_RSA_"):
			return CipherNoForwardSecrecy
		case strings.Contains(name, "_CBC_"):
			return CipherCBC
		}
		return CipherStrong
	}
	return CipherUnknown
}

// TLSVersionBelow12 reports whether a minimum-version value of the
// Kubernetes components (VersionTLS10 ... VersionTLS13) allows TLS 1.0 or 1.1.
func TLSVersionBelow12(v string) bool {
	switch strings.TrimSpace(v) {
	case "VersionTLS10", "VersionTLS11":
		return true
	}
	return false
}
