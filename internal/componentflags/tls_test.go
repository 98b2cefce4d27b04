package componentflags

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
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

// The model of Go's default suites is held against crypto/tls itself: a
// server with no CipherSuites, an ECDSA and an RSA certificate (so suites of
// both kinds can be chosen), asked by a client offering one suite at a time.
// This test binary's go line is kubeward's (1.26), the go line of
// Kubernetes v1.37's binaries; GODEBUG moves the defaults as it moves them
// for a component started with that environment.
func TestDefaultCipherSuitesMatchCryptoTLS(t *testing.T) {
	for _, godebug := range []string{"", "tlsrsakex=1", "tls3des=1,tlsrsakex=1", "tlsrsakex=0,tlsrsakex=1,tls3des=0"} {
		t.Run("GODEBUG="+godebug, func(t *testing.T) {
			t.Setenv("GODEBUG", godebug)
			got := acceptedSuites(t)
			want := DefaultCipherSuites(GoTLS{GoLine: CurrentGoLine, GODEBUG: godebug})
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("crypto/tls accepts\n  %s\nthe model says\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func acceptedSuites(t *testing.T) []string {
	t.Helper()
	srv := &tls.Config{Certificates: []tls.Certificate{selfSigned(t, "ecdsa"), selfSigned(t, "rsa")}}
	var out []string
	for _, name := range goCipherOrder {
		id := suiteID(name)
		cli := &tls.Config{InsecureSkipVerify: true, CipherSuites: []uint16{id}, MaxVersion: tls.VersionTLS12}
		c1, c2 := net.Pipe()
		errc := make(chan error, 1)
		go func() {
			errc <- tls.Server(c2, srv).Handshake()
			c2.Close() // the raw pipe: a tls.Conn's close_notify would wait for a reader
		}()
		err := tls.Client(c1, cli).Handshake()
		c1.Close()
		<-errc
		if err == nil {
			out = append(out, name)
		}
	}
	return out
}

func suiteID(name string) uint16 {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.Name == name {
			return s.ID
		}
	}
	panic("unknown suite " + name)
}

func selfSigned(t *testing.T, alg string) tls.Certificate {
	t.Helper()
	var key crypto.Signer
	var err error
	if alg == "rsa" {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubeward-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestGoLineOf(t *testing.T) {
	tests := []struct {
		comp *Component
		tag  string
		want int
		ok   bool
	}{
		{APIServer, "v1.29.15", 21, true},
		{APIServer, "v1.30.0", 22, true},
		{APIServer, "v1.31.4-eks-1", 22, true},
		{Kubelet, "v1.32.1", 23, true},
		{APIServer, "v1.37.2", 26, true},
		{APIServer, "latest", 0, false},
		{APIServer, "", 0, false},
		{Etcd, "3.5.15-0", 21, true},
		{Etcd, "3.5.16-0", 22, true},
		{Etcd, "v3.5.21", 23, true},
		{Etcd, "3.6.4-0", 23, true},
	}
	for _, tt := range tests {
		got, ok := GoLineOf(tt.comp, tt.tag)
		if got != tt.want || ok != tt.ok {
			t.Errorf("GoLineOf(%s, %q) = %d, %v; want %d, %v", tt.comp.Name, tt.tag, got, ok, tt.want, tt.ok)
		}
	}
	// What those lines mean for an unset cipher list.
	if s := strings.Join(DefaultCipherSuites(GoTLS{GoLine: 21}), ","); !strings.Contains(s, "TLS_RSA_WITH_AES_256_CBC_SHA") || !strings.Contains(s, "3DES") {
		t.Errorf("go 1.21 defaults: %s", s)
	}
	if s := strings.Join(DefaultCipherSuites(GoTLS{GoLine: 22}), ","); strings.Contains(s, "TLS_RSA_") || !strings.Contains(s, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA") {
		t.Errorf("go 1.22 defaults: %s", s)
	}
}
