package detect

import (
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/check"
)

func createPod(user, spec string) *audittest.E {
	return ev(user, "create").On("", "pods", "dev", "p").Req(pod(spec))
}

func TestPrivilegedPod(t *testing.T) {
	priv := `{"containers":[{"name":"app","image":"app:1"},{"name":"agent","image":"docker.io/calico/node:v3","securityContext":{"privileged":true}}]}`
	initPriv := `{"initContainers":[{"name":"setup","image":"busybox","securityContext":{"privileged":true}}],"containers":[{"name":"app","image":"app"}]}`
	runRule(t, "privileged-pod", []ruleCase{
		{name: "privileged container", events: []*audittest.E{createPod(alice, priv)}, fire: []int{0}, sev: check.High, detail: [2]string{"containers", "agent"}},
		{name: "privileged init container", events: []*audittest.E{createPod(alice, initPriv)}, fire: []int{0}, detail: [2]string{"containers", "setup"}},
		{name: "privileged false", events: []*audittest.E{createPod(alice, `{"containers":[{"name":"a","image":"a","securityContext":{"privileged":false}}]}`)}},
		{name: "plain pod", events: []*audittest.E{createPod(alice, plainSpec)}},
		{name: "exempt image (with Docker Hub normalisation)", events: []*audittest.E{createPod(alice, priv)},
			opts: func(o *Options) { o.PrivilegedImages = Patterns{"calico/node"} }},
		{name: "controller-created pod names its owner", events: []*audittest.E{ev(rsCtrl, "create").On("", "pods", "dev", "").
			Req(`{"metadata":{"generateName":"web-7d9f-","ownerReferences":[{"kind":"ReplicaSet","name":"web-7d9f"}]},"spec":` + priv + `}`)},
			fire: []int{0}, detail: [2]string{"owner", "ReplicaSet/web-7d9f"}},
		{name: "generated name from the response", events: []*audittest.E{ev(rsCtrl, "create").On("", "pods", "dev", "").
			Req(`{"metadata":{"generateName":"web-7d9f-"},"spec":` + priv + `}`).Resp(`{"metadata":{"name":"web-7d9f-x2x9z","generateName":"web-7d9f-"}}`)},
			fire: []int{0}, detail: [2]string{"", "dev/web-7d9f-x2x9z"}},
		{name: "rejected by admission is low", events: []*audittest.E{createPod(alice, priv).Code(403).Groups("system:authenticated")},
			opts: nil, fire: nil},
		{name: "admission rejection after authorization", events: []*audittest.E{admissionRejected(createPod(alice, priv))}, fire: []int{0}, sev: check.Low},
		{name: "privileged ephemeral container", events: []*audittest.E{ev(alice, "patch").On("", "pods/ephemeralcontainers", "dev", "p").
			Req(pod(`{"containers":[{"name":"app","image":"a","securityContext":{"privileged":true}}],"ephemeralContainers":[{"name":"dbg","image":"busybox","securityContext":{"privileged":true}}]}`))},
			fire: []int{0}, detail: [2]string{"containers", "dbg"}},
		{name: "metadata-level event has no body", events: []*audittest.E{ev(alice, "create").On("", "pods", "dev", "p")}},
	})
}

// admissionRejected marks an event authorized but rejected by admission
// (what Pod Security admission does).
func admissionRejected(e *audittest.E) *audittest.E {
	e.Code(403)
	e.Annotations["authorization.k8s.io/decision"] = "allow"
	e.Annotations["pod-security.kubernetes.io/enforce-policy"] = "baseline:latest"
	return e
}

func TestHostNamespacePods(t *testing.T) {
	runRule(t, "host-network-pod", []ruleCase{
		{name: "hostNetwork", events: []*audittest.E{createPod(alice, `{"hostNetwork":true,"containers":[{"name":"a","image":"a"}]}`)}, fire: []int{0}, sev: check.Medium},
		{name: "exempt image", events: []*audittest.E{createPod(alice, `{"hostNetwork":true,"containers":[{"name":"a","image":"registry.k8s.io/kube-proxy:v1.37.2"}]}`)},
			opts: func(o *Options) { o.PrivilegedImages = Patterns{"registry.k8s.io/kube-proxy"} }},
		{name: "not set", events: []*audittest.E{createPod(alice, plainSpec)}},
		{name: "pod update is not creation", events: []*audittest.E{ev(alice, "update").On("", "pods", "dev", "p").Req(pod(`{"hostNetwork":true,"containers":[]}`))}},
	})
	runRule(t, "host-pid-pod", []ruleCase{
		{name: "hostPID", events: []*audittest.E{createPod(alice, `{"hostPID":true,"containers":[{"name":"a","image":"a"}]}`)}, fire: []int{0}, sev: check.High},
		{name: "hostNetwork only", events: []*audittest.E{createPod(alice, `{"hostNetwork":true,"containers":[{"name":"a","image":"a"}]}`)}},
	})
	runRule(t, "host-ipc-pod", []ruleCase{
		{name: "hostIPC", events: []*audittest.E{createPod(alice, `{"hostIPC":true,"containers":[{"name":"a","image":"a"}]}`)}, fire: []int{0}},
		{name: "not set", events: []*audittest.E{createPod(alice, plainSpec)}},
	})
}

