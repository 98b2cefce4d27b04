package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
)

// TLS of the control plane's servers. An unset cipher list means Go's
// defaults, which since Go 1.22/1.23 exclude RC4, 3DES and RSA key
// exchange; only lists someone wrote are judged, by their weakest suite.

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

func cipherCheck(flag string) func(*instance) []problem {
	return func(in *instance) []problem {
		v := in.args.Get(flag)
		if !v.Set {
			return nil
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
		"session be decrypted; Go's defaults are safe, a hand-written list often is not.",
	Fix:   "Remove --tls-cipher-suites to use Go's defaults, or list only " + StrongCiphers + ".",
	Reads: reads(apiserver, "tls-cipher-suites"),
	Refs:  []check.Reference{check.CIS("1.2.29", "Ensure that the API Server only makes use of Strong Cryptographic Ciphers"), check.NSA("Network separation and hardening")},
}, apiserver, cipherCheck("tls-cipher-suites"))

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
	ID:        "etcd-cipher-suites",
	Title:     "etcd allows weak TLS cipher suites",
	Severity:  check.Medium,
	Rationale: "etcd's clients and peers carry every Secret of the cluster; weak suites let recorded traffic be decrypted.",
	Fix:       "Remove --cipher-suites to use Go's defaults, or list only " + StrongCiphers + ".",
	Reads:     reads(componentflags.Etcd, "cipher-suites"),
	Refs:      []check.Reference{check.NSA("Network separation and hardening")},
}, componentflags.Etcd, cipherCheck("cipher-suites"))

func init() { check.Register(APIServerTLSCipherSuites, APIServerTLSMinVersion, EtcdCipherSuites) }
