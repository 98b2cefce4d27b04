package controlplane

import (
	"fmt"
	"net"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
)

// The kube-controller-manager checks of CIS 1.3, one flag each.

var kcm = componentflags.ControllerManager

// ControllerManagerTerminatedPodGC (CIS 1.3.1). The benchmark asks for the
// flag to be set; the default (12500) already bounds terminated Pods, so
// only a value that disables the collector (<= 0) is reported.
var ControllerManagerTerminatedPodGC = flagCheck(check.Meta{
	ID:       "controller-manager-terminated-pod-gc-threshold",
	Title:    "Controller manager never deletes terminated Pods",
	Severity: check.Low,
	Rationale: "With --terminated-pod-gc-threshold <= 0 terminated Pods pile up in etcd until the API server " +
		"slows down or runs out of space.",
	Fix:   "Set --terminated-pod-gc-threshold to a positive number (the default is 12500), for example 10 on small clusters.",
	Reads: reads(kcm, "terminated-pod-gc-threshold"),
	Refs:  []check.Reference{check.CIS("1.3.1", "Ensure that the --terminated-pod-gc-threshold argument is set as appropriate")},
}, kcm, func(in *instance) []problem {
	n, v, ok := in.args.Int("terminated-pod-gc-threshold")
	if !ok || !v.Valid || n > 0 {
		return nil
	}
	return []problem{{flag: "terminated-pod-gc-threshold", message: fmt.Sprintf("%s: %s: the terminated-pod garbage collector is disabled", in.name, in.describe("terminated-pod-gc-threshold"))}}
})

// ControllerManagerProfiling (CIS 1.3.2).
var ControllerManagerProfiling = flagCheck(check.Meta{
	ID:        "controller-manager-profiling",
	Title:     "Controller manager profiling is enabled",
	Severity:  check.Low,
	Rationale: "The /debug/pprof endpoints reveal internals and cost CPU; they are on unless disabled.",
	Fix:       "Set --profiling=false.",
	Reads:     reads(kcm, "profiling"),
	Refs:      []check.Reference{check.CIS("1.3.2", "Ensure that the --profiling argument is set to false")},
}, kcm, boolMustBe("profiling", false, "/debug/pprof is served"))

// ControllerManagerServiceAccountCredentials (CIS 1.3.3).
var ControllerManagerServiceAccountCredentials = flagCheck(check.Meta{
	ID:       "controller-manager-service-account-credentials",
	Title:    "Controllers share the controller manager's own credentials",
	Severity: check.Medium,
	Rationale: "Without --use-service-account-credentials every controller acts with the controller manager's " +
		"broad identity instead of its own service account with only the rights it needs.",
	Fix:   "Set --use-service-account-credentials=true.",
	Reads: reads(kcm, "use-service-account-credentials"),
	Refs:  []check.Reference{check.CIS("1.3.3", "Ensure that the --use-service-account-credentials argument is set to true"), check.NSA(nsaAuthn)},
}, kcm, boolMustBe("use-service-account-credentials", true, "all controllers run with one shared, broad identity"))

// ControllerManagerServiceAccountPrivateKey (CIS 1.3.4).
var ControllerManagerServiceAccountPrivateKey = flagCheck(check.Meta{
	ID:       "controller-manager-service-account-private-key",
	Title:    "Controller manager has no service-account signing key",
	Severity: check.Low,
	Rationale: "Without --service-account-private-key-file the token controller cannot sign the tokens of " +
		"service-account token Secrets, and keys cannot be rotated on their own schedule.",
	Fix:   "Set --service-account-private-key-file to the private key matching the API server's --service-account-key-file.",
	Reads: reads(kcm, "service-account-private-key-file"),
	Refs:  []check.Reference{check.CIS("1.3.4", "Ensure that the --service-account-private-key-file argument is set as appropriate")},
}, kcm, mustSet("service-account token Secrets are not signed", "service-account-private-key-file"))

// ControllerManagerRootCAFile (CIS 1.3.5).
var ControllerManagerRootCAFile = flagCheck(check.Meta{
	ID:       "controller-manager-root-ca-file",
	Title:    "Controller manager does not publish an explicit root CA",
	Severity: check.Low,
	Rationale: "Pods verify the API server with the CA bundle the controller manager publishes; without " +
		"--root-ca-file it publishes the CA of its own kubeconfig, which may not be the one that signs the API server.",
	Fix:   "Set --root-ca-file to the CA bundle that signs the API server's serving certificate.",
	Reads: reads(kcm, "root-ca-file"),
	Refs:  []check.Reference{check.CIS("1.3.5", "Ensure that the --root-ca-file argument is set as appropriate")},
}, kcm, mustSet("Pods get the CA of the controller manager's kubeconfig", "root-ca-file"))

// ControllerManagerRotateKubeletServerCertificate (CIS 1.3.6).
var ControllerManagerRotateKubeletServerCertificate = flagCheck(check.Meta{
	ID:       "controller-manager-rotate-kubelet-server-certificate",
	Title:    "Controller manager disables kubelet serving certificate rotation",
	Severity: check.Low,
	Rationale: "With the RotateKubeletServerCertificate feature gate off, kubelets keep self-signed serving " +
		"certificates that the API server cannot verify.",
	Fix:   "Remove RotateKubeletServerCertificate=false from --feature-gates (it is on by default).",
	Reads: reads(kcm, "feature-gates"),
	Refs:  []check.Reference{check.CIS("1.3.6", "Ensure that the RotateKubeletServerCertificate argument is set to true")},
}, kcm, gateOff("RotateKubeletServerCertificate", "kubelet serving certificates are not rotated through the API"))

// gateOff reports a feature gate explicitly turned off.
func gateOff(gate, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		val, set, _ := in.args.Gate("feature-gates", gate)
		if !set || val {
			return nil
		}
		return []problem{{flag: "feature-gates", message: fmt.Sprintf("%s: --feature-gates sets %s=false: %s", in.name, gate, consequence)}}
	}
}

// ControllerManagerBindAddress (CIS 1.3.7).
var ControllerManagerBindAddress = flagCheck(check.Meta{
	ID:       "controller-manager-bind-address",
	Title:    "Controller manager listens on all interfaces",
	Severity: check.Low,
	Rationale: "The controller manager's secure port (health, metrics, debugging) needs no remote clients; " +
		"bound to every interface it is one more service exposed on the node's network (default 0.0.0.0).",
	Fix:   "Set --bind-address=127.0.0.1.",
	Reads: reads(kcm, "bind-address"),
	Refs:  []check.Reference{check.CIS("1.3.7", "Ensure that the --bind-address argument is set to 127.0.0.1"), check.NSA("Network separation and hardening")},
}, kcm, loopbackOnly("bind-address"))

// loopbackOnly reports a bind address that is not a loopback address.
func loopbackOnly(flag string) func(*instance) []problem {
	return func(in *instance) []problem {
		v := in.args.Get(flag)
		ip := net.ParseIP(strings.TrimSpace(v.Raw))
		if ip == nil || ip.IsLoopback() {
			return nil
		}
		what := "the node's address " + ip.String()
		if ip.IsUnspecified() {
			what = "every interface"
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: %s: the secure port listens on %s", in.name, in.describe(flag), what)}}
	}
}

func init() {
	check.Register(ControllerManagerTerminatedPodGC, ControllerManagerProfiling, ControllerManagerServiceAccountCredentials,
		ControllerManagerServiceAccountPrivateKey, ControllerManagerRootCAFile, ControllerManagerRotateKubeletServerCertificate,
		ControllerManagerBindAddress)
}
