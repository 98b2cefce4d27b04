package inventory

import "k8s.io/apimachinery/pkg/runtime/schema"

// clusterScoped lists the built-in kinds that have no namespace. Manifests
// often omit the namespace of namespaced objects, so scope cannot be read from
// the object itself.
var clusterScoped = map[schema.GroupKind]bool{
	{Kind: "Namespace"}:        true,
	{Kind: "Node"}:             true,
	{Kind: "PersistentVolume"}: true,
	{Kind: "ComponentStatus"}:  true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "policy", Kind: "PodSecurityPolicy"}:                                      true,
}

// IsClusterScoped reports whether a built-in kind is cluster-scoped.
func IsClusterScoped(gk schema.GroupKind) bool { return clusterScoped[gk] }

// Group kinds the checks refer to often.
var (
	KindPod                   = schema.GroupKind{Kind: "Pod"}
	KindPodTemplate           = schema.GroupKind{Kind: "PodTemplate"}
	KindReplicationController = schema.GroupKind{Kind: "ReplicationController"}
	KindService               = schema.GroupKind{Kind: "Service"}
	KindSecret                = schema.GroupKind{Kind: "Secret"}
	KindConfigMap             = schema.GroupKind{Kind: "ConfigMap"}
	KindNamespace             = schema.GroupKind{Kind: "Namespace"}
	KindServiceAccount        = schema.GroupKind{Kind: "ServiceAccount"}
	KindNode                  = schema.GroupKind{Kind: "Node"}
	KindDeployment            = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	KindReplicaSet            = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	KindStatefulSet           = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	KindDaemonSet             = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	KindJob                   = schema.GroupKind{Group: "batch", Kind: "Job"}
	KindCronJob               = schema.GroupKind{Group: "batch", Kind: "CronJob"}
	KindIngress               = schema.GroupKind{Group: "networking.k8s.io", Kind: "Ingress"}
	KindNetworkPolicy         = schema.GroupKind{Group: "networking.k8s.io", Kind: "NetworkPolicy"}
	KindRole                  = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "Role"}
	KindClusterRole           = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}
	KindRoleBinding           = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}
	KindClusterRoleBinding    = schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}
)

// WorkloadKinds are the kinds that carry a pod spec, built-in and custom
// (customWorkloads); pod checks apply to all.
var WorkloadKinds = append([]schema.GroupKind{
	KindPod, KindPodTemplate, KindReplicationController, KindDeployment,
	KindReplicaSet, KindStatefulSet, KindDaemonSet, KindJob, KindCronJob,
}, customWorkloadKinds()...)
