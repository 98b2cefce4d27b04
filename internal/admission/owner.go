package admission

import (
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A built-in controller makes objects from a template the webhook judged
// when the owner was admitted: ReplicaSets from Deployments, Pods from
// ReplicaSets. A denial of such an object reaches no person (it becomes a
// FailedCreate event), and its suppressions live on the owner, so it is
// judged through the owner, as the cluster scan judges it, once.
//
// The owner reference alone proves nothing: anyone who may create Pods can
// write one. The pair must also come from the controller manager, under its
// own identity or the controller's service account
// (--use-service-account-credentials, kubeadm's default).
type controlled struct {
	owner      schema.GroupKind
	controller string // the controller's service account in kube-system
}

var controllers = map[schema.GroupKind][]controlled{
	{Kind: "Pod"}: {
		{schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}, "replicaset-controller"},
		{schema.GroupKind{Kind: "ReplicationController"}, "replication-controller"},
		{schema.GroupKind{Group: "apps", Kind: "StatefulSet"}, "statefulset-controller"},
		{schema.GroupKind{Group: "apps", Kind: "DaemonSet"}, "daemon-set-controller"},
		{schema.GroupKind{Group: "batch", Kind: "Job"}, "job-controller"},
	},
	{Group: "apps", Kind: "ReplicaSet"}: {{schema.GroupKind{Group: "apps", Kind: "Deployment"}, "deployment-controller"}},
	{Group: "batch", Kind: "Job"}:       {{schema.GroupKind{Group: "batch", Kind: "CronJob"}, "cronjob-controller"}},
}

// ControllerManagerUser is kube-controller-manager's own identity.
const ControllerManagerUser = "system:kube-controller-manager"

// madeByController reports whether obj was made by the built-in controller
// of its controlling owner, and names the owner.
func madeByController(gk schema.GroupKind, meta metav1.Object, user authnv1.UserInfo) (owner string, ok bool) {
	ref := metav1.GetControllerOfNoCopy(meta)
	if ref == nil {
		return "", false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return "", false
	}
	for _, c := range controllers[gk] {
		if c.owner != gv.WithKind(ref.Kind).GroupKind() {
			continue
		}
		if user.Username == ControllerManagerUser || user.Username == "system:serviceaccount:kube-system:"+c.controller {
			return ref.Kind + "/" + ref.Name, true
		}
	}
	return "", false
}
