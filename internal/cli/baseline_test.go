package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const baselineWeb = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext: {privileged: true}
`

const baselineAPI = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      hostPID: true
      containers:
      - name: api
        image: ghcr.io/example/api:2
`

const baselineSvc = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{port: 80}]
`

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type diffJSON struct {
	New, Fixed, Unchanged []struct {
		Check, Object, File string
		Line                int
	}
}

// A baseline survives what a refactoring does to files (moved lines, a
// renamed file, reordered documents, reworded messages): only the problem
// the change adds is new.
func TestBaselineAndDiff(t *testing.T) {
	tmp := t.TempDir()
	repo := filepath.Join(tmp, "repo")
	old := filepath.Join(tmp, "old.json")
	writeFiles(t, repo, map[string]string{"web.yaml": baselineWeb, "api.yaml": baselineAPI + "---\n" + baselineSvc})
	if code, _, stderr := runCLI(t, "scan", repo, "-o", "json="+old, "--fail-on", "none"); code != ExitClean {
		t.Fatalf("old scan: exit %d: %s", code, stderr)
	}

	// The change: web.yaml renamed with a comment block on top (every line
	// moves), the container renamed (messages change), api.yaml's two
	// documents swapped, and new problems: a worker on the host's network.
	renamed := "# The storefront.\n# Owned by the web team.\n" + strings.ReplaceAll(baselineWeb, "name: web\n", "name: storefront\n")
	worker := strings.NewReplacer("name: api", "name: worker", "app: api", "app: worker", "hostPID", "hostNetwork").Replace(baselineAPI)
	writeFiles(t, repo, map[string]string{"frontend/storefront.yaml": renamed, "api.yaml": baselineSvc + "---\n" + baselineAPI,
		"worker.yaml": worker})

	code, _, _ := runCLI(t, "scan", repo, "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("without a baseline the old problems fail the gate: exit %d", code)
	}
	newJSON := filepath.Join(tmp, "new.json")
	runCLI(t, "scan", repo, "-o", "json="+newJSON, "--fail-on", "none")

	gated := filepath.Join(tmp, "gated.json")
	code, _, stderr := runCLI(t, "scan", repo, "--baseline", old, "-o", "json="+gated, "--fail-on", "high")
	if code != ExitFindings {
		t.Fatalf("the new hostNetwork must fail the gate: exit %d %s", code, stderr)
	}
	var rep struct {
		Summary struct {
			Baselined int `json:"baselined"`
		} `json:"summary"`
		Findings []struct {
			Check  string
			Object struct{ Ref string }
		} `json:"findings"`
	}
	data, _ := os.ReadFile(gated)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	hostNetwork := false
	for _, f := range rep.Findings {
		if f.Object.Ref != "Deployment/shop/worker" {
			t.Errorf("with the baseline, an old finding is reported: %s on %s", f.Check, f.Object.Ref)
		}
		hostNetwork = hostNetwork || f.Check == "pss-host-namespaces"
	}
	if !hostNetwork || rep.Summary.Baselined == 0 {
		t.Errorf("with the baseline: %d findings (host namespaces among them: %v), %d baselined", len(rep.Findings), hostNetwork, rep.Summary.Baselined)
	}
	// Without the new worker the gate passes.
	writeFiles(t, repo, map[string]string{"frontend/storefront.yaml": renamed, "api.yaml": baselineSvc + "---\n" + baselineAPI})
	if code, out, _ := runCLI(t, "scan", repo, "--baseline", old, "--fail-on", "info"); code != ExitClean ||
		!strings.Contains(out, "in the baseline (not listed, not gated)") {
		t.Errorf("only old findings: exit %d\n%s", code, out)
	}

	code, out, _ := runCLI(t, "diff", old, newJSON, "-o", "json")
	if code != ExitClean {
		t.Fatalf("diff: exit %d", code)
	}
	var d diffJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.New) != len(rep.Findings) || len(d.Fixed) != 0 || len(d.Unchanged) != rep.Summary.Baselined {
		t.Errorf("diff: new %+v, fixed %+v, %d unchanged; want the %d worker findings new and %d unchanged",
			d.New, d.Fixed, len(d.Unchanged), len(rep.Findings), rep.Summary.Baselined)
	}
	for _, f := range d.New {
		if f.Object != "Deployment/shop/worker" {
			t.Errorf("diff: an old finding is new: %+v", f)
		}
	}
	for _, f := range d.Unchanged {
		if f.Object == "Deployment/shop/web" && f.File != "frontend/storefront.yaml" && !strings.HasSuffix(f.File, "storefront.yaml") {
			t.Errorf("unchanged findings are shown where they are now: %+v", f)
		}
	}
	// Reversed, the new findings are fixed; --fail-on gates on new ones only.
	if code, out, _ := runCLI(t, "diff", newJSON, old, "--fail-on", "info"); code != ExitClean ||
		!strings.Contains(out, "Fixed (") || !strings.Contains(out, "0 new, ") {
		t.Errorf("reversed diff: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "diff", old, newJSON, "--fail-on", "high"); code != ExitFindings {
		t.Errorf("diff --fail-on high with a new high finding: exit %d", code)
	}
	if code, _, stderr := runCLI(t, "diff", old, filepath.Join(repo, "api.yaml")); code != ExitError || !strings.Contains(stderr, "not a kubeward JSON report") {
		t.Errorf("diff of a manifest: exit %d %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "scan", repo, "--baseline", filepath.Join(tmp, "missing.json")); code != ExitError {
		t.Errorf("a missing baseline: exit %d", code)
	}
}
