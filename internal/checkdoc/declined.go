package checkdoc

import "github.com/kubeward/kubeward/internal/check"

// DeclinedPeer is a check of another scanner that kubeward deliberately does
// not implement, with the reason, so that people switching find the answer
// instead of a gap.
type DeclinedPeer struct {
	Peer  check.Peer
	Title string // what the peer reports
	Why   string
}

// reliability is the reason for the peer checks about availability and
// style: kubeward judges security.
const reliability = "Reliability or style, not security: kubeward judges security, and leaves replicas, probes, disruption budgets, affinity and labelling conventions to tools made for them."

// Declined lists the peer checks kubeward does not adopt, by tool and id.
func Declined() []DeclinedPeer {
	return []DeclinedPeer{
		{check.Trivy("KSV102"), "Tiller (Helm 2) is deployed", "Helm 2 has been unsupported since 2020; a cluster that still runs Tiller shows it through rbac-cluster-admin-binding and rbac-workload-service-account (Tiller's account is cluster-admin), which judge the real risk."},
		{check.Trivy("KSV118"), "Default security context configured", "An empty securityContext is not a risk in itself; each field that matters has its own check (run-as-non-root, allow-privilege-escalation, capabilities-drop-all, read-only-root-filesystem, linux-hardening), which says what to set instead of asking for a block."},
		{check.Trivy("KSV038"), "Selector usage in network policies", "A policy's selectors are judged for what they select: netpol-policy-selects-no-pods and netpol-peer-matches-nothing compute it from the scan's pods instead of asking for a selector's presence."},
		{check.Kubescape("C-0005"), "API server insecure port is enabled", "kube-apiserver removed --insecure-port in 1.24; every version kubeward judges serves no insecure port, and kubernetes-version-unsupported reports older ones."},
		{check.Kubescape("C-0068"), "PSP enabled", "PodSecurityPolicy was removed in Kubernetes 1.25; namespace-pod-security-enforce judges its successor, Pod Security admission, and api-version-removed reports leftover PodSecurityPolicy objects."},
		{check.Kubescape("C-0026"), "Kubernetes CronJob", "Lists every CronJob as a persistence technique: an inventory, not a finding. The CronJob's pod spec gets every workload check."},
		{check.Kubescape("C-0062"), "Sudo in container entrypoint", "sudo only works with a setuid-root binary and privilege escalation allowed; allow-privilege-escalation and run-as-non-root report what makes it work, whatever the command line says."},
		{check.Kubescape("C-0073"), "Naked pods", reliability},
		{check.Kubescape("C-0076"), "Label usage for resources", reliability},
		{check.Kubescape("C-0077"), "K8s common labels usage", reliability},
		{check.Kubescape("C-0018"), "Configured readiness probe", reliability},
		{check.Kubescape("C-0056"), "Configured liveness probe", reliability},
		{check.Kubescape("C-0058"), "CVE-2021-25741 (subPath symlink)", "A kubelet version check for a 2021 fix: kubelet-version-skew and kubernetes-version-unsupported report kubelets that old."},
		{check.Kubescape("C-0079"), "CVE-2022-0185 (kernel)", "Judges node kernel versions, which manifests do not hold; a node-inventory concern, not a manifest check."},
		{check.Kubescape("C-0086"), "CVE-2022-0492 (cgroups)", "Judges node kernel versions, which manifests do not hold."},
		{check.Kubescape("C-0087"), "CVE-2022-23648 (containerd)", "Judges container runtime versions, which manifests do not hold."},
		{check.Kubescape("C-0081"), "CVE-2022-24348 (Argo CD)", "A vulnerable image version is an image vulnerability: kubeward's image facts match every image against advisories instead of one product's version by hand."},
		{check.Kubescape("C-0090"), "CVE-2022-39328 (Grafana)", "As C-0081: an image vulnerability, matched against advisories with the image facts."},
		{check.Kubescape("C-0091"), "CVE-2022-47633 (Kyverno)", "As C-0081: an image vulnerability, matched against advisories with the image facts."},
		{check.Polaris("deploymentMissingReplicas"), "Deployment has a single replica", reliability},
		{check.Polaris("livenessProbeMissing"), "Liveness probe missing", reliability},
		{check.Polaris("readinessProbeMissing"), "Readiness probe missing", reliability},
		{check.Polaris("missingPodDisruptionBudget"), "No PodDisruptionBudget", reliability},
		{check.Polaris("priorityClassNotSet"), "Priority class not set", reliability},
		{check.Polaris("topologySpreadConstraint"), "No topology spread constraint", reliability},
		{check.Polaris("metadataAndNameMismatched"), "Name and metadata label differ", reliability},
		{check.KubeLinter("no-anti-affinity"), "No pod anti-affinity", reliability},
		{check.KubeLinter("minimum-three-replicas"), "Fewer than three replicas", reliability},
		{check.KubeLinter("no-liveness-probe"), "No liveness probe", reliability},
		{check.KubeLinter("no-readiness-probe"), "No readiness probe", reliability},
		{check.KubeLinter("no-rolling-update-strategy"), "No rolling update strategy", reliability},
		{check.KubeLinter("dangling-service"), "Service selects no pods", reliability},
		{check.KubeLinter("mismatching-selector"), "Selector does not match the template", reliability},
		{check.KubeLinter("required-annotation-email"), "No owner email annotation", reliability},
		{check.KubeLinter("required-label-owner"), "No owner label", reliability},
		{check.KubeLinter("deprecated-service-account-field"), "Uses spec.serviceAccount", "A deprecated spelling, not a risk: kubeward reads both fields wherever it judges the service account (default-service-account, service-account-missing, the RBAC checks)."},
	}
}
