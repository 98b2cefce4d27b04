package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/suggest"
)

func TestRBACSuggestAndUnused(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	sa := "system:serviceaccount:ci:deployer"
	os.WriteFile(log, audittest.Lines(
		audittest.New(sa, "get").On("apps", "deployments", "shop", "web"),
		audittest.New(sa, "patch").On("apps", "deployments", "shop", "web"),
		audittest.New(sa, "list").On("", "pods", "shop", ""),
		audittest.New("alice", "get").On("", "secrets", "shop", "x"),
	), 0o600)
	code, out, stderr := runCLI(t, "rbac", "suggest", "--audit", log, "--serviceaccount", "ci:deployer")
	if code != 0 || !strings.Contains(out, "kind: Role\n") || !strings.Contains(out, "namespace: shop") || !strings.Contains(out, "- web") ||
		strings.Contains(out, "secrets") || !strings.Contains(out, "3 distinct authorized requests") {
		t.Errorf("suggest: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, _ := runCLI(t, "rbac", "suggest", "--audit", log); code != ExitError {
		t.Errorf("suggest without identity: exit %d", code)
	}

	rbacFile := filepath.Join(dir, "rbac.yaml")
	os.WriteFile(rbacFile, []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: deployer}
rules:
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, patch, delete]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: deployer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
`), 0o600)
	code, out, stderr = runCLI(t, "rbac", "unused", "--audit", log, "-f", rbacFile, "-o", "json")
	var rep suggest.UnusedReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("unused: exit %d %v\n%s\n%s", code, err, out, stderr)
	}
	statuses := map[int]string{}
	for _, g := range rep.Grants {
		statuses[g.RuleIndex] = g.Status + ":" + strings.Join(g.Unused, ",")
	}
	if statuses[0] != "partly used:delete deployments.apps" || statuses[1] != "unused:" || rep.Events != 4 {
		t.Errorf("unused report %+v", rep)
	}
	code, out, _ = runCLI(t, "rbac", "unused", "--audit", log, "-f", rbacFile)
	if code != 0 || !strings.Contains(out, "ServiceAccount ci/deployer") || !strings.Contains(out, "all of it") {
		t.Errorf("unused table: exit %d\n%s", code, out)
	}
}

// suggest fails closed: an empty log, or an identity that never appears
// in it (a misspelt name), is an error, not an empty suggestion.
func TestRBACSuggestFailsClosed(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o600)
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, audittest.Lines(audittest.New("system:serviceaccount:ci:deployer", "get").On("apps", "deployments", "shop", "web")), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--audit", empty, "--serviceaccount", "ci:deployer"}, "empty.log holds no audit events: it is empty"},
		{[]string{"--audit", log, "--serviceaccount", "ci:deploy"}, `made no request in the 1 events read; did you mean "system:serviceaccount:ci:deployer"?`},
		{[]string{"--audit", log, "--user", "alice"}, "User alice made no request"},
	} {
		code, out, stderr := runCLI(t, append([]string{"rbac", "suggest"}, tc.args...)...)
		if code != ExitError || !strings.Contains(stderr, tc.want) || strings.Contains(out, "kind:") {
			t.Errorf("%v: exit %d\n%s\n%s", tc.args, code, out, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "rbac", "unused", "--audit", empty, "-f", log); code != ExitError || !strings.Contains(stderr, "empty.log holds no audit events") {
		t.Errorf("unused on an empty log: exit %d %s", code, stderr)
	}
}
