package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixFixture = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the web tier
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
`

// TestFixCommand: the diff by default (exit 1, the file untouched), --write
// (exit 0, the file fixed), then nothing left (exit 0, no diff).
func TestFixCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(path, []byte(fixFixture), 0o640); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "fix", path)
	if code != ExitFindings || !strings.Contains(out, "+          allowPrivilegeEscalation: false\n") ||
		!strings.Contains(out, "+              - ALL\n") || !strings.Contains(out, "+          type: RuntimeDefault\n") ||
		!strings.Contains(out, "--- a/"+filepath.ToSlash(path)) {
		t.Fatalf("diff: exit %d\n%s\n%s", code, out, errs)
	}
	if data, _ := os.ReadFile(path); string(data) != fixFixture {
		t.Fatalf("the file changed without --write:\n%s", data)
	}
	code, out, errs = runCLI(t, "fix", "--write", path)
	if code != 0 || out != "" || !strings.Contains(errs, "3 fix(es) in 1 file(s) written") {
		t.Fatalf("--write: exit %d\n%s\n%s", code, out, errs)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "name: web # the web tier\n") || !strings.Contains(string(data), "allowPrivilegeEscalation: false") {
		t.Errorf("written:\n%s", data)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}
	code, out, errs = runCLI(t, "fix", path)
	if code != 0 || out != "" {
		t.Errorf("second run: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := runCLI(t, "scan", "--checks", "allow-privilege-escalation,capabilities-drop-all,linux-hardening", "--fail-on", "info", path); code != 0 {
		t.Errorf("scan of the fixed file: exit %d", code)
	}
}

// TestFixRefuses: Helm charts, Kustomize overlays and standard input are
// refused with a sentence (exit 2); input with nothing to judge is exit 2.
func TestFixRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fix", "../source/helm/testdata/app"}, "Helm template"},
		{[]string{"fix", "../source/kustomize/testdata/overlays/prod"}, "Kustomize overlay"},
		{[]string{"fix", "-"}, "cannot write standard input back"},
		{[]string{"fix", filepath.Join(t.TempDir(), "missing.yaml")}, "no such file"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != ExitError || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d\n%s", tc.args, code, errs)
		}
	}
	empty := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(empty, []byte("replicas: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "fix", empty); code != ExitError || !strings.Contains(errs, "nothing to check") {
		t.Errorf("nothing to judge: exit %d\n%s", code, errs)
	}
	// Objects, but no workload for a fix to judge.
	cm := filepath.Join(t.TempDir(), "cm.yaml")
	if err := os.WriteFile(cm, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "fix", cm); code != ExitError || !strings.Contains(errs, "no workload") {
		t.Errorf("no workload: exit %d\n%s", code, errs)
	}
}