func TestSensitiveMountPod(t *testing.T) {
	vol := func(p string) string {
		return `{"volumes":[{"name":"v","hostPath":{"path":"` + p + `"}},{"name":"c","configMap":{"name":"x"}}],"containers":[{"name":"a","image":"a"}]}`
	}
	runRule(t, "sensitive-mount-pod", []ruleCase{
		{name: "docker socket", events: []*audittest.E{createPod(alice, vol("/var/run/docker.sock"))}, fire: []int{0}, detail: [2]string{"hostPaths", "/var/run/docker.sock"}},
		{name: "root of the host", events: []*audittest.E{createPod(alice, vol("/"))}, fire: []int{0}},
		{name: "inside a sensitive directory", events: []*audittest.E{createPod(alice, vol("/etc/kubernetes/pki/"))}, fire: []int{0}, detail: [2]string{"hostPaths", "/etc/kubernetes/pki"}},
		{name: "parent of a sensitive directory", events: []*audittest.E{createPod(alice, vol("/var/lib"))}, fire: []int{0}},
		{name: "unrelated path", events: []*audittest.E{createPod(alice, vol("/data/app"))}},
		{name: "prefix is not containment", events: []*audittest.E{createPod(alice, vol("/etcd-backup"))}},
		{name: "exempt image", events: []*audittest.E{createPod(alice, vol("/proc"))}, opts: func(o *Options) { o.PrivilegedImages = Patterns{"a"} }},
	})
}

func TestDisallowedImage(t *testing.T) {
	allow := func(o *Options) { o.AllowedImages = Patterns{"registry.example.com/*", "docker.io/library/nginx"} }
	runRule(t, "disallowed-image", []ruleCase{
		{name: "allowed registry", events: []*audittest.E{createPod(alice, plainSpec)}, opts: allow},
		{name: "short Docker Hub name matches library path", events: []*audittest.E{createPod(alice, `{"containers":[{"name":"a","image":"nginx:1.27"}]}`)}, opts: allow},
		{name: "other image", events: []*audittest.E{createPod(alice, `{"containers":[{"name":"a","image":"registry.example.com/app"},{"name":"b","image":"evil.io/miner:latest"}]}`)},
			opts: allow, fire: []int{0}, detail: [2]string{"images", "evil.io/miner:latest"}},
		{name: "registry prefix is not a pattern match", events: []*audittest.E{createPod(alice, `{"containers":[{"name":"a","image":"registry.example.com.evil.io/app"}]}`)},
			opts: allow, fire: []int{0}},
	})
}

