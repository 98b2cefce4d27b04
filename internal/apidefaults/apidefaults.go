// Package apidefaults applies to an object what the API server fills in
// before validating admission policies see it: the defaulting of its API
// version (the API server's own defaulters, copied from k8s.io/kubernetes
// into upstream/ and kept current by TestUpstreamCopyIsCurrent), and what
// the admission plugins a default kube-apiserver runs add to a new Pod
// (ServiceAccount: the service account and its token volume;
// DefaultTolerationSeconds: the not-ready and unreachable tolerations;
// Priority: the priority of a pod without a class).
//
// TestDefaultingMatchesAPIServer compares the result with what a real
// kube-apiserver returns for server-side dry-run creates of the same
// objects.
package apidefaults

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	appsv1api "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1api "k8s.io/api/scheduling/v1"
	storagev1api "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	appsv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/apps/v1"
	autoscalingv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/autoscaling/v1"
	autoscalingv2 "github.com/kubeward/kubeward/internal/apidefaults/upstream/autoscaling/v2"
	batchv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/batch/v1"
	apicorev1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/core/v1"
	discoveryv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/discovery/v1"
	networkingv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/networking/v1"
	policyv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/policy/v1"
	rbacv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/rbac/v1"
	schedulingv1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/scheduling/v1"
	storagev1 "github.com/kubeward/kubeward/internal/apidefaults/upstream/storage/v1"
)

// defaulters is a scheme holding only the defaulting functions.
var defaulters = sync.OnceValues(func() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, register := range []func(*runtime.Scheme) error{
		apicorev1.RegisterDefaults, appsv1.RegisterDefaults, batchv1.RegisterDefaults, networkingv1.RegisterDefaults,
		policyv1.RegisterDefaults, rbacv1.RegisterDefaults, storagev1.RegisterDefaults, autoscalingv1.RegisterDefaults,
		autoscalingv2.RegisterDefaults, schedulingv1.RegisterDefaults, discoveryv1.RegisterDefaults,
	} {
		if err := register(s); err != nil {
			return nil, fmt.Errorf("registering the API server's defaulters: %w", err)
		}
	}
	return s, nil
})

// Options describe the cluster the object is created in.
type Options struct {
	// ServiceAccounts are the service accounts that exist, by
	// "namespace/name"; one not listed is taken to exist with
	// automountServiceAccountToken unset (the "default" account every
	// namespace has).
	ServiceAccounts map[string]*corev1.ServiceAccount
	// PriorityClasses are the PriorityClasses besides the built-in
	// system-cluster-critical and system-node-critical, by name.
	PriorityClasses map[string]*schedulingv1api.PriorityClass
	// TokenVolumeSuffix names the service account token volume
	// (kube-api-access-SUFFIX); the API server draws five random
	// characters.
	TokenVolumeSuffix string
}

// Default applies, in place, the defaulting of obj's API version (nothing
// for a kind that has none, or that the copies do not cover) and, for a
// CREATE in namespace ns, what the create path adds (see created).
func Default(obj runtime.Object, ns string, create bool, o Options) error {
	s, err := defaulters()
	if err != nil {
		return err
	}
	s.Default(obj)
	if create {
		created(obj, ns, o)
	}
	return nil
}

// Convert applies, in place, what reading an object into the API server's
// internal version and back changes, whether or not defaulting is
// modelled: a Secret's stringData merged into data, and a StatefulSet's
// claim templates given their apiVersion and kind.
func Convert(obj runtime.Object) {
	switch x := obj.(type) {
	case *corev1.Secret:
		if len(x.StringData) == 0 {
			return
		}
		if x.Data == nil {
			x.Data = map[string][]byte{}
		}
		for k, v := range x.StringData {
			x.Data[k] = []byte(v)
		}
		x.StringData = nil
	case *appsv1api.StatefulSet:
		for i := range x.Spec.VolumeClaimTemplates {
			x.Spec.VolumeClaimTemplates[i].APIVersion, x.Spec.VolumeClaimTemplates[i].Kind = "v1", "PersistentVolumeClaim"
		}
	}
}

