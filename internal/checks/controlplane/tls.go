package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
)

// TLS of the control plane's servers. A cipher list is judged by its
// weakest suite. An unset list is not a pass: the component then accepts
// crypto/tls's default suites (no Kubernetes component or etcd has a
// default list of its own), which still include ECDHE with AES-CBC and
// SHA-1, outside the CIS list, and, for releases built on older go lines or
// with GODEBUG=tlsrsakex=1 or tls3des=1, RSA key exchange and 3DES.

// CipherFindings judges a configured cipher list: nil when every suite is
// strong, otherwise a message naming the weak suites and a severity by the
// weakest. The node checks use it for the kubelet.
func CipherFindings(suites []string) (string, check.Severity) {
	byClass := map[componentflags.CipherClass][]string{}
	worst := componentflags.CipherStrong
	for _, s := range suites {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		c := componentflags.ClassifyCipher(s)
		if c == componentflags.CipherStrong {
			continue
		}
		byClass[c] = append(byClass[c], s)
		if c > worst {
			worst = c
		}
	}
	if len(byClass) == 0 {
		return "", check.SeverityUnknown
	}
	var parts []string
	for _, c := range []componentflags.CipherClass{componentflags.CipherUnknown, componentflags.CipherInsecure, componentflags.CipherNoForwardSecrecy, componentflags.CipherCBC} {
		if names := byClass[c]; len(names) > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s", c, strings.Join(names, ", ")))
		}
	}
	sev := check.Low
	switch worst {
	case componentflags.CipherInsecure:
		sev = check.High
	case componentflags.CipherNoForwardSecrecy:
		sev = check.Medium
	case componentflags.CipherUnknown:
		sev = check.Medium
	}
	msg := "weak cipher suites allowed (" + strings.Join(parts, "; ") + ")"
	if worst == componentflags.CipherUnknown {
		msg += "; an unknown name stops the component from starting"
	}
	return msg, sev
}

// StrongCiphers is the fix text: the suites the CIS benchmark allows.
const StrongCiphers = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," +
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384," +
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"

// DefaultCipherFindings judges the suites a component with no cipher list
// accepts: Go's defaults for the go line of its release (an image tag such
// as "v1.37.2"; "" or a tag without a version means a current release) and
// its GODEBUG environment variable. The node checks use it for the kubelet.
func DefaultCipherFindings(comp *componentflags.Component, release, godebug string) (string, check.Severity) {
	line, known := componentflags.GoLineOf(comp, release)
	g := componentflags.GoTLS{GoLine: line, GODEBUG: godebug}
	if !known {
		g.GoLine = componentflags.CurrentGoLine
	}
	msg, sev := CipherFindings(componentflags.DefaultCipherSuites(g))
	if msg == "" {
		return "", check.SeverityUnknown
	}
	from := fmt.Sprintf("%s %s is built on the go %s line", comp.Name, release, goLine(g.GoLine))
	if !known {
		from = fmt.Sprintf("a current %s, built on the go %s line", comp.Name, goLine(g.GoLine))
	}
	if godebug != "" {
		from += ", with GODEBUG=" + godebug
	}
	return fmt.Sprintf("Go's default suites apply (%s): %s", from, msg), sev
}

func goLine(minor int) string { return fmt.Sprintf("1.%d", minor) }

// cipherCheck judges the suites a component accepts: the list written in
// flag, else Go's defaults. applies, when set, says whether the component
// serves TLS at all.
func cipherCheck(flag string, applies func(*instance) bool) func(*instance) []problem {
	return func(in *instance) []problem {
		if applies != nil && !applies(in) {
			return nil
		}
		v := in.args.Get(flag)
		if !v.Set {
			msg, sev := DefaultCipherFindings(in.comp, in.release, in.godebug)
			if msg == "" {
				return nil
			}
			return []problem{{flag: flag, message: fmt.Sprintf("%s: --%s is not set, so %s", in.name, flag, msg), severity: sev}}
		}
		msg, sev := CipherFindings(v.List)
		if msg == "" {
			return nil
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: --%s: %s", in.name, flag, msg), severity: sev}}
	}
}

// APIServerTLSCipherSuites: only strong cipher suites (CIS 1.2.29).
var APIServerTLSCipherSuites = flagCheck(check.Meta{
	ID:       "apiserver-tls-cipher-suites",
	Title:    "API server allows weak TLS cipher suites",
	Severity: check.Medium,
	Rationale: "Suites without forward secrecy, with CBC or with broken ciphers let a recorded or intercepted " +
		"session be decrypted. Without a list the API server accepts Go's defaults, which include ECDHE with " +
		"AES-CBC and SHA-1 (and, on older releases or with GODEBUG, RSA key exchange and 3DES).",
	Fix:   "Set --tls-cipher-suites=" + StrongCiphers + ".",
	Reads: append(reads(apiserver, "tls-cipher-suites"), "kube-apiserver image tag (its go line decides Go's defaults)", "kube-apiserver GODEBUG environment variable"),
	Refs:  []check.Reference{check.CIS("1.2.29", "Ensure that the API Server only makes use of Strong Cryptographic Ciphers"), check.NSA("Network separation and hardening")},
}, apiserver, cipherCheck("tls-cipher-suites", nil))

// APIServerTLSMinVersion: no TLS 1.0 or 1.1.
var APIServerTLSMinVersion = flagCheck(check.Meta{
	ID:       "apiserver-tls-min-version",
	Title:    "API server accepts TLS 1.0 or 1.1",
	Severity: check.Medium,
	Rationale: "TLS 1.0 and 1.1 are deprecated (RFC 8996) and weaker against downgrade and padding attacks; the " +
		"default minimum is TLS 1.2.",
	Fix:   "Remove --tls-min-version or set it to VersionTLS12 or VersionTLS13.",
	Reads: reads(apiserver, "tls-min-version"),
	Refs:  []check.Reference{check.NSA("Network separation and hardening")},
}, apiserver, minVersion("tls-min-version"))

func minVersion(flag string) func(*instance) []problem {
	return func(in *instance) []problem {
		if !componentflags.TLSVersionBelow12(in.args.Get(flag).Raw) {
			return nil
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: %s: clients may negotiate deprecated TLS versions", in.name, in.describe(flag))}}
	}
}

// EtcdCipherSuites: etcd's --cipher-suites lists only strong suites.
var EtcdCipherSuites = flagCheck(check.Meta{
	ID:       "etcd-cipher-suites",
	Title:    "etcd allows weak TLS cipher suites",
	Severity: check.Medium,
	Rationale: "etcd's clients and peers carry every Secret of the cluster; weak suites let recorded traffic be " +
		"decrypted. Without a list etcd accepts Go's defaults, which include ECDHE with AES-CBC and SHA-1.",
	Fix:   "Set --cipher-suites=" + StrongCiphers + ".",
	Reads: append(reads(componentflags.Etcd, "cipher-suites", "listen-client-urls", "listen-peer-urls"), "etcd image tag (its go line decides Go's defaults)", "etcd GODEBUG environment variable"),
	Refs:  []check.Reference{check.NSA("Network separation and hardening")},
}, componentflags.Etcd, cipherCheck("cipher-suites", servesTLS))

// servesTLS reports whether etcd has an https listener (a cipher list
// means nothing to plain http, which etcd-client-tls and etcd-peer-tls
// report).
func servesTLS(in *instance) bool {
	return len(listenersOf(in, "listen-client-urls").tls) > 0 || len(listenersOf(in, "listen-peer-urls").tls) > 0
}

func init() { check.Register(APIServerTLSCipherSuites, APIServerTLSMinVersion, EtcdCipherSuites) }
