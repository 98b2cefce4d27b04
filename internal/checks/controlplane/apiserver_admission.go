package controlplane

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
)

// Admission plugins of kube-apiserver v1.37 that are on unless disabled
// (k/k pkg/kubeapiserver/options/plugins.go, DefaultOffAdmissionPlugins).
var defaultOnAdmission = map[string]bool{
	"NamespaceLifecycle": true, "LimitRanger": true, "ServiceAccount": true, "DefaultStorageClass": true,
	"PersistentVolumeClaimResize": true, "DefaultTolerationSeconds": true, "MutatingAdmissionWebhook": true,
	"ValidatingAdmissionWebhook": true, "ResourceQuota": true, "StorageObjectInUseProtection": true,
	"PodGroupProtection": true, "Priority": true, "TaintNodesByCondition": true, "RuntimeClass": true,
	"CertificateApproval": true, "CertificateSigning": true, "ClusterTrustBundleAttest": true,
	"CertificateSubjectRestriction": true, "DefaultIngressClass": true, "PodSecurity": true,
	"PodTopologyLabels": true, "MutatingAdmissionPolicy": true, "ValidatingAdmissionPolicy": true,
	"NodeDeclaredFeatureValidator": true, "PodResizeValidator": true,
}

// admission is the API server's effective admission plugin set and the
// flag that decides about a plugin.
type admission struct {
	enabled map[string]bool
	legacy  bool // --admission-control (deprecated) lists exactly the enabled plugins
}

// admissionOf computes the plugins the API server runs, as
// k8s.io/apiserver pkg/server/options/admission.go enabledPluginNames does:
// (default-off ∪ --disable-admission-plugins) − --enable-admission-plugins
// are off, the rest of the registered plugins on. The deprecated
// --admission-control enables exactly its list (k/k
// pkg/kubeapiserver/options/admission.go computePluginNames).
func admissionOf(in *instance) admission {
	a := admission{enabled: map[string]bool{}}
	if in.args.Has("admission-control") {
		a.legacy = true
		for _, p := range in.args.Get("admission-control").List {
			a.enabled[p] = true
		}
		return a
	}
	enable := map[string]bool{}
	for _, p := range in.args.Get("enable-admission-plugins").List {
		enable[p] = true
	}
	for p := range defaultOnAdmission {
		a.enabled[p] = true
	}
	for _, p := range in.args.Get("disable-admission-plugins").List {
		if !enable[p] {
			delete(a.enabled, p)
		}
	}
	for p := range enable {
		a.enabled[p] = true
	}
	return a
}

// requirePlugin reports a plugin that is not enabled, at the flag that
// would enable it (or that disabled it).
func requirePlugin(plugin, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		a := admissionOf(in)
		if a.enabled[plugin] {
			return nil
		}
		flag := "enable-admission-plugins"
		switch {
		case a.legacy:
			flag = "admission-control"
		case defaultOnAdmission[plugin]:
			flag = "disable-admission-plugins"
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: admission plugin %s is not enabled (%s): %s", in.name, plugin, in.describe(flag), consequence)}}
	}
}

// forbidPlugin reports a plugin that is enabled.
func forbidPlugin(plugin, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		a := admissionOf(in)
		if !a.enabled[plugin] {
			return nil
		}
		flag := "enable-admission-plugins"
		if a.legacy {
			flag = "admission-control"
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: admission plugin %s is enabled (%s): %s", in.name, plugin, in.describe(flag), consequence)}}
	}
}

func admissionReads() []string {
	return reads(apiserver, "enable-admission-plugins", "disable-admission-plugins", "admission-control")
}

const nsaAdmission = "Kubernetes Pod security"

// APIServerAdmissionDenyServiceExternalIPs (CIS 1.2.3).
var APIServerAdmissionDenyServiceExternalIPs = flagCheck(check.Meta{
	ID:       "apiserver-admission-deny-service-external-ips",
	Title:    "API server lets Services set externalIPs",
	Severity: check.Low,
	Rationale: "Anyone who may create a Service can set spec.externalIPs to intercept traffic to any IP address " +
		"(CVE-2020-8554); the DenyServiceExternalIPs plugin refuses new external IPs.",
	Fix:   "Add DenyServiceExternalIPs to --enable-admission-plugins (unless the cluster relies on externalIPs).",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.3", "Ensure that the --DenyServiceExternalIPs is set"), check.NSA(nsaAdmission)},
}, apiserver, requirePlugin("DenyServiceExternalIPs", "Services may claim any external IP (CVE-2020-8554)"))