// created is what the create path adds besides defaulting, for the kinds
// where it shows in the object a policy sees: mutating admission
// (ServiceAccount, DefaultTolerationSeconds and Priority on pods,
// StorageObjectInUseProtection on volumes and claims), the registries'
// PrepareForCreate (a namespace's kubernetes finalizer, a DaemonSet's
// template generation, a claim's data source in both fields).
func created(obj runtime.Object, ns string, o Options) {
	switch x := obj.(type) {
	case *corev1.Pod:
		admitPod(x, ns, o)
	case *corev1.PersistentVolumeClaim:
		addFinalizer(&x.ObjectMeta, "kubernetes.io/pvc-protection")
		normalizeDataSources(&x.Spec)
	case *storagev1api.VolumeAttributesClass:
		addFinalizer(&x.ObjectMeta, "kubernetes.io/vac-protection")
	case *corev1.PersistentVolume:
		addFinalizer(&x.ObjectMeta, "kubernetes.io/pv-protection")
	case *corev1.Namespace:
		if !slices.Contains(x.Spec.Finalizers, corev1.FinalizerKubernetes) {
			x.Spec.Finalizers = append(x.Spec.Finalizers, corev1.FinalizerKubernetes)
		}
	case *appsv1api.DaemonSet:
		if g, err := strconv.ParseInt(x.Annotations[appsv1api.DeprecatedTemplateGeneration], 10, 64); err != nil || g < 1 {
			if x.Annotations == nil {
				x.Annotations = map[string]string{}
			}
			x.Annotations[appsv1api.DeprecatedTemplateGeneration] = "1"
		}
	}
}

// normalizeDataSources is pkg/api/persistentvolumeclaim's
// NormalizeDataSources: the old and the new data source field hold the
// same reference.
func normalizeDataSources(spec *corev1.PersistentVolumeClaimSpec) {
	switch {
	case spec.DataSource != nil && spec.DataSourceRef == nil:
		spec.DataSourceRef = &corev1.TypedObjectReference{Kind: spec.DataSource.Kind, Name: spec.DataSource.Name}
		if g := spec.DataSource.APIGroup; g != nil {
			spec.DataSourceRef.APIGroup = ptr.To(*g)
		}
	case spec.DataSourceRef != nil && spec.DataSource == nil && (spec.DataSourceRef.Namespace == nil || *spec.DataSourceRef.Namespace == ""):
		spec.DataSource = &corev1.TypedLocalObjectReference{Kind: spec.DataSourceRef.Kind, Name: spec.DataSourceRef.Name}
		if g := spec.DataSourceRef.APIGroup; g != nil {
			spec.DataSource.APIGroup = ptr.To(*g)
		}
	}
}

func addFinalizer(m *metav1.ObjectMeta, f string) {
	if !slices.Contains(m.Finalizers, f) {
		m.Finalizers = append(m.Finalizers, f)
	}
}

