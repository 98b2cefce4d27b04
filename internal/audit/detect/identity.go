package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/audit/event"
)

// Well-known identities and groups.
const (
	groupMasters         = "system:masters"
	groupNodes           = "system:nodes"
	userAnonymous        = "system:anonymous"
	userAPIServer        = "system:apiserver"
	userControllerMgr    = "system:kube-controller-manager"
	userScheduler        = "system:kube-scheduler"
	kubeSystem           = "kube-system"
	kubePublic           = "kube-public"
	kubeNodeLease        = "kube-node-lease"
	serviceAccountPrefix = event.ServiceAccountPrefix
)

// isControllerSA reports the service accounts kube-controller-manager runs
// its controllers as (--use-service-account-credentials), in kube-system.
func isControllerSA(name string) bool {
	switch name {
	case "attachdetach-controller", "bootstrap-signer", "certificate-controller",
		"clusterrole-aggregation-controller", "cronjob-controller", "daemon-set-controller",
		"deployment-controller", "disruption-controller", "endpoint-controller",
		"endpointslice-controller", "endpointslicemirroring-controller",
		"ephemeral-volume-controller", "expand-controller", "generic-garbage-collector",
		"horizontal-pod-autoscaler", "job-controller", "legacy-service-account-token-cleaner",
		"namespace-controller", "node-controller", "persistent-volume-binder",
		"pod-garbage-collector", "pv-protection-controller", "pvc-protection-controller",
		"replicaset-controller", "replication-controller", "resourcequota-controller",
		"root-ca-cert-publisher", "route-controller", "service-account-controller",
		"service-cidrs-controller", "service-controller", "statefulset-controller",
		"token-cleaner", "ttl-after-finished-controller", "ttl-controller",
		"validatingadmissionpolicy-status-controller", "selinux-warning-controller",
		"volumeattributesclass-protection-controller", "tainteviction-controller",
		"node-ipam-controller", "cloud-node-lifecycle-controller":
		return true
	}
	return false
}

// isNode reports a kubelet's identity.
func isNode(u *event.UserInfo) bool {
	return strings.HasPrefix(u.Username, "system:node:") && u.InGroup(groupNodes)
}

// isControlPlane reports the API server, controller manager and scheduler,
// and the controller manager's per-controller service accounts.
func isControlPlane(u *event.UserInfo) bool {
	switch u.Username {
	case userAPIServer, userControllerMgr, userScheduler, "system:cloud-controller-manager":
		return true
	}
	ns, name, ok := event.ServiceAccount(u.Username)
	return ok && ns == kubeSystem && isControllerSA(name)
}

// isSystem reports identities of the cluster itself: the control plane,
// kubelets and configured system users.
func (v *View) isSystem(u *event.UserInfo) bool {
	return isControlPlane(u) || isNode(u) || v.Opts.SystemUsers.Match(u.Username)
}

// actor is the identity the request was authenticated as.
func (v *View) actor() *event.UserInfo { return &v.Event.User }

// effective is the identity the request was authorized as: the impersonated
// user when there is one.
func (v *View) effective() *event.UserInfo {
	if v.Event.ImpersonatedUser != nil {
		return v.Event.ImpersonatedUser
	}
	return &v.Event.User
}
