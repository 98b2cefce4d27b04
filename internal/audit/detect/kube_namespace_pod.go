package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// podInKubeNamespace detects workloads started in kube-system or
// kube-public by someone other than the cluster itself (Falco: Pod Created
// in Kube Namespace).
//
// Reads: verb, objectRef (pods, and the workload kinds of apps and batch),
// user, the request body (pod template images, ownerReferences), the
// response body (a generated pod name), the authorization decision and
// response code.
//
// Fires on an authorized creation of a pod, Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job, CronJob or ReplicationController in
// kube-system or kube-public by an identity that is not the control plane,
// a kubelet (static pods) or one of Options.SystemUsers, unless every image
// is in Options.KubeSystemImages; a pod whose body was not logged fires
// too, its images unknown. A pod that a controller of the control plane
// creates fires when the creation of the workload it belongs to (its owner,
// and the owner's owner: Pod -> ReplicaSet -> Deployment) was not seen: the
// request body was not logged, the workload predates the log, or a custom
// controller made it. Once per workload: the rest of its pods, and pods of
// a workload whose creation was seen (and judged then), do not fire again.
func podInKubeNamespace() Rule {
	return Rule{
		Meta: Meta{
			ID:       "pod-in-kube-namespace",
			Title:    "Workload created in a system namespace",
			Severity: check.Medium,
			MITRE:    []Technique{tDeployContainer},
			Fires:    "a pod or workload created in kube-system or kube-public by a non-system identity, or a controller's pod whose workload's creation was not seen",
			Reads:    []string{"verb", "objectRef", "user", "requestObject", "responseObject", "annotations", "responseStatus.code"},
			Fix:      "Run add-ons in their own namespaces; list intended kube-system images in kubeSystemImages.",
		},
		New: func(o *Options) Machine {
			return &kubeNSMachine{seen: newBounded[string, struct{}](o.MaxTracked), owner: newBounded[string, string](o.MaxTracked),
				alerted: newBounded[string, struct{}](o.MaxTracked)}
		},
	}
}

type kubeNSMachine struct {
	// seen are the workloads ("ns/Kind/name") of the system namespaces
	// whose creation or change by someone other than a controller was seen
	// (and judged then).
	seen *bounded[string, struct{}]
	// owner maps a workload a controller created to its owner
	// (ReplicaSet -> Deployment, Job -> CronJob).
	owner *bounded[string, string]
	// alerted are the workloads already reported through one of their pods.
	alerted *bounded[string, struct{}]
}

// workloadKind is the Kind of a workload resource, or "".
func workloadKind(group, resource string) string {
	switch group + "/" + resource {
	case "apps/deployments":
		return "Deployment"
	case "apps/replicasets":
		return "ReplicaSet"
	case "apps/statefulsets":
		return "StatefulSet"
	case "apps/daemonsets":
		return "DaemonSet"
	case "batch/jobs":
		return "Job"
	case "batch/cronjobs":
		return "CronJob"
	case "/replicationcontrollers":
		return "ReplicationController"
	}
	return ""
}

func (m *kubeNSMachine) Observe(v *View) *Hit {
	ev := v.Event
	ns := ev.Namespace()
	if (ns != kubeSystem && ns != kubePublic) || !ev.Allowed() || ev.Subresource() != "" {
		return nil
	}
	if kind := workloadKind(ev.APIGroup(), ev.Resource()); kind != "" && writes(ev.Verb) {
		return m.workload(v, kind)
	}
	if ev.Is("", "pods") && ev.Verb == "create" {
		return m.pod(v)
	}
	return nil
}

// workload remembers a workload of a system namespace and judges its
// creation by a non-system identity.
func (m *kubeNSMachine) workload(v *View, kind string) *Hit {
	ev := v.Event
	w, ok := v.Workload()
	var meta *objectMeta
	if ok {
		meta = &w.Metadata
	}
	name := v.objectName(meta)
	key := ev.Namespace() + "/" + kind + "/" + name
	if isControlPlane(v.actor()) {
		// A controller's own workload (a Deployment's ReplicaSet, a
		// CronJob's Job): its pods are judged with its owner.
		if ok && len(w.Metadata.OwnerReferences) > 0 {
			o := w.Metadata.OwnerReferences[0]
			m.owner.set(key, ev.Namespace()+"/"+o.Kind+"/"+o.Name)
		}
		return nil
	}
	m.seen.set(key, struct{}{}) // judged here, now
	if ev.Verb != "create" || v.isSystem(v.actor()) || !ok || w.podSpec() == nil {
		return nil
	}
	cs := w.podSpec().containers()
	if allImagesIn(v.Opts.KubeSystemImages, cs) {
		return nil
	}
	return outcome(v, hit(ev.Resource()+" "+ev.Namespace()+"/"+name+" created in a system namespace",
		"images", strings.Join(images(cs), ",")), check.Medium)
}

// pod judges a pod created in a system namespace.
func (m *kubeNSMachine) pod(v *View) *Hit {
	ev := v.Event
	actor := v.actor()
	if isNode(actor) {
		return nil // a mirror pod of a static pod: from the node's files
	}
	p, ok := v.Pod()
	var meta *objectMeta
	var cs []*container
	if ok {
		meta, cs = &p.Metadata, p.Spec.containers()
	}
	name := v.objectName(meta)
	imgs := "unknown (the request body was not logged)"
	if ok {
		if allImagesIn(v.Opts.KubeSystemImages, cs) {
			return nil
		}
		imgs = strings.Join(images(cs), ",")
	}
	if !isControlPlane(actor) {
		if v.isSystem(actor) {
			return nil // Options.SystemUsers
		}
		return outcome(v, hit("pods "+ev.Namespace()+"/"+name+" created in a system namespace", "images", imgs), check.Medium)
	}
	// A controller made it: judged with its workload, unless nobody saw
	// the workload's creation.
	top, what := m.topOwner(ev.Namespace(), meta, name)
	if top == "" {
		return nil
	}
	if _, ok := m.seen.get(top); ok {
		return nil
	}
	if _, ok := m.alerted.get(top); ok {
		return nil
	}
	m.alerted.set(top, struct{}{})
	h := hit("pods "+ev.Namespace()+"/"+name+" created in a system namespace by "+actor.Username+" for "+what+
		", whose creation was not seen (its request body was not logged, it predates the log, or a custom controller made it)",
		"images", imgs, "owner", what)
	return outcome(v, h, check.Medium)
}

// topOwner follows a controller-made pod's owners up as far as the
// controllers' writes showed them, and returns the top one as a key and as
// Kind/name. Without an owner reference (the body was not logged), the
// generated name stands for the ReplicaSet it came from ("coredns-7d9f-"),
// or the Deployment when that ReplicaSet's owner is known.
func (m *kubeNSMachine) topOwner(ns string, meta *objectMeta, name string) (key, what string) {
	switch {
	case meta != nil && len(meta.OwnerReferences) > 0:
		o := meta.OwnerReferences[0]
		key = ns + "/" + o.Kind + "/" + o.Name
	case meta != nil && meta.GenerateName != "":
		key = ns + "/ReplicaSet/" + strings.TrimSuffix(meta.GenerateName, "-")
	case name != "":
		// A generated name seen only in the response: drop the random
		// suffix the API server added.
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		key = ns + "/ReplicaSet/" + name
	default:
		return "", ""
	}
	for range 3 { // Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob
		up, ok := m.owner.get(key)
		if !ok {
			break
		}
		key = up
	}
	_, what, _ = strings.Cut(key, "/") // ns/Kind/name -> Kind/name
	return key, what
}
