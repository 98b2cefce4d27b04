package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
)

// The kube-apiserver checks of CIS 1.2 that are one flag each. Each is its
// own registered check; the judgements that need more than one flag
// (authorization, anonymous auth, admission, audit, etcd, TLS, encryption)
// have their own files.

const nsaAuthn = "Authentication and authorization"

var apiserver = componentflags.APIServer

// APIServerTokenAuthFile: --token-auth-file must not be set (CIS 1.2.2).
var APIServerTokenAuthFile = flagCheck(check.Meta{
	ID:       "apiserver-token-auth-file",
	Title:    "API server accepts static tokens from a file",
	Severity: check.High,
	Rationale: "Tokens in a --token-auth-file are long-lived bearer credentials kept in clear text on the control " +
		"plane; they cannot be revoked or rotated without restarting the API server.",
	Fix:   "Remove --token-auth-file and authenticate people with OIDC or client certificates, and workloads with service accounts.",
	Reads: reads(apiserver, "token-auth-file"),
	Refs:  []check.Reference{check.CIS("1.2.2", "Ensure that the --token-auth-file parameter is not set"), check.NSA(nsaAuthn)},
}, apiserver, mustNotSet("token-auth-file", "static bearer tokens are accepted"))

// APIServerKubeletClientCert: the API server authenticates to kubelets
// with a client certificate (CIS 1.2.4).
var APIServerKubeletClientCert = flagCheck(check.Meta{
	ID:       "apiserver-kubelet-client-cert",
	Title:    "API server has no client certificate for kubelets",
	Severity: check.Medium,
	Rationale: "Without --kubelet-client-certificate and --kubelet-client-key the API server calls kubelets " +
		"(logs, exec, port-forward) anonymously, which only works when kubelets accept anonymous requests.",
	Fix:   "Set --kubelet-client-certificate and --kubelet-client-key to a client certificate the kubelets trust.",
	Reads: reads(apiserver, "kubelet-client-certificate", "kubelet-client-key"),
	Refs:  []check.Reference{check.CIS("1.2.4", "Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate"), check.NSA(nsaAuthn)},
}, apiserver, mustSet("the API server does not authenticate to kubelets", "kubelet-client-certificate", "kubelet-client-key"))

// APIServerKubeletCertificateAuthority: the API server verifies kubelets'
// serving certificates (CIS 1.2.5).
var APIServerKubeletCertificateAuthority = flagCheck(check.Meta{
	ID:       "apiserver-kubelet-certificate-authority",
	Title:    "API server does not verify kubelet serving certificates",
	Severity: check.Medium,
	Rationale: "Without --kubelet-certificate-authority the API server does not verify the certificate of the " +
		"kubelet it connects to, so a machine in the path can impersonate a node and read exec sessions and logs.",
	Fix: "Have kubelets get serving certificates signed by the cluster CA (serverTLSBootstrap: true and approving " +
		"their CSRs) and set --kubelet-certificate-authority to that CA.",
	Reads: reads(apiserver, "kubelet-certificate-authority"),
	Refs:  []check.Reference{check.CIS("1.2.5", "Ensure that the --kubelet-certificate-authority argument is set as appropriate"), check.NSA("Network separation and hardening")},
}, apiserver, mustSet("kubelet serving certificates are not verified", "kubelet-certificate-authority"))

// APIServerProfiling: --profiling=false (CIS 1.2.15).
var APIServerProfiling = flagCheck(check.Meta{
	ID:       "apiserver-profiling",
	Title:    "API server profiling is enabled",
	Severity: check.Low,
	Rationale: "The /debug/pprof endpoints reveal the server's internals and let anyone allowed to reach them " +
		"slow it down; they are on unless disabled.",
	Fix:   "Set --profiling=false.",
	Reads: reads(apiserver, "profiling"),
	Refs:  []check.Reference{check.CIS("1.2.15", "Ensure that the --profiling argument is set to false")},
}, apiserver, boolMustBe("profiling", false, "/debug/pprof is served"))

// APIServerServiceAccountLookup: --service-account-lookup is true (CIS 1.2.21).
var APIServerServiceAccountLookup = flagCheck(check.Meta{
	ID:       "apiserver-service-account-lookup",
	Title:    "API server does not check that service-account tokens still exist",
	Severity: check.Medium,
	Rationale: "With --service-account-lookup=false a token stays valid after its ServiceAccount or Secret is " +
		"deleted, so a leaked token cannot be revoked.",
	Fix:   "Remove --service-account-lookup=false (the default is true).",
	Reads: reads(apiserver, "service-account-lookup"),
	Refs:  []check.Reference{check.CIS("1.2.21", "Ensure that the --service-account-lookup argument is set to true"), check.NSA(nsaAuthn)},
}, apiserver, boolMustBe("service-account-lookup", true, "deleted service accounts' tokens stay valid"))

