package node

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
)

// The kubelet's authentication and authorization (CIS 4.2.1 to 4.2.3),
// judged together: anonymous requests with AlwaysAllow give anyone who
// reaches port 10250 exec in every Pod of the node.

const nsaAuthn = "Authentication and authorization"

// KubeletAnonymousAuth (CIS 4.2.1).
var KubeletAnonymousAuth = kubeletCheck(check.Meta{
	ID:       "kubelet-anonymous-auth",
	Title:    "Kubelet accepts anonymous requests",
	Severity: check.High,
	Rationale: "Requests without credentials reach the kubelet API as system:anonymous; with AlwaysAllow " +
		"authorization that is code execution in every container of the node, and with Webhook it depends on " +
		"what RBAC grants system:anonymous.",
	Fix:   "Set authentication.anonymous.enabled: false in the KubeletConfiguration (or --anonymous-auth=false).",
	Reads: reads(sAnonymous, sAuthzMode),
	Refs:  []check.Reference{check.CIS("4.2.1", "Ensure that the --anonymous-auth argument is set to false"), check.NSA(nsaAuthn)},
}, func(k *kubelet) []problem {
	on, src, ok := k.boolOf(sAnonymous)
	if !ok || !on {
		return nil
	}
	p := problem{src: src, message: src.text + ": unauthenticated requests reach the kubelet API"}
	if mode, _, ok := k.get(sAuthzMode); ok && mode == "AlwaysAllow" {
		p.severity = check.Critical
		p.message += ", and AlwaysAllow authorizes them: anyone who reaches port 10250 can exec into every Pod of the node"
	}
	return []problem{p}
})

// KubeletAuthorizationAlwaysAllow (CIS 4.2.2).
var KubeletAuthorizationAlwaysAllow = kubeletCheck(check.Meta{
	ID:       "kubelet-authorization-always-allow",
	Title:    "Kubelet authorizes every request",
	Severity: check.High,
	Rationale: "With AlwaysAllow any client the kubelet authenticates may read Pod specs and logs and exec " +
		"into containers; authorization must be delegated to the API server (Webhook).",
	Fix:   "Set authorization.mode: Webhook in the KubeletConfiguration (or --authorization-mode=Webhook).",
	Reads: reads(sAuthzMode),
	Refs:  []check.Reference{check.CIS("4.2.2", "Ensure that the --authorization-mode argument is not set to AlwaysAllow"), check.NSA(nsaAuthn)},
}, func(k *kubelet) []problem {
	mode, src, ok := k.get(sAuthzMode)
	if !ok || mode != "AlwaysAllow" {
		return nil
	}
	p := problem{src: src, message: src.text + ": every authenticated client may use the whole kubelet API"}
	if on, _, ok := k.boolOf(sAnonymous); ok && on {
		p.severity = check.Critical
		p.message = src.text + ": with anonymous authentication on, everyone may use the whole kubelet API"
	}
	return []problem{p}
})

// KubeletClientCA (CIS 4.2.3).
var KubeletClientCA = kubeletCheck(check.Meta{
	ID:       "kubelet-client-ca",
	Title:    "Kubelet does not authenticate client certificates",
	Severity: check.Medium,
	Rationale: "Without a client CA the kubelet cannot authenticate the API server's client certificate, so " +
		"the API server's calls (logs, exec) work only with anonymous access.",
	Fix:   "Set authentication.x509.clientCAFile to the cluster CA (kubeadm: /etc/kubernetes/pki/ca.crt).",
	Reads: reads(sClientCA),
	Refs:  []check.Reference{check.CIS("4.2.3", "Ensure that the --client-ca-file argument is set as appropriate"), check.NSA(nsaAuthn)},
}, func(k *kubelet) []problem {
	ca, src, ok := k.get(sClientCA)
	if !ok || ca != "" {
		return nil
	}
	if src.text == "" {
		src.text = "no client CA file"
	}
	return []problem{{src: src, message: fmt.Sprintf("%s: client certificates are not authenticated", src.text)}}
})

func init() { check.Register(KubeletAnonymousAuth, KubeletAuthorizationAlwaysAllow, KubeletClientCA) }
