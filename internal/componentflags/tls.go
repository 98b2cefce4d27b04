package componentflags

import (
	"crypto/tls"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
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

// goCipherOrder is crypto/tls's preference order of the TLS 1.0-1.2 suites
// (Go 1.21 to 1.26, crypto/tls/cipher_suites.go cipherSuitesPreferenceOrder).
var goCipherOrder = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
	"TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
	"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
	"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256",
	"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_RC4_128_SHA",
}

// GoTLS is what decides a Go server's default cipher suites: the Go version
// its main module's go.mod names (GODEBUG defaults follow that go line, not
// the compiler's version) and the GODEBUG settings in its environment.
type GoTLS struct {
	// GoLine is the go line's minor version: 21 for "go 1.21".
	GoLine int
	// GODEBUG is the process's GODEBUG environment variable, "" when unset.
	GODEBUG string
}

// godebug returns a GODEBUG setting's value: the environment's last
// mention, else the default of the go line (changed is the minor release
// that switched it to "0").
func (g GoTLS) godebug(name string, changed int) string {
	val := ""
	for _, kv := range strings.Split(g.GODEBUG, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == name {
			val = v
		}
	}
	if val != "" {
		return val
	}
	if g.GoLine < changed {
		return "1"
	}
	return "0"
}

// DefaultCipherSuites returns the TLS 1.0-1.2 cipher suites a Go server
// whose tls.Config leaves CipherSuites nil accepts, in preference order, as
// crypto/tls/defaults.go defaultCipherSuites decides them: never RC4 or
// CBC with SHA-256; RSA key exchange only with tlsrsakex=1 (the default of
// go lines before 1.22); 3DES only with tls3des=1 (before 1.23). Which
// suites a handshake then uses also depends on the certificate (ECDSA or
// RSA).
func DefaultCipherSuites(g GoTLS) []string {
	rsaKex := g.godebug("tlsrsakex", 22) == "1"
	tdes := g.godebug("tls3des", 23) == "1"
	var out []string
	for _, s := range goCipherOrder {
		switch {
		case strings.Contains(s, "_RC4_") || strings.HasSuffix(s, "_CBC_SHA256"):
			continue
		case strings.HasPrefix(s, "TLS_RSA_") && !rsaKex:
			continue
		case strings.Contains(s, "_3DES_") && !tdes:
			continue
		}
		out = append(out, s)
	}
	return out
}

// goLines maps releases of a component to the go line of the main module
// their release binaries are built from: each entry applies from its
// release on. Only the lines that move a TLS default matter (1.21: RSA key
// exchange and 3DES on; 1.22: RSA key exchange off; 1.23: 3DES off).
// Sources: k8s.io/kubernetes go.mod at v1.29.0 (go 1.21), v1.30.0 and
// v1.31.0 (go 1.22.0), v1.32.0 (go 1.23.0, godebug default=go1.23), v1.37.2
// (go 1.26.0, godebug default=go1.26); go.etcd.io/etcd/server/v3 go.mod at
// v3.5.15 (go 1.21), v3.5.16 to v3.5.18 (go 1.22), v3.5.19 and v3.6.x
// (go 1.23.0).
type goLineSince struct {
	since  *version.Version
	goLine int
}

var (
	kubernetesGoLines = []goLineSince{{version.MajorMinor(1, 30), 22}, {version.MajorMinor(1, 32), 23}, {version.MajorMinor(1, 37), 26}}
	etcdGoLines       = []goLineSince{{version.MustParseGeneric("3.5.16"), 22}, {version.MustParseGeneric("3.5.19"), 23}}
)

// GoLineOf returns the go line of a component's release binaries for the
// version an image tag names ("v1.37.2", "3.6.4-0"), and false when the tag
// names no version: callers then assume CurrentGoLine.
func GoLineOf(comp *Component, tag string) (int, bool) {
	v, err := version.ParseGeneric(strings.TrimSpace(tag))
	if err != nil || v.Major() == 0 {
		return 0, false
	}
	table := kubernetesGoLines
	if comp == Etcd {
		table = etcdGoLines
	}
	line := 21 // the oldest line kubeward models: every TLS default on
	for _, e := range table {
		if v.AtLeast(e.since) {
			line = e.goLine
		}
	}
	return line, true
}

// CurrentGoLine is the go line of the newest releases kubeward knows
// (Kubernetes v1.37, etcd 3.6 and later), assumed for an image whose tag
// names no version.
const CurrentGoLine = 26
