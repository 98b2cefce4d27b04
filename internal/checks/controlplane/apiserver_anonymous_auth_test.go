package controlplane

import (
	"testing"
)

func TestAPIServerAnonymousAuth(t *testing.T) {
	h := hardenedAPIServer
	on := with(h, "--anonymous-auth=true")
	unset := with(h, "-anonymous-auth")
	withAllow := with(h, "--anonymous-auth=true", "--authorization-mode=Node,RBAC,AlwaysAllow")
	structured := with(h, "-anonymous-auth", "--authentication-config=/etc/kubernetes/authn.yaml")
	both := with(h, "--anonymous-auth=true", "--authentication-config=/etc/kubernetes/authn.yaml")
	runFlagCases(t, APIServerAnonymousAuth, "kube-apiserver", "kube-apiserver", []flagCase{
		{"false passes", h, nil},
		{"true fires at the flag", on, []string{at(apiPod, on, "anonymous-auth")}},
		{"the default is true", unset, []string{apiPod + " spec.containers[0].command"}},
		{"AlwaysAllow switches it off in the API server", withAllow, nil},
		{"the authentication configuration decides", structured, nil},
		{"an explicit flag is still judged", both, []string{at(apiPod, both, "anonymous-auth")}},
	})
}
