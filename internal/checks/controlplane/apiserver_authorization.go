package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// authorizationModes returns the API server's authorizer chain as the flags
// set it: --authorization-mode, which defaults to AlwaysAllow when neither
// it nor --authorization-config is given (k/k
// pkg/kubeapiserver/options/authorization.go:90-91). With
// --authorization-config the chain is in that file and ok is false.
func authorizationModes(in *instance) (modes []string, ok bool) {
	if strings.TrimSpace(in.args.Get("authorization-config").Raw) != "" {
		return nil, false
	}
	for _, m := range in.args.Get("authorization-mode").List {
		if m = strings.TrimSpace(m); m != "" {
			modes = append(modes, m)
		}
	}
	if len(modes) == 0 {
		modes = []string{"AlwaysAllow"}
	}
	return modes, true
}

// allowsEverything reports whether AlwaysAllow decides: authorizers are
// asked in order and RBAC and Node never deny, so AlwaysAllow anywhere in
// the chain allows every request an earlier AlwaysDeny (or a Webhook, which
// kubeward cannot see) has not refused.
func allowsEverything(modes []string) bool {
	for _, m := range modes {
		switch m {
		case "AlwaysDeny":
			return false
		case "AlwaysAllow":
			return true
		}
	}
	return false
}

func describeModes(in *instance) string {
	if in.args.Has("authorization-mode") {
		return in.describe("authorization-mode")
	}
	return "--authorization-mode is not set (default AlwaysAllow)" + in.note
}

// APIServerAuthorizationAlwaysAllow: AlwaysAllow is not an authorization
// mode (CIS 1.2.6).
var APIServerAuthorizationAlwaysAllow = flagCheck(check.Meta{
	ID:       "apiserver-authorization-always-allow",
	Title:    "API server allows every authenticated request",
	Severity: check.Critical,
	Rationale: "With AlwaysAllow in --authorization-mode (or the flag absent, which means AlwaysAllow) every " +
		"authenticated user and service account can do anything: RBAC is not enforced.",
	Fix:   "Set --authorization-mode=Node,RBAC.",
	Reads: reads(apiserver, "authorization-mode", "authorization-config"),
	Refs:  []check.Reference{check.CIS("1.2.6", "Ensure that the --authorization-mode argument is not set to AlwaysAllow"), check.NSA(nsaAuthn)},
}, apiserver, func(in *instance) []problem {
	modes, ok := authorizationModes(in)
	if !ok {
		return authorizationConfigDecides()
	}
	if !allowsEverything(modes) {
		return nil
	}
	return []problem{{flag: "authorization-mode", message: fmt.Sprintf("%s: %s: every authenticated request is allowed", in.name, describeModes(in))}}
})

// APIServerAuthorizationNode: Node is an authorization mode (CIS 1.2.7).
// It steps aside when AlwaysAllow decides: that finding's fix covers it.
var APIServerAuthorizationNode = flagCheck(check.Meta{
	ID:       "apiserver-authorization-node",
	Title:    "API server does not use the Node authorizer",
	Severity: check.Medium,
	Rationale: "The Node authorizer limits each kubelet to the Pods, Secrets and ConfigMaps of its own node; " +
		"without it kubelets need broad RBAC rights and one compromised node reads every Secret.",
	Fix:   "Add Node to --authorization-mode (--authorization-mode=Node,RBAC) and keep NodeRestriction admission on.",
	Reads: reads(apiserver, "authorization-mode", "authorization-config"),
	Refs:  []check.Reference{check.CIS("1.2.7", "Ensure that the --authorization-mode argument includes Node"), check.NSA(nsaAuthn)},
}, apiserver, missingMode("Node", "kubelets are not limited to their own node's objects"))

// APIServerAuthorizationRBAC: RBAC is an authorization mode (CIS 1.2.8).
var APIServerAuthorizationRBAC = flagCheck(check.Meta{
	ID:       "apiserver-authorization-rbac",
	Title:    "API server does not use RBAC",
	Severity: check.Medium,
	Rationale: "Without the RBAC authorizer, Roles and bindings are ignored and access is decided by ABAC " +
		"files or webhooks that kubeward and most tooling cannot review.",
	Fix:   "Add RBAC to --authorization-mode (--authorization-mode=Node,RBAC).",
	Reads: reads(apiserver, "authorization-mode", "authorization-config"),
	Refs:  []check.Reference{check.CIS("1.2.8", "Ensure that the --authorization-mode argument includes RBAC"), check.NSA(nsaAuthn)},
}, apiserver, missingMode("RBAC", "Roles and RoleBindings are not enforced"))

func missingMode(mode, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		modes, ok := authorizationModes(in)
		if !ok {
			return authorizationConfigDecides()
		}
		if allowsEverything(modes) || hasValue(modes, mode) {
			return nil
		}
		return []problem{{flag: "authorization-mode", message: fmt.Sprintf("%s: %s: %s", in.name, describeModes(in), consequence)}}
	}
}

// authorizationConfigDecides: the authorizer chain is in the file
// --authorization-config names, which kubeward does not read.
func authorizationConfigDecides() []problem {
	return []problem{{flag: "authorization-config", undecided: GapAuthorizationConfig,
		message: "kube-apiserver --authorization-config holds the authorizer chain (it replaces --authorization-mode), and kubeward does not read that file"}}
}

func init() {
	check.Register(APIServerAuthorizationAlwaysAllow, APIServerAuthorizationNode, APIServerAuthorizationRBAC)
}