func TestPodInKubeNamespace(t *testing.T) {
	ksPod := func(user string) *audittest.E {
		return ev(user, "create").On("", "pods", "kube-system", "p").Req(pod(plainSpec))
	}
	deploy := ev(alice, "create").On("apps", "deployments", "kube-system", "d").
		Req(`{"metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"evil.io/x"}]}}}}`)
	cron := ev(alice, "create").On("batch", "cronjobs", "kube-public", "c").
		Req(`{"metadata":{"name":"c"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"evil.io/x"}]}}}}}}`)
	kdeployBy := func(user string) *audittest.E {
		return ev(user, "create").On("apps", "deployments", "kube-system", "web").
			Req(`{"metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"evil.io/x"}]}}}}`)
	}
	kdeploy := kdeployBy(alice)
	krs := ev("system:serviceaccount:kube-system:deployment-controller", "create").On("apps", "replicasets", "kube-system", "").
		Req(`{"metadata":{"name":"web-5d8f","ownerReferences":[{"kind":"Deployment","name":"web"}]},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"evil.io/x"}]}}}}`)
	kpod := func(name string) *audittest.E {
		return ev(rsCtrl, "create").On("", "pods", "kube-system", "").
			Req(`{"metadata":{"generateName":"web-5d8f-","ownerReferences":[{"kind":"ReplicaSet","name":"web-5d8f"}]},"spec":` + plainSpec + `}`).
			Resp(`{"metadata":{"name":"` + name + `"}}`)
	}
	runRule(t, "pod-in-kube-namespace", []ruleCase{
		{name: "user creates pod", events: []*audittest.E{ksPod(alice)}, fire: []int{0}},
		{name: "user creates deployment", events: []*audittest.E{deploy}, fire: []int{0}, detail: [2]string{"images", "evil.io/x"}},
		{name: "user creates cronjob in kube-public", events: []*audittest.E{cron}, fire: []int{0}},
		{name: "kubelet mirror pod", events: []*audittest.E{ksPod(nodeUser).Groups("system:nodes", "system:authenticated")}},
		{name: "a pod whose body was not logged", events: []*audittest.E{ev(alice, "create").On("", "pods", "kube-system", "x")},
			fire: []int{0}, detail: [2]string{"images", "unknown"}},
		// Pods a controller makes are judged with their workload: when its
		// creation was seen, not again; when it was not, once per workload.
		{name: "the workload was seen: its pods do not fire again", events: []*audittest.E{kdeploy, krs, kpod("web-5d8f-a"), kpod("web-5d8f-b")},
			fire: []int{0}},
		{name: "the workload was not seen: its first pod fires, once", events: []*audittest.E{krs, kpod("web-5d8f-a"), kpod("web-5d8f-b")},
			fire: []int{1}, detail: [2]string{"owner", "Deployment/web"}},
		{name: "neither workload nor ReplicaSet seen", events: []*audittest.E{kpod("web-5d8f-a"), kpod("web-5d8f-b")},
			fire: []int{0}, detail: [2]string{"owner", "ReplicaSet/web-5d8f"}},
		{name: "a controller's pod without a logged body, by its generated name", events: []*audittest.E{
			ev(rsCtrl, "create").On("", "pods", "kube-system", "").Resp(`{"metadata":{"name":"dns-7c4-x2"}}`),
			ev(rsCtrl, "create").On("", "pods", "kube-system", "").Resp(`{"metadata":{"name":"dns-7c4-q9"}}`)}, fire: []int{0}},
		{name: "a CronJob's Jobs and pods", events: []*audittest.E{
			ev("system:serviceaccount:kube-system:cronjob-controller", "create").On("batch", "jobs", "kube-system", "").
				Req(`{"metadata":{"name":"clean-1","ownerReferences":[{"kind":"CronJob","name":"clean"}]},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"evil.io/x"}]}}}}`),
			ev("system:serviceaccount:kube-system:job-controller", "create").On("", "pods", "kube-system", "").
				Req(`{"metadata":{"generateName":"clean-1-","ownerReferences":[{"kind":"Job","name":"clean-1"}]},"spec":{"containers":[{"name":"a","image":"evil.io/x"}]}}`)},
			fire: []int{1}, detail: [2]string{"owner", "CronJob/clean"}},
		{name: "a controller's pod of allowed images", events: []*audittest.E{kpod("web-5d8f-a")},
			opts: func(o *Options) { o.KubeSystemImages = Patterns{"registry.example.com/*"} }},
		{name: "a workload of a system user", events: []*audittest.E{kdeployBy("system:serviceaccount:flux-system:kustomize-controller"), krs, kpod("web-5d8f-a")},
			opts: func(o *Options) { o.SystemUsers = Patterns{"system:serviceaccount:flux-system:*"} }},
		{name: "allowed image", events: []*audittest.E{ksPod(alice)}, opts: func(o *Options) { o.KubeSystemImages = Patterns{"registry.example.com/*"} }},
		{name: "other namespace", events: []*audittest.E{createPod(alice, plainSpec)}},
	})
}

func TestServiceAccountInKubeNamespace(t *testing.T) {
	runRule(t, "serviceaccount-in-kube-namespace", []ruleCase{
		{name: "user creates", events: []*audittest.E{ev(alice, "create").On("", "serviceaccounts", "kube-system", "backdoor")}, fire: []int{0}},
		{name: "failed", events: []*audittest.E{ev(alice, "create").On("", "serviceaccounts", "kube-system", "x").Code(409)}},
		{name: "known name", events: []*audittest.E{ev(alice, "create").On("", "serviceaccounts", "kube-system", "cilium")},
			opts: func(o *Options) { o.KubeSystemServiceAccounts = Patterns{"cilium*"} }},
		{name: "controller", events: []*audittest.E{ev("system:serviceaccount:kube-system:service-account-controller", "create").On("", "serviceaccounts", "kube-system", "default")}},
		{name: "elsewhere", events: []*audittest.E{ev(alice, "create").On("", "serviceaccounts", "dev", "x")}},
	})
}
