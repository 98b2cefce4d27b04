package componentflags

import (
	"crypto/tls"
	"testing"
)

func TestClassifyCipher(t *testing.T) {
	tests := map[string]CipherClass{
		"TLS_AES_128_GCM_SHA256":                      CipherStrong,
		"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":       CipherStrong,
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305":      CipherStrong,
		"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": CipherStrong,
		"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA":          CipherCBC,
		"TLS_RSA_WITH_AES_128_GCM_SHA256":             CipherNoForwardSecrecy,
		"TLS_RSA_WITH_AES_256_CBC_SHA":                CipherNoForwardSecrecy,
		"TLS_RSA_WITH_RC4_128_SHA":                    CipherInsecure,
		"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA":         CipherInsecure,
		"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256":     CipherInsecure,
		"TLS_FAKE_WITH_NOTHING":                       CipherUnknown,
		" TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ":   CipherStrong,
	}
	for name, want := range tests {
		if got := ClassifyCipher(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	// Every suite Go knows is classified.
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if ClassifyCipher(s.Name) == CipherUnknown {
			t.Errorf("%s unclassified", s.Name)
		}
	}
}
