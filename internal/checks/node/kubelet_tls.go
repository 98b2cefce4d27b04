package node

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/controlplane"
	"github.com/kubeward/kubeward/internal/componentflags"
)

// The kubelet's serving TLS (CIS 4.2.9 and 4.2.12).

// KubeletTLSCert (CIS 4.2.9). A kubelet without tlsCertFile and
// tlsPrivateKeyFile serves a self-signed certificate, unless it asks the
// cluster for one (serverTLSBootstrap with the RotateKubeletServerCertificate
// gate, on by default).
var KubeletTLSCert = kubeletCheck(check.Meta{
	ID:       "kubelet-tls-cert",
	Title:    "Kubelet serves a self-signed certificate",
	Severity: check.Medium,
	Rationale: "A self-signed serving certificate cannot be verified by the API server, so its connections to " +
		"the kubelet (exec, logs) can be intercepted.",
	Fix: "Set serverTLSBootstrap: true (and approve the kubelets' serving CSRs), or tlsCertFile and " +
		"tlsPrivateKeyFile to a certificate signed by the cluster CA.",
	Reads: reads(sTLSCert, sTLSKey, sServerBoot),
	Refs:  []check.Reference{check.CIS("4.2.9", "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate"), check.NSA("Network separation and hardening")},
}, func(k *kubelet) []problem {
	cert, src, ok1 := k.get(sTLSCert)
	key, _, ok2 := k.get(sTLSKey)
	boot, _, ok3 := k.boolOf(sServerBoot)
	if !ok1 || !ok2 || !ok3 || cert != "" && key != "" {
		return nil
	}
	if boot {
		if on, set, _ := k.gate("RotateKubeletServerCertificate"); !set || on {
			return nil
		}
	}
	return []problem{{src: src, message: fmt.Sprintf("%s and serverTLSBootstrap is off: the kubelet generates a self-signed serving certificate", src.text)}}
})

// KubeletTLSCipherSuites (CIS 4.2.12). An unset list means Go's default
// suites, which include ECDHE with AES-CBC and SHA-1; the kubelet's release
// is not known from its configuration, so a current one is assumed (older
// releases' defaults also hold RSA key exchange and 3DES).
var KubeletTLSCipherSuites = kubeletCheck(check.Meta{
	ID:       "kubelet-tls-cipher-suites",
	Title:    "Kubelet allows weak TLS cipher suites",
	Severity: check.Medium,
	Rationale: "Suites without forward secrecy, with CBC or with broken ciphers let recorded kubelet traffic " +
		"(exec sessions, logs) be decrypted. Without a list the kubelet accepts Go's defaults, which include " +
		"ECDHE with AES-CBC and SHA-1.",
	Fix:   "Set tlsCipherSuites (or --tls-cipher-suites) to " + controlplane.StrongCiphers + ".",
	Reads: reads(sCiphers),
	Refs:  []check.Reference{check.CIS("4.2.12", "Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers"), check.NSA("Network separation and hardening")},
}, func(k *kubelet) []problem {
	raw, src, ok := k.get(sCiphers)
	if !ok {
		return nil
	}
	msg, sev := controlplane.CipherFindings(strings.Split(raw, ","))
	if !src.isSet {
		msg, sev = controlplane.DefaultCipherFindings(componentflags.Kubelet, "", "")
		unset, _, _ := strings.Cut(src.text, " (default")
		msg = unset + ", so " + msg
	}
	if msg == "" {
		return nil
	}
	return []problem{{src: src, message: msg, severity: sev}}
})

// KubeletTLSMinVersion: no TLS 1.0 or 1.1.
var KubeletTLSMinVersion = kubeletCheck(check.Meta{
	ID:        "kubelet-tls-min-version",
	Title:     "Kubelet accepts TLS 1.0 or 1.1",
	Severity:  check.Medium,
	Rationale: "TLS 1.0 and 1.1 are deprecated (RFC 8996); the default minimum is TLS 1.2.",
	Fix:       "Remove tlsMinVersion or set it to VersionTLS12 or VersionTLS13.",
	Reads:     reads(sTLSMinVersion),
	Refs:      []check.Reference{check.NSA("Network separation and hardening")},
}, func(k *kubelet) []problem {
	raw, src, ok := k.get(sTLSMinVersion)
	if !ok || !componentflags.TLSVersionBelow12(raw) {
		return nil
	}
	return []problem{{src: src, message: src.text + ": clients may negotiate deprecated TLS versions"}}
})

func init() { check.Register(KubeletTLSCert, KubeletTLSCipherSuites, KubeletTLSMinVersion) }