// admitPod is what the ServiceAccount, DefaultTolerationSeconds and
// Priority admission plugins (k8s.io/kubernetes/plugin/pkg/admission,
// v1.37) do to a new pod, on the versioned type.
func admitPod(pod *corev1.Pod, ns string, o Options) {
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return // ServiceAccount leaves mirror pods alone
	}
	// serviceaccount: the default account, its token volume, its image
	// pull secrets.
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = "default"
		pod.Spec.DeprecatedServiceAccount = "default" //nolint:staticcheck // kept in sync upstream
	}
	sa := o.ServiceAccounts[ns+"/"+pod.Spec.ServiceAccountName]
	if sa == nil {
		sa = &corev1.ServiceAccount{}
	}
	automount := true
	switch {
	case pod.Spec.AutomountServiceAccountToken != nil:
		automount = *pod.Spec.AutomountServiceAccountToken
	case sa.AutomountServiceAccountToken != nil:
		automount = *sa.AutomountServiceAccountToken
	}
	if automount {
		mountToken(pod, o.TokenVolumeSuffix)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 && len(sa.ImagePullSecrets) > 0 {
		pod.Spec.ImagePullSecrets = make([]corev1.LocalObjectReference, len(sa.ImagePullSecrets))
		for i := range sa.ImagePullSecrets {
			pod.Spec.ImagePullSecrets[i].Name = sa.ImagePullSecrets[i].Name
		}
	}
	// defaulttolerationseconds: tolerate not-ready and unreachable nodes
	// for 300 s.
	notReady, unreachable := false, false
	for _, t := range pod.Spec.Tolerations {
		anyEffect := t.Effect == corev1.TaintEffectNoExecute || t.Effect == ""
		notReady = notReady || (t.Key == corev1.TaintNodeNotReady || t.Key == "") && anyEffect
		unreachable = unreachable || (t.Key == corev1.TaintNodeUnreachable || t.Key == "") && anyEffect
	}
	for _, add := range []struct {
		key  string
		need bool
	}{{corev1.TaintNodeNotReady, !notReady}, {corev1.TaintNodeUnreachable, !unreachable}} {
		if add.need {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{Key: add.key, Operator: corev1.TolerationOpExists,
				Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)})
		}
	}
	// priority: the value of the pod's PriorityClass, or 0 (with
	// PreemptLowerPriority) when it names none and none is the global
	// default.
	if pc := priorityClass(pod.Spec.PriorityClassName, o); pc != nil {
		if pod.Spec.PriorityClassName == "" && pc.GlobalDefault {
			pod.Spec.PriorityClassName = pc.Name
		}
		pod.Spec.Priority = ptr.To(pc.Value)
		// The API server stores a class defaulted (scheduling/v1's
		// SetDefaults_PriorityClass): one given as written without a
		// policy preempts lower priorities.
		policy := corev1.PreemptLowerPriority
		if pc.PreemptionPolicy != nil {
			policy = *pc.PreemptionPolicy
		}
		pod.Spec.PreemptionPolicy = &policy
	}
}

// priorityClass is the class the Priority plugin resolves: the named one
// (nil when unknown: the API server would refuse the pod), or the global
// default (the lowest of several; of equal ones, where the plugin takes
// whichever its cache lists first, the first by name), or the built-in
// "no class" of priority 0.
func priorityClass(name string, o Options) *schedulingv1api.PriorityClass {
	builtin := map[string]int32{"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
	if name != "" {
		if v, ok := builtin[name]; ok {
			return &schedulingv1api.PriorityClass{Value: v}
		}
		return o.PriorityClasses[name]
	}
	var def *schedulingv1api.PriorityClass
	for _, pc := range o.PriorityClasses {
		if pc.GlobalDefault && (def == nil || pc.Value < def.Value || pc.Value == def.Value && pc.Name < def.Name) {
			def = pc
		}
	}
	if def != nil {
		return def
	}
	return &schedulingv1api.PriorityClass{Value: 0}
}

// tokenMountPath is where the ServiceAccount plugin mounts the token.
const tokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// mountToken is the ServiceAccount plugin's mountServiceAccountToken.
func mountToken(pod *corev1.Pod, suffix string) {
	name := ""
	has := false
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, "kube-api-access-") {
			name, has = v.Name, true
			break
		}
	}
	if name == "" {
		if suffix == "" {
			suffix = "kwtst"
		}
		name = "kube-api-access-" + suffix
	}
	mount := corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: tokenMountPath}
	needed := false
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			mounted := false
			for _, m := range cs[i].VolumeMounts {
				if m.MountPath == tokenMountPath {
					mounted = true
					break
				}
			}
			if !mounted {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, mount)
				needed = true
			}
		}
	}
	if !has && needed {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: tokenVolumeSource()}})
	}
}

// tokenVolumeSource is the plugin's TokenVolumeSource.
func tokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To(corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
}
