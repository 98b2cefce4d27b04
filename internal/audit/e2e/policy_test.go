package e2e

import (
	"testing"

	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// TestRecommendedPolicy evaluates deploy/audit/policy.yaml with the API
// server's own policy code: bodies where rules read them, never for
// credentials, and the stages the rules need.
func TestRecommendedPolicy(t *testing.T) {
	p, err := policy.LoadPolicyFromBytes(recommendedPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	ev := policy.NewPolicyRuleEvaluator(p)
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	kubelet := &user.DefaultInfo{Name: "system:node:w1", Groups: []string{"system:nodes", "system:authenticated"}}
	res := func(u user.Info, verb, group, resource, sub string) authorizer.Attributes {
		return authorizer.AttributesRecord{User: u, Verb: verb, APIGroup: group, APIVersion: "v1", Resource: resource,
			Subresource: sub, Namespace: "dev", Name: "x", ResourceRequest: true}
	}
	for _, c := range []struct {
		name string
		a    authorizer.Attributes
		want auditinternal.Level
	}{
		{"secret create", res(alice, "create", "", "secrets", ""), auditinternal.LevelMetadata},
		{"secret update", res(alice, "update", "", "secrets", ""), auditinternal.LevelMetadata},
		{"secret read", res(alice, "get", "", "secrets", ""), auditinternal.LevelMetadata},
		{"token request", res(alice, "create", "", "serviceaccounts", "token"), auditinternal.LevelMetadata},
		{"token review", res(alice, "create", "authentication.k8s.io", "tokenreviews", ""), auditinternal.LevelMetadata},
		{"pod create", res(alice, "create", "", "pods", ""), auditinternal.LevelRequestResponse},
		{"ephemeral container", res(alice, "patch", "", "pods", "ephemeralcontainers"), auditinternal.LevelRequest},
		{"pod exec", res(alice, "create", "", "pods", "exec"), auditinternal.LevelMetadata},
		{"deployment", res(alice, "create", "apps", "deployments", ""), auditinternal.LevelRequest},
		{"clusterrolebinding", res(alice, "create", "rbac.authorization.k8s.io", "clusterrolebindings", ""), auditinternal.LevelRequest},
		{"configmap", res(alice, "update", "", "configmaps", ""), auditinternal.LevelRequest},
		{"webhook config", res(alice, "patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations", ""), auditinternal.LevelRequest},
		{"csr approval", res(alice, "update", "certificates.k8s.io", "certificatesigningrequests", "approval"), auditinternal.LevelRequest},
		{"lease renewal by kubelet", res(kubelet, "update", "coordination.k8s.io", "leases", ""), auditinternal.LevelNone},
		{"lease written by a user", res(alice, "update", "coordination.k8s.io", "leases", ""), auditinternal.LevelMetadata},
		{"event deletion", res(alice, "delete", "", "events", ""), auditinternal.LevelMetadata},
		{"list pods", res(alice, "list", "", "pods", ""), auditinternal.LevelMetadata},
		{"anonymous health", authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}, Verb: "get", Path: "/healthz"}, auditinternal.LevelMetadata},
		{"authenticated health", authorizer.AttributesRecord{User: alice, Verb: "get", Path: "/readyz"}, auditinternal.LevelNone},
	} {
		got := ev.EvaluatePolicyRule(c.a)
		if got.Level != c.want {
			t.Errorf("%s: level %s, want %s", c.name, got.Level, c.want)
		}
		for _, s := range got.OmitStages {
			if s == auditinternal.StageResponseStarted || s == auditinternal.StageResponseComplete {
				t.Errorf("%s: omits %s, which the rules need", c.name, s)
			}
		}
	}
}