// APIServerAdmissionEventRateLimit (CIS 1.2.9).
var APIServerAdmissionEventRateLimit = flagCheck(check.Meta{
	ID:        "apiserver-admission-event-rate-limit",
	Title:     "API server does not limit the rate of Events",
	Severity:  check.Low,
	Rationale: "Without EventRateLimit one noisy or hostile client can flood the API server and etcd with Events.",
	Fix: "Add EventRateLimit to --enable-admission-plugins and configure its limits in the file given to " +
		"--admission-control-config-file.",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.9", "Ensure that the admission control plugin EventRateLimit is set")},
}, apiserver, requirePlugin("EventRateLimit", "Events are not rate-limited"))

// APIServerAdmissionAlwaysAdmit (CIS 1.2.10).
var APIServerAdmissionAlwaysAdmit = flagCheck(check.Meta{
	ID:       "apiserver-admission-always-admit",
	Title:    "API server enables the AlwaysAdmit admission plugin",
	Severity: check.Low,
	Rationale: "AlwaysAdmit is deprecated and does nothing (the other plugins still run), but it is the mark of " +
		"an admission setup copied from long ago that may lack the plugins a cluster needs.",
	Fix:   "Remove AlwaysAdmit from --enable-admission-plugins and review the enabled plugins.",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.10", "Ensure that the admission control plugin AlwaysAdmit is not set")},
}, apiserver, forbidPlugin("AlwaysAdmit", "a deprecated plugin that admits everything it is asked about"))

// APIServerAdmissionAlwaysPullImages (CIS 1.2.11).
var APIServerAdmissionAlwaysPullImages = flagCheck(check.Meta{
	ID:       "apiserver-admission-always-pull-images",
	Title:    "API server does not force image pulls",
	Severity: check.Low,
	Rationale: "Without AlwaysPullImages a Pod can run a private image already cached on its node without " +
		"having the credentials to pull it.",
	Fix:   "Add AlwaysPullImages to --enable-admission-plugins on multi-tenant clusters.",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.11", "Ensure that the admission control plugin AlwaysPullImages is set")},
}, apiserver, requirePlugin("AlwaysPullImages", "cached private images run without pull credentials"))

// APIServerAdmissionServiceAccount (CIS 1.2.12).
var APIServerAdmissionServiceAccount = flagCheck(check.Meta{
	ID:       "apiserver-admission-service-account",
	Title:    "API server disables the ServiceAccount admission plugin",
	Severity: check.Medium,
	Rationale: "The ServiceAccount plugin makes Pods use ServiceAccounts that exist and mounts their tokens in " +
		"a controlled way; disabling it lets Pods name any account.",
	Fix:   "Remove ServiceAccount from --disable-admission-plugins.",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.12", "Ensure that the admission control plugin ServiceAccount is set"), check.NSA(nsaAdmission)},
}, apiserver, requirePlugin("ServiceAccount", "Pods are not tied to existing ServiceAccounts"))

// APIServerAdmissionNamespaceLifecycle (CIS 1.2.13).
var APIServerAdmissionNamespaceLifecycle = flagCheck(check.Meta{
	ID:       "apiserver-admission-namespace-lifecycle",
	Title:    "API server disables the NamespaceLifecycle admission plugin",
	Severity: check.Low,
	Rationale: "NamespaceLifecycle refuses objects in namespaces that do not exist or are being deleted, and " +
		"protects default, kube-system and kube-public from deletion.",
	Fix:   "Remove NamespaceLifecycle from --disable-admission-plugins.",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.13", "Ensure that the admission control plugin NamespaceLifecycle is set")},
}, apiserver, requirePlugin("NamespaceLifecycle", "objects can be created in terminating namespaces and system namespaces deleted"))

// APIServerAdmissionNodeRestriction (CIS 1.2.14).
var APIServerAdmissionNodeRestriction = flagCheck(check.Meta{
	ID:       "apiserver-admission-node-restriction",
	Title:    "API server does not restrict what kubelets may modify",
	Severity: check.High,
	Rationale: "Without NodeRestriction a kubelet may modify other Nodes and Pods bound to other nodes, and set " +
		"labels that steer workloads: one compromised node spreads to the others.",
	Fix:   "Add NodeRestriction to --enable-admission-plugins (with Node in --authorization-mode).",
	Reads: admissionReads(),
	Refs:  []check.Reference{check.CIS("1.2.14", "Ensure that the admission control plugin NodeRestriction is set"), check.NSA(nsaAdmission)},
}, apiserver, requirePlugin("NodeRestriction", "kubelets may modify other nodes and their Pods"))

func init() {
	check.Register(APIServerAdmissionDenyServiceExternalIPs, APIServerAdmissionEventRateLimit,
		APIServerAdmissionAlwaysAdmit, APIServerAdmissionAlwaysPullImages, APIServerAdmissionServiceAccount,
		APIServerAdmissionNamespaceLifecycle, APIServerAdmissionNodeRestriction)
}
