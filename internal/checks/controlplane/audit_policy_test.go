package controlplane

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func auditPolicy(rules string) string {
	return "apiVersion: audit.k8s.io/v1\nkind: Policy\nmetadata: {name: p}\nrules:\n" + rules
}

func TestAuditPolicySecrets(t *testing.T) {
	tests := []struct {
		name  string
		rules string
		want  []string
		msg   string
	}{
		{"metadata for secrets first passes", `
- level: Metadata
  resources: [{group: "", resources: [secrets, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]
- level: RequestResponse
`, nil, ""},
		{"catch-all RequestResponse fires", `
- level: RequestResponse
`, []string{"Policy/p rules[0].level"}, "Secret values and bearer tokens under review and issued service-account tokens"},
		{"Request on everything logs write bodies only", `
- level: Request
  resources: [{group: ""}]
`, []string{"Policy/p rules[0].level"}, "create secrets; patch secrets; update secrets"},
		{"a later Metadata rule comes too late", `
- level: RequestResponse
  resources: [{group: "", resources: ["*"]}]
- level: Metadata
  resources: [{group: "", resources: [secrets]}]
`, []string{"Policy/p rules[0].level"}, ""},
		{"a group-scoped rule before Metadata fires", `
- level: RequestResponse
  userGroups: [system:masters]
  resources: [{group: "", resources: [secrets]}]
- level: Metadata
`, []string{"Policy/p rules[0].level"}, ""},
		{"a Metadata rule for some namespaces leaves others", `
- level: Metadata
  namespaces: [kube-system]
  resources: [{group: "", resources: [secrets]}]
- level: Request
  resources: [{group: "", resources: [secrets]}]
`, []string{"Policy/p rules[1].level"}, ""},
		{"a read-only rule at Request logs nothing secret", `
- level: Request
  verbs: [get, list, watch]
  resources: [{group: "", resources: [secrets]}]
`, nil, ""},
		{"TokenRequest responses at RequestResponse", `
- level: RequestResponse
  resources: [{group: "", resources: ["*/token"]}]
`, []string{"Policy/p rules[0].level"}, "create serviceaccounts/token"},
		{"resource names narrow a rule", `
- level: None
  resources: [{group: "", resources: [secrets], resourceNames: [a]}]
- level: RequestResponse
  resources: [{group: "", resources: [secrets]}]
`, []string{"Policy/p rules[1].level"}, ""},
		{"non-resource rules do not match", `
- level: RequestResponse
  nonResourceURLs: ["/api*"]
`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, auditPolicy(tt.rules), nil, AuditPolicySecrets)
			checktest.Expect(t, fs, tt.want...)
			if tt.msg != "" && (len(fs) == 0 || !strings.Contains(fs[0].Message, tt.msg)) {
				t.Errorf("messages %v do not contain %q", fs, tt.msg)
			}
		})
	}
}

// The kube-up (GCE) policy, the reference policy of the Kubernetes docs'
// auditing page in spirit: Metadata for secrets and tokenreviews before the
// Request/RequestResponse catch-alls.
func TestAuditPolicySecretsGCE(t *testing.T) {
	fs := checktest.Run(t, auditPolicy(`
- level: None
  users: [system:kube-proxy]
  verbs: [watch]
  resources: [{group: "", resources: [endpoints, services, services/status]}]
- level: None
  userGroups: [system:nodes]
  verbs: [get]
  resources: [{group: "", resources: [nodes, nodes/status]}]
- level: None
  nonResourceURLs: [/healthz*, /version, /swagger*]
- level: None
  resources: [{group: "", resources: [events]}]
- level: Request
  users: [kubelet, system:node-problem-detector, system:serviceaccount:kube-system:node-problem-detector]
  verbs: [update, patch]
  resources: [{group: "", resources: [nodes/status, pods/status]}]
  omitStages: [RequestReceived]
- level: Metadata
  resources: [{group: "", resources: [secrets, configmaps, serviceaccounts/token]}, {group: authentication.k8s.io, resources: [tokenreviews]}]
  omitStages: [RequestReceived]
- level: Request
  verbs: [get, list, watch]
  resources: [{group: ""}, {group: apps}, {group: batch}]
  omitStages: [RequestReceived]
- level: RequestResponse
  resources: [{group: ""}, {group: apps}, {group: batch}]
  omitStages: [RequestReceived]
- level: Metadata
  omitStages: [RequestReceived]
`), nil, AuditPolicySecrets)
	checktest.Expect(t, fs)
}

func BenchmarkAuditPolicySecrets(b *testing.B) {
	var rules strings.Builder
	for i := 0; i < 30; i++ {
		rules.WriteString("- level: None\n  users: [user-" + string(rune('a'+i%26)) + "]\n  userGroups: [group-" + string(rune('a'+i%26)) + "]\n  namespaces: [ns-" + string(rune('a'+i%26)) + "]\n")
	}
	rules.WriteString("- level: RequestResponse\n")
	yaml := auditPolicy(rules.String())
	for b.Loop() {
		checktest.Run(b, yaml, nil, AuditPolicySecrets)
	}
}
