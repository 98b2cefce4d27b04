package controlplane

import (
	"testing"
)

func TestAPIServerAuthorization(t *testing.T) {
	h := hardenedAPIServer
	missing := apiPod + " spec.containers[0].command"
	flag := func(args []string) string { return at(apiPod, args, "authorization-mode") }
	alwaysAllow := with(h, "--authorization-mode=AlwaysAllow")
	rbacAllow := with(h, "--authorization-mode=RBAC,AlwaysAllow")
	denyFirst := with(h, "--authorization-mode=AlwaysDeny,AlwaysAllow")
	rbacOnly := with(h, "--authorization-mode=RBAC")
	nodeOnly := with(h, "--authorization-mode=Node")
	webhook := with(h, "--authorization-mode=Node,Webhook", "--authorization-webhook-config-file=/w.yaml")
	structured := with(h, "-authorization-mode", "--authorization-config=/etc/kubernetes/authz.yaml")
	unset := with(h, "-authorization-mode")
	split := append(with(h, "--authorization-mode=Node"), "--authorization-mode=RBAC")

	runFlagCases(t, APIServerAuthorizationAlwaysAllow, "kube-apiserver", "kube-apiserver", []flagCase{
		{"Node,RBAC passes", h, nil},
		{"AlwaysAllow fires", alwaysAllow, []string{flag(alwaysAllow)}},
		{"absent flag means AlwaysAllow", unset, []string{missing}},
		{"AlwaysAllow after RBAC still allows everything", rbacAllow, []string{flag(rbacAllow)}},
		{"AlwaysDeny before it decides", denyFirst, nil},
		{"structured configuration is not judged from flags", structured, nil},
	})
	runFlagCases(t, APIServerAuthorizationNode, "kube-apiserver", "kube-apiserver", []flagCase{
		{"Node,RBAC passes", h, nil},
		{"RBAC alone fires", rbacOnly, []string{flag(rbacOnly)}},
		{"repeated flags append", split, nil},
		{"steps aside for AlwaysAllow", alwaysAllow, nil},
		{"steps aside when unset (AlwaysAllow)", unset, nil},
		{"structured configuration is not judged", structured, nil},
	})
	runFlagCases(t, APIServerAuthorizationRBAC, "kube-apiserver", "kube-apiserver", []flagCase{
		{"Node,RBAC passes", h, nil},
		{"Node alone fires", nodeOnly, []string{flag(nodeOnly)}},
		{"Node,Webhook fires", webhook, []string{flag(webhook)}},
		{"repeated flags append", split, nil},
		{"steps aside for AlwaysAllow", alwaysAllow, nil},
	})
}
