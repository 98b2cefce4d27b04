package node

import (
	"strconv"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
)

// The kubelet checks of CIS 4.2 that are one setting each.

// KubeletReadOnlyPort (CIS 4.2.4).
var KubeletReadOnlyPort = kubeletCheck(check.Meta{
	ID:       "kubelet-read-only-port",
	Title:    "Kubelet serves its read-only port",
	Severity: check.Medium,
	Rationale: "The read-only port (10255) answers without authentication with every Pod spec of the node " +
		"(environment values included) and metrics; it is on by default for a kubelet started without --config.",
	Fix:   "Set readOnlyPort: 0 in the KubeletConfiguration (or --read-only-port=0).",
	Reads: reads(sReadOnlyPort),
	Refs:  []check.Reference{check.CIS("4.2.4", "Verify that if defined, the --read-only-port argument is set to 0"), check.NSA(nsaAuthn)},
}, func(k *kubelet) []problem {
	raw, src, ok := k.get(sReadOnlyPort)
	if n, err := strconv.ParseInt(raw, 0, 64); !ok || err != nil || n == 0 {
		return nil
	}
	return []problem{{src: src, message: src.text + ": unauthenticated clients read Pod specs and metrics"}}
})

// KubeletStreamingIdleTimeout (CIS 4.2.5). In a KubeletConfiguration a zero
// timeout is replaced by the default (4h), so only the flag can disable it.
var KubeletStreamingIdleTimeout = kubeletCheck(check.Meta{
	ID:       "kubelet-streaming-idle-timeout",
	Title:    "Kubelet never closes idle exec and port-forward streams",
	Severity: check.Low,
	Rationale: "With --streaming-connection-idle-timeout=0 exec, attach and port-forward sessions stay open " +
		"forever, keeping access alive after credentials are revoked and exhausting the node.",
	Fix:   "Remove --streaming-connection-idle-timeout=0 (the default is 4h) or set a duration such as 5m.",
	Reads: reads(sStreaming),
	Refs:  []check.Reference{check.CIS("4.2.5", "Ensure that the --streaming-connection-idle-timeout argument is not set to 0")},
}, func(k *kubelet) []problem {
	raw, src, ok := k.get(sStreaming)
	if d, err := time.ParseDuration(raw); !ok || err != nil || d != 0 {
		return nil
	}
	return []problem{{src: src, message: src.text + ": idle streams are never closed"}}
})

// KubeletIPTablesUtilChains (CIS 4.2.6).
var KubeletIPTablesUtilChains = kubeletCheck(check.Meta{
	ID:       "kubelet-iptables-util-chains",
	Title:    "Kubelet does not manage its iptables chains",
	Severity: check.Low,
	Rationale: "With makeIPTablesUtilChains false the kubelet does not keep the iptables rules it relies on; " +
		"networking rules drift from what Kubernetes expects.",
	Fix:   "Remove makeIPTablesUtilChains: false (the default is true).",
	Reads: reads(sIPTables),
	Refs:  []check.Reference{check.CIS("4.2.6", "Ensure that the --make-iptables-util-chains argument is set to true")},
}, boolMustBe(sIPTables, true, "the kubelet does not maintain its iptables chains"))

// KubeletHostnameOverride (CIS 4.2.7).
var KubeletHostnameOverride = kubeletCheck(check.Meta{
	ID:       "kubelet-hostname-override",
	Title:    "Kubelet overrides its hostname",
	Severity: check.Low,
	Rationale: "A node name that differs from the host's breaks the match between the node's serving " +
		"certificate and its name, which TLS verification of kubelets relies on.",
	Fix:   "Remove --hostname-override, unless the cloud provider requires it.",
	Reads: reads(sHostname),
	Refs:  []check.Reference{check.CIS("4.2.7", "Ensure that the --hostname-override argument is not set")},
}, func(k *kubelet) []problem {
	raw, src, ok := k.get(sHostname)
	if !ok || strings.TrimSpace(raw) == "" || !src.isSet {
		return nil
	}
	return []problem{{src: src, message: src.text + ": the node name differs from the hostname"}}
})

// KubeletRotateCertificates (CIS 4.2.10). rotateCertificates has no v1beta1
// default, so an absent field means no rotation.
var KubeletRotateCertificates = kubeletCheck(check.Meta{
	ID:       "kubelet-rotate-certificates",
	Title:    "Kubelet does not rotate its client certificate",
	Severity: check.Low,
	Rationale: "Without rotateCertificates the kubelet's client certificate is never renewed: it stays valid " +
		"for its whole lifetime if stolen, and the node drops out of the cluster when it expires.",
	Fix:   "Set rotateCertificates: true in the KubeletConfiguration (kubeadm does).",
	Reads: reads(sRotateCerts),
	Refs:  []check.Reference{check.CIS("4.2.10", "Ensure that the --rotate-certificates argument is not set to false"), check.NSA(nsaAuthn)},
}, boolMustBe(sRotateCerts, true, "the client certificate is never rotated"))

