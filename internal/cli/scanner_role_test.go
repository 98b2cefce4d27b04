package cli

// Tests of the scanning ClusterRole: `kubeward checks --cluster-role`,
// deploy/scanner-role.yaml and the kubeward-scanner chart agree, pass
// kubeward's own scan, and let a real identity read everything.

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/helm"
	batchv1 "k8s.io/api/batch/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

var updateScannerRole = flag.Bool("update-scanner-role", false, "rewrite deploy/scanner-role.yaml from `kubeward checks --cluster-role`")

func scannerChartDir(t testing.TB) string {
	return filepath.Join(repoRoot(t), "deploy", "helm", "kubeward-scanner")
}

// generatedRole is `kubeward checks --cluster-role`, as text and decoded.
func generatedRole(t *testing.T) (string, *rbacv1.ClusterRole) {
	t.Helper()
	code, out, stderr := runCLI(t, "checks", "--cluster-role")
	if code != ExitClean {
		t.Fatalf("checks --cluster-role: exit %d: %s", code, stderr)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict([]byte(out), &role); err != nil {
		t.Fatal(err)
	}
	return out, &role
}

func TestScannerRoleFileUpToDate(t *testing.T) {
	out, _ := generatedRole(t)
	file := filepath.Join(repoRoot(t), "deploy", "scanner-role.yaml")
	if *updateScannerRole {
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != out {
		t.Errorf("deploy/scanner-role.yaml is out of date; regenerate with: go test ./internal/cli -run TestScannerRoleFileUpToDate -update-scanner-role")
	}
}

// renderScanner renders the chart's manifests with these values.
func renderScanner(t *testing.T, set ...string) []manifest.Input {
	t.Helper()
	r, err := helm.New(helm.Options{ReleaseName: "kubeward-scanner", Namespace: "kubeward", Set: set})
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.Render(scannerChartDir(t), "deploy/helm/kubeward-scanner")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// scannerChart renders the chart with these values and scans it.
func scannerChart(t *testing.T, set ...string) *scan.Result {
	t.Helper()
	l, err := loader.New(loader.Options{Helm: helm.Options{ReleaseName: "kubeward-scanner", Namespace: "kubeward", Set: set}})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := scan.New(scan.Options{Checks: check.All()}).Files(l, []string{scannerChartDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %s", p)
	}
	return res
}

// The chart's ClusterRole has the generated rules (without the Secrets
// rule when secrets=none), and the chart passes kubeward's own scan: the
// Secrets grant is reported, suppressed with its reason, not hidden.
func TestScannerChart(t *testing.T) {
	_, want := generatedRole(t)
	for _, tt := range []struct {
		set         []string
		secretsRule bool
		suppressed  []string
	}{
		{nil, true, []string{"rbac-secrets-read ClusterRole/kubeward-scanner (suppressed)", "rbac-workload-service-account CronJob/kubeward-scanner (suppressed)"}},
		{[]string{"secrets=none"}, false, nil},
	} {
		t.Run(strings.Join(tt.set, ","), func(t *testing.T) {
			roles := chartObjects[rbacv1.ClusterRole](t, renderScanner(t, tt.set...), "ClusterRole")
			if len(roles) != 1 {
				t.Fatalf("%d ClusterRoles", len(roles))
			}
			rules := want.Rules
			if !tt.secretsRule {
				rules = rules[:len(rules)-1]
			}
			if !reflect.DeepEqual(roles[0].Rules, rules) {
				t.Errorf("chart rules:\n%+v\nwant (kubeward checks --cluster-role):\n%+v", roles[0].Rules, rules)
			}
			res := scannerChart(t, tt.set...)
			if got := describe(res.Findings); !reflect.DeepEqual(got, tt.suppressed) {
				t.Errorf("findings %q, want %q", got, tt.suppressed)
			}
			if res.Objects < 6 {
				t.Errorf("only %d objects rendered", res.Objects)
			}
		})
	}
}

// TestScannerChartImageCacheWritable: given --images in cronJob.args, the
// scan reads images through the image cache and osv-scalibr unpacks their
// files into the temporary directory; the root file system is read-only,
// so both must be on a writable, bounded emptyDir (cronJob.imageDisk,
// whose sizes TestChartImageDiskFits checks).
func TestScannerChartImageCacheWritable(t *testing.T) {
	jobs := chartObjects[batchv1.CronJob](t, renderScanner(t, "cronJob.args={--images,-o,json}"), "CronJob")
	if len(jobs) != 1 {
		t.Fatalf("%d CronJobs", len(jobs))
	}
	spec := jobs[0].Spec.JobTemplate.Spec.Template.Spec
	checkWritableCache(t, spec)
	if args := spec.Containers[0].Args; !slices.Contains(args, "--images") {
		t.Errorf("args %v", args)
	}
}
