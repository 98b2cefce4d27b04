package framework_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
)

const privileged = `apiVersion: apps/v1
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

const hardened = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: api
        image: ghcr.io/example/api:2
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
`

// scanFiles scans manifests with the framework's checks at its Pod
// Security level, as scan --framework does.
func scanFiles(t *testing.T, fw *framework.Framework, files map[string]string) (*scan.Result, *inventory.Inventory) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := check.DefaultOptions()
	if fw.PSSLevel != "" {
		opts.PSSLevel = fw.PSSLevel
	}
	checks, err := check.Select(check.All(), fw.Checks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, inv, err := scan.New(scan.Options{Checks: checks, CheckOptions: opts}).Files(loader.Default(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	return res, inv
}

func get(t *testing.T, id string) *framework.Framework {
	t.Helper()
	fw, err := framework.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

func control(t *testing.T, r *framework.Result, id string) framework.ControlResult {
	t.Helper()
	for _, c := range r.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("%s has no control %s", r.Framework.ID, id)
	return framework.ControlResult{}
}

func TestEvaluateFiles(t *testing.T) {
	cis := get(t, "cis-1.12")
	res, _ := scanFiles(t, cis, map[string]string{"web.yaml": privileged, "api.yaml": hardened})
	r := framework.Evaluate(cis, res)
	for _, tc := range []struct {
		control string
		want    framework.Status
		objects []string
	}{
		// The privileged container fails 5.2.2; the hardened one does not.
		{"5.2.2", framework.Failed, []string{"Deployment/shop/web"}},
		// Neither shares a host namespace: judged and passed.
		{"5.2.3", framework.Passed, nil},
		// The API server's flags are not in application manifests.
		{"1.2.1", framework.NotApplicable, nil},
		// Nor the kubelet's configuration.
		{"4.2.1", framework.NotApplicable, nil},
		// No check decides it.
		{"5.3.1", framework.Manual, nil},
		// Image provenance needs registry policies this scan did not set.
		{"5.5.1", framework.NotChecked, nil},
	} {
		c := control(t, r, tc.control)
		if c.Status != tc.want || !slices.Equal(c.Objects, tc.objects) {
			t.Errorf("%s: %s %v, want %s %v (%s)", tc.control, c.Status, c.Objects, tc.want, tc.objects, c.Reason)
		}
		// The refs name the same objects, with their API version.
		if len(c.Refs) != len(c.Objects) {
			t.Errorf("%s: refs %v for objects %v", tc.control, c.Refs, c.Objects)
		}
		for i, ref := range c.Refs {
			if ref.String() != c.Objects[i] || ref.APIVersion == "" {
				t.Errorf("%s: ref %d is %+v, object %s", tc.control, i, ref, c.Objects[i])
			}
		}
	}
	total := 0
	for _, n := range r.Counts {
		total += n
	}
	if total != len(cis.Controls) {
		t.Errorf("counts %v add up to %d, want %d controls", r.Counts, total, len(cis.Controls))
	}
	want := float64(r.Counts[framework.Passed]) * 100 /
		float64(r.Counts[framework.Passed]+r.Counts[framework.Failed]+r.Counts[framework.NotChecked])
	if r.Score != want || r.Score <= 0 || r.Score >= 100 {
		t.Errorf("score %v, want %v", r.Score, want)
	}
}

// TestEvaluateSuppressed: a suppressed finding does not fail its control.
func TestEvaluateSuppressed(t *testing.T) {
	pss := get(t, "pss-baseline")
	res, _ := scanFiles(t, pss, map[string]string{"web.yaml": privileged})
	if c := control(t, framework.Evaluate(pss, res), "3"); c.Status != framework.Failed {
		t.Fatalf("privileged container: control 3 is %s", c.Status)
	}
	for i := range res.Findings {
		res.Findings[i].Suppression = &check.SuppressionStatus{Reason: "accepted"}
	}
	if c := control(t, framework.Evaluate(pss, res), "3"); c.Status != framework.Passed {
		t.Errorf("suppressed finding: control 3 is %s, want passed", c.Status)
	}
}

// TestEvaluateStepAside: at the restricted level the baseline capability
// check steps aside for the restricted one, which still decides the
// baseline control; a level that runs neither leaves it not checked.
func TestEvaluateStepAside(t *testing.T) {
	restricted := get(t, "pss-restricted")
	res, _ := scanFiles(t, restricted, map[string]string{"api.yaml": hardened})
	r := framework.Evaluate(restricted, res)
	if c := control(t, r, "4"); c.Status != framework.Passed {
		t.Errorf("hardened pod at restricted: control 4 is %s (%s)", c.Status, c.Reason)
	}
	if r.Counts[framework.NotChecked] != 0 || r.Counts[framework.Failed] != 0 {
		t.Errorf("hardened pod at restricted: %v", r.Counts)
	}
	// The restricted framework judged at baseline: its restricted controls
	// were not looked at, and are not called passed.
	fw := *restricted
	fw.PSSLevel = ""
	res, _ = scanFiles(t, &fw, map[string]string{"api.yaml": hardened})
	if c := control(t, framework.Evaluate(restricted, res), "16"); c.Status != framework.NotChecked {
		t.Errorf("restricted control 16 at baseline: %s, want not-checked", c.Status)
	}
}

// TestEvaluateCoverage: a kind a cluster scan could not read leaves the
// controls of its checks not checked; a control plane accepted as absent
// makes its controls not applicable.
func TestEvaluateCoverage(t *testing.T) {
	cis := get(t, "cis-1.12")
	checks, err := check.Select(check.All(), cis.Checks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := check.DefaultOptions()
	opts.PSSLevel = cis.PSSLevel
	unreadable := []scan.Unreadable{{Kind: schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
		Resource: schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, Forbidden: true,
		Reason: "forbidden to list cluster-wide"}}
	run := func(accepts ...scan.AcceptGap) *framework.Result {
		res := scan.New(scan.Options{Checks: checks, CheckOptions: opts, Mode: scan.ModeCluster, Unreadable: unreadable,
			AcceptGaps: accepts}).Inventory(inventory.NewInventory())
		return framework.Evaluate(cis, res)
	}
	r := run()
	if c := control(t, r, "5.1.3"); c.Status != framework.NotChecked || c.Reason == "" {
		t.Errorf("wildcard roles with ClusterRoles unreadable: %s (%q), want not-checked with a reason", c.Status, c.Reason)
	}
	if c := control(t, r, "1.2.1"); c.Status != framework.NotChecked {
		t.Errorf("API server not visible: 1.2.1 is %s, want not-checked", c.Status)
	}
	r = run(scan.AcceptGap{ID: check.GapControlPlane, Reason: "managed control plane", Origin: "test"})
	if c := control(t, r, "1.2.1"); c.Status != framework.NotApplicable {
		t.Errorf("control plane accepted as absent: 1.2.1 is %s, want not-applicable", c.Status)
	}
}

// TestEvaluateFolded: a finding folded into another about the same root
// cause (pss-host-path-volumes under sensitive-host-path) still fails its
// own check's control.
func TestEvaluateFolded(t *testing.T) {
	pss := get(t, "pss-baseline")
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: ns}\nspec:\n  containers: [{name: c, image: x, volumeMounts: [{name: sock, mountPath: /var/run/docker.sock}]}]\n  volumes: [{name: sock, hostPath: {path: /var/run/docker.sock}}]\n"
	res, _ := scanFiles(t, pss, map[string]string{"agent.yaml": pod})
	var folded []check.Finding
	for _, f := range res.Findings {
		if f.CheckID == "pss-host-path-volumes" {
			lead := f
			lead.CheckID, lead.Folded = "sensitive-host-path", []check.Finding{f}
			folded = append(folded, lead)
		}
	}
	if len(folded) != 1 {
		t.Fatalf("findings %v: want one pss-host-path-volumes", res.Findings)
	}
	res.Findings = folded
	if c := control(t, framework.Evaluate(pss, res), "5"); c.Status != framework.Failed {
		t.Errorf("folded hostPath finding: control 5 is %s, want failed", c.Status)
	}
}
