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

// novelFileWrite is judged by internal/agent/intent: it reads opens for
// writing of regular files (every one in a pod while baselines run) and
// the workload's learned baseline of files written (paths normalised
// into patterns). It fires on a file written outside them.
func novelFileWrite() Rule {
	return Rule{Meta: detect.Meta{
		ID: "novel-file-write", Title: "File the workload never wrote while learning", Severity: check.Medium,
		MITRE: []detect.Technique{tStoredData, tIngressTool},
		Fires: "a workload past its learning window opens for writing a file outside its baseline of files written",
		Reads: []string{"open.path", "open.write", "baseline"},
		Fix:   "if the change is expected (a new release, a new data directory), edit the workload's files in the baselines file or let it learn again; otherwise investigate the pod",
	}}
}

// novelPeer is judged by internal/agent/intent: it reads outbound
// connections (TCP connection attempts, UDP datagrams sent), the peer as
// the cluster watch names it (a workload, a Service) or its address, and
// the workload's learned baseline of peers. It fires on a peer, port or
// protocol outside them.
func novelPeer() Rule {
	return Rule{Meta: detect.Meta{
		ID: "novel-peer", Title: "Connection to a peer the workload never contacted while learning", Severity: check.Medium,
		MITRE: []detect.Technique{tAppProtocol, tExfilC2},
		Fires: "a workload past its learning window connects to a workload, Service or address, on a port and protocol, outside its baseline of peers",
		Reads: []string{"connect.attempt", "connect.peer", "pods", "services", "baseline"},
		Fix:   "if the peer is expected, add it to the workload's peers in the baselines file (an address may be a CIDR, port 0 any port); otherwise investigate the pod and consider a NetworkPolicy that denies the egress",
	}}
}
