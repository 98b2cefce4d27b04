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
// user, the request body (pod template images), the authorization decision
// and response code.
//
// Fires on an authorized creation of a pod, Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job, CronJob or ReplicationController in
// kube-system or kube-public by an identity that is not the control plane,
// a kubelet (static pods) or one of Options.SystemUsers, unless every image
// is in Options.KubeSystemImages. Pods that controllers create for those
// workloads are the controllers' doing and do not fire again.
func podInKubeNamespace() Rule {
	return Rule{
		Meta: Meta{
			ID:       "pod-in-kube-namespace",
			Title:    "Workload created in a system namespace",
			Severity: check.Medium,
			MITRE:    []Technique{tDeployContainer},
			Fires:    "a pod or workload created in kube-system or kube-public by a non-system identity",
			Reads:    []string{"verb", "objectRef", "user", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Run add-ons in their own namespaces; list intended kube-system images in kubeSystemImages.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			ns := ev.Namespace()
			if ev.Verb != "create" || (ns != kubeSystem && ns != kubePublic) || !ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			var cs []*container
			var name string
			switch {
			case ev.Is("", "pods"):
				p, ok := v.Pod()
				if !ok {
					return nil
				}
				cs, name = p.Spec.containers(), v.objectName(&p.Metadata)
			case isWorkload(ev.APIGroup(), ev.Resource()) && ev.Subresource() == "":
				w, ok := v.Workload()
				if !ok || w.podSpec() == nil {
					return nil
				}
				cs, name = w.podSpec().containers(), v.objectName(&w.Metadata)
			default:
				return nil
			}
			if allImagesIn(v.Opts.KubeSystemImages, cs) {
				return nil
			}
			return outcome(v, hit(ev.Resource()+" "+ns+"/"+name+" created in a system namespace",
				"images", strings.Join(images(cs), ",")), check.Medium)
		},
	}
}

// isWorkload reports the resources whose objects hold a pod template.
func isWorkload(group, resource string) bool {
	switch group {
	case "apps":
		return resource == "deployments" || resource == "replicasets" || resource == "statefulsets" || resource == "daemonsets"
	case "batch":
		return resource == "jobs" || resource == "cronjobs"
	case "":
		return resource == "replicationcontrollers"
	}
	return false
}