// KubeletRotateServerCertificateGate (CIS 4.2.11).
var KubeletRotateServerCertificateGate = kubeletCheck(check.Meta{
	ID:       "kubelet-rotate-server-certificate-gate",
	Title:    "Kubelet disables serving certificate rotation",
	Severity: check.Low,
	Rationale: "With the RotateKubeletServerCertificate feature gate off the kubelet cannot get serving " +
		"certificates signed by the cluster CA, so the API server cannot verify it.",
	Fix:   "Remove RotateKubeletServerCertificate=false from the feature gates (it is on by default).",
	Reads: reads(setting{flag: "feature-gates", field: []string{"featureGates"}}),
	Refs:  []check.Reference{check.CIS("4.2.11", "Verify that the RotateKubeletServerCertificate argument is set to true")},
}, func(k *kubelet) []problem {
	v, set, src := k.gate("RotateKubeletServerCertificate")
	if !set || v {
		return nil
	}
	return []problem{{src: src, message: src.text + ": serving certificates cannot be rotated"}}
})

// KubeletPodPidsLimit (CIS 4.2.13).
var KubeletPodPidsLimit = kubeletCheck(check.Meta{
	ID:       "kubelet-pod-pids-limit",
	Title:    "Kubelet does not limit processes per Pod",
	Severity: check.Low,
	Rationale: "Without podPidsLimit one Pod can fork until the node runs out of process IDs, taking down " +
		"every other Pod and the kubelet with it.",
	Fix:   "Set podPidsLimit in the KubeletConfiguration (for example 4096).",
	Reads: reads(sPodPids),
	Refs:  []check.Reference{check.CIS("4.2.13", "Ensure that a limit is set on pod PIDs")},
}, func(k *kubelet) []problem {
	raw, src, ok := k.get(sPodPids)
	if n, err := strconv.ParseInt(raw, 0, 64); !ok || err != nil || n > 0 {
		return nil
	}
	return []problem{{src: src, message: src.text + ": a Pod may use every process ID of the node"}}
})

// KubeletSeccompDefault (CIS 4.2.14).
var KubeletSeccompDefault = kubeletCheck(check.Meta{
	ID:       "kubelet-seccomp-default",
	Title:    "Kubelet runs containers without a default seccomp profile",
	Severity: check.Low,
	Rationale: "With seccompDefault off, containers that do not ask for a profile run Unconfined, with every " +
		"system call available to an attacker.",
	Fix:   "Set seccompDefault: true in the KubeletConfiguration (RuntimeDefault for every container).",
	Reads: reads(sSeccomp),
	Refs:  []check.Reference{check.CIS("4.2.14", "Ensure that the --seccomp-default parameter is set to true"), check.NSA("Kubernetes Pod security")},
}, boolMustBe(sSeccomp, true, "containers without a profile run Unconfined"))

// KubeletProtectKernelDefaults was CIS 4.2.6 up to benchmark v1.6; v1.12
// dropped it, and it stays a useful hardening setting.
var KubeletProtectKernelDefaults = kubeletCheck(check.Meta{
	ID:       "kubelet-protect-kernel-defaults",
	Title:    "Kubelet may change kernel settings",
	Severity: check.Low,
	Rationale: "Without protectKernelDefaults the kubelet silently tunes kernel parameters to its defaults " +
		"instead of failing when the host's hardening differs.",
	Fix:   "Set protectKernelDefaults: true after setting the sysctls the kubelet expects on the host.",
	Reads: reads(sProtectKernel),
	Refs: []check.Reference{{Framework: "CIS Kubernetes Benchmark v1.6", ID: "4.2.6",
		Title: "Ensure that the --protect-kernel-defaults argument is set to true"}},
}, boolMustBe(sProtectKernel, true, "the kubelet overrides host kernel settings"))

func init() {
	check.Register(KubeletReadOnlyPort, KubeletStreamingIdleTimeout, KubeletIPTablesUtilChains, KubeletHostnameOverride,
		KubeletRotateCertificates, KubeletRotateServerCertificateGate, KubeletPodPidsLimit, KubeletSeccompDefault,
		KubeletProtectKernelDefaults)
}
