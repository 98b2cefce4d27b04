package detect

import (
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/check"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

func TestPodExec(t *testing.T) {
	execURI := "/api/v1/namespaces/dev/pods/p/exec?command=sh&command=-c&command=PGPASSWORD%3Dhunter2+psql&container=app&stdin=true"
	started := ev(alice, "create").On("", "pods/exec", "dev", "p").URI(execURI).Code(101).Stage(auditv1.StageResponseStarted)
	completed := *started
	completed.Event.Stage = auditv1.StageResponseComplete
	privPod := ev(alice, "create").On("", "pods", "dev", "p").Req(pod(`{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}`))
	runRule(t, "pod-exec", []ruleCase{
		{name: "exec over SPDY fires once across stages", events: []*audittest.E{started, &completed}, fire: []int{0}, sev: check.Medium,
			detail: [2]string{"command", "sh -c PGPASSWORD=REDACTED psql"}},
		{name: "exec over websocket (get)", events: []*audittest.E{ev(alice, "get").On("", "pods/exec", "dev", "p")}, fire: []int{0}},
		{name: "attach", events: []*audittest.E{ev(alice, "create").On("", "pods/attach", "dev", "p")}, fire: []int{0}},
		{name: "authorized but kubelet unreachable still fires", events: []*audittest.E{ev(alice, "create").On("", "pods/exec", "dev", "p").Code(500)},
			fire: []int{0}, detail: [2]string{"", "connection to the container failed"}},
		{name: "denied exec does not fire", events: []*audittest.E{ev(alice, "create").On("", "pods/exec", "dev", "p").Code(403)}},
		{name: "pod logs are not exec", events: []*audittest.E{ev(alice, "get").On("", "pods/log", "dev", "p")}},
		{name: "exec into a pod created privileged is critical", events: []*audittest.E{privPod, ev(alice, "create").On("", "pods/exec", "dev", "p")},
			fire: []int{1}, sev: check.Critical, detail: [2]string{"target", "privileged"}},
		{name: "pod deleted and recreated plain", events: []*audittest.E{privPod, ev(alice, "delete").On("", "pods", "dev", "p"),
			ev(alice, "create").On("", "pods/exec", "dev", "p")}, fire: []int{2}, sev: check.Medium},
	})
}

func TestPodPortForward(t *testing.T) {
	runRule(t, "pod-port-forward", []ruleCase{
		{name: "port-forward", events: []*audittest.E{ev(alice, "create").On("", "pods/portforward", "dev", "p").URI("/api/v1/namespaces/dev/pods/p/portforward?ports=5432")},
			fire: []int{0}, detail: [2]string{"ports", "5432"}},
		{name: "denied", events: []*audittest.E{ev(alice, "create").On("", "pods/portforward", "dev", "p").Code(403)}},
		{name: "exec is another rule", events: []*audittest.E{ev(alice, "create").On("", "pods/exec", "dev", "p")}},
	})
}

func TestNodeProxy(t *testing.T) {
	runRule(t, "node-proxy", []ruleCase{
		{name: "user reaches kubelet", events: []*audittest.E{ev(alice, "get").On("", "nodes/proxy", "", "worker-1").URI("/api/v1/nodes/worker-1/proxy/run/dev/p/c?cmd=id")},
			fire: []int{0}, sev: check.High, detail: [2]string{"path", "/api/v1/nodes/worker-1/proxy/run/dev/p/c"}},
		{name: "control plane is exempt", events: []*audittest.E{ev("system:kube-controller-manager", "get").On("", "nodes/proxy", "", "w")}},
		{name: "nodes/stats is not proxy", events: []*audittest.E{ev(alice, "get").On("", "nodes/stats", "", "w")}},
	})
}

func TestEphemeralContainer(t *testing.T) {
	body := pod(`{"containers":[{"name":"app","image":"app"}],"ephemeralContainers":[{"name":"debugger","image":"busybox"}]}`)
	runRule(t, "ephemeral-container", []ruleCase{
		{name: "kubectl debug", events: []*audittest.E{ev(alice, "patch").On("", "pods/ephemeralcontainers", "dev", "p").Req(body)},
			fire: []int{0}, detail: [2]string{"images", "busybox"}},
		{name: "rejected by admission is low", events: []*audittest.E{ev(alice, "patch").On("", "pods/ephemeralcontainers", "dev", "p").Req(body).Code(422)},
			fire: []int{0}, sev: check.Low},
		{name: "reading the subresource", events: []*audittest.E{ev(alice, "get").On("", "pods/ephemeralcontainers", "dev", "p")}},
	})
}