// APIServerServiceAccountKeyFile: --service-account-key-file is set (CIS
// 1.2.22), unless the keys come from an external signer.
var APIServerServiceAccountKeyFile = flagCheck(check.Meta{
	ID:       "apiserver-service-account-key-file",
	Title:    "API server verifies service-account tokens with its serving key",
	Severity: check.Low,
	Rationale: "Without --service-account-key-file the API server falls back to its TLS serving key to verify " +
		"service-account tokens, tying two keys that should rotate separately.",
	Fix:   "Set --service-account-key-file to the public key of a dedicated service-account signing key pair.",
	Reads: reads(apiserver, "service-account-key-file", "service-account-signing-endpoint"),
	Refs:  []check.Reference{check.CIS("1.2.22", "Ensure that the --service-account-key-file argument is set as appropriate")},
}, apiserver, func(in *instance) []problem {
	if len(in.args.Get("service-account-key-file").List) > 0 || in.args.Get("service-account-signing-endpoint").Raw != "" {
		return nil
	}
	return []problem{{flag: "service-account-key-file", message: fmt.Sprintf("%s: %s: service-account tokens are verified with the serving key (--tls-private-key-file)", in.name, in.describe("service-account-key-file"))}}
})

// APIServerTLSCert: the API server serves a certificate it was given (CIS 1.2.24).
var APIServerTLSCert = flagCheck(check.Meta{
	ID:       "apiserver-tls-cert",
	Title:    "API server serves a self-signed certificate",
	Severity: check.Medium,
	Rationale: "Without --tls-cert-file and --tls-private-key-file the API server generates a self-signed " +
		"certificate that clients cannot verify, which teaches them to skip verification.",
	Fix:   "Set --tls-cert-file and --tls-private-key-file to a certificate signed by the cluster CA.",
	Reads: reads(apiserver, "tls-cert-file", "tls-private-key-file"),
	Refs:  []check.Reference{check.CIS("1.2.24", "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate"), check.NSA("Network separation and hardening")},
}, apiserver, mustSet("the API server generates a self-signed certificate", "tls-cert-file", "tls-private-key-file"))

// APIServerClientCA: x509 client authentication is configured (CIS 1.2.25).
var APIServerClientCA = flagCheck(check.Meta{
	ID:       "apiserver-client-ca",
	Title:    "API server does not authenticate client certificates",
	Severity: check.Medium,
	Rationale: "Without --client-ca-file the API server cannot authenticate kubelets and control-plane " +
		"components by certificate, pushing them to weaker credentials.",
	Fix:   "Set --client-ca-file to the cluster CA bundle.",
	Reads: reads(apiserver, "client-ca-file"),
	Refs:  []check.Reference{check.CIS("1.2.25", "Ensure that the --client-ca-file argument is set as appropriate"), check.NSA(nsaAuthn)},
}, apiserver, mustSet("client certificates are not authenticated", "client-ca-file"))

// APIServerExtendTokenExpiration: --service-account-extend-token-expiration=false (CIS 1.2.30).
var APIServerExtendTokenExpiration = flagCheck(check.Meta{
	ID:       "apiserver-service-account-extend-token-expiration",
	Title:    "API server extends the lifetime of projected service-account tokens",
	Severity: check.Low,
	Rationale: "With --service-account-extend-token-expiration (on by default) projected tokens asked for an hour " +
		"are issued valid for a year, so a stolen token stays useful long after it should have expired.",
	Fix:   "Set --service-account-extend-token-expiration=false once no workload depends on legacy token lifetimes.",
	Reads: reads(apiserver, "service-account-extend-token-expiration"),
	Refs:  []check.Reference{check.CIS("1.2.30", "Ensure that the --service-account-extend-token-expiration parameter is set to false"), check.NSA(nsaAuthn)},
}, apiserver, boolMustBe("service-account-extend-token-expiration", false, "projected tokens are issued with a one-year lifetime"))

func init() {
	check.Register(APIServerTokenAuthFile, APIServerKubeletClientCert, APIServerKubeletCertificateAuthority,
		APIServerProfiling, APIServerServiceAccountLookup, APIServerServiceAccountKeyFile, APIServerTLSCert,
		APIServerClientCA, APIServerExtendTokenExpiration)
}

// hasMode reports whether a comma-list flag holds a value.
func hasValue(list []string, v string) bool {
	for _, x := range list {
		if strings.TrimSpace(x) == v {
			return true
		}
	}
	return false
}
