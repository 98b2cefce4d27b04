package rules

import (
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

// networkPolicyNotEnforced is judged by internal/agent/intent: it reads
// established TCP connections and received UDP datagrams (the flow was
// delivered), the pods at both ends, and the cluster's NetworkPolicies
// through kubeward's NetworkPolicy engine. It fires when the policies deny
// a flow the kernel delivered: the network plugin does not enforce them.
func networkPolicyNotEnforced() Rule {
	return Rule{Meta: detect.Meta{
		ID: "networkpolicy-not-enforced", Title: "Connection the NetworkPolicies deny was delivered", Severity: check.High,
		MITRE: []detect.Technique{tBoundaryBridging},
		Fires: "a TCP connection is established, or a UDP datagram received, between endpoints the NetworkPolicies do not allow to talk",
		Reads: []string{"connect.established", "connect.peer", "pods", "namespaces", "networkpolicies", "services"},
		Fix:   "use a network plugin that enforces NetworkPolicy (Calico, Cilium, Antrea...) or fix the one installed; kubeward netpol explain shows which policy denies the flow",
	}}
}

// novelExec is judged by internal/agent/intent: it reads execs and the
// workload's learned baseline. It fires on an executable the workload did
// not run while its baseline was learned.
func novelExec() Rule {
	return Rule{Meta: detect.Meta{
		ID: "novel-exec", Title: "Executable the workload never ran while learning", Severity: check.Medium,
		MITRE: []detect.Technique{tUserExecution},
		Fires: "a workload past its learning window runs an executable outside its baseline",
		Reads: []string{"exec.executable", "baseline"},
		Fix:   "if the change is expected (a new release), reset or edit the workload's baseline; otherwise investigate the pod",
	}}
}
