package pss

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/pss"
	"github.com/kubeward/kubeward/internal/sharedtest"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

func TestEveryUpstreamCheckHasAControl(t *testing.T) {
	for _, id := range evaluator.IDs() {
		if _, ok := controls[id]; !ok {
			t.Errorf("upstream check %q has no entry in controls.go", id)
		}
		if _, ok := check.Get(ID(id)); !ok {
			t.Errorf("check %s is not registered", ID(id))
		}
	}
	if len(controls) != len(evaluator.IDs()) {
		t.Errorf("controls.go has %d entries, upstream %d checks", len(controls), len(evaluator.IDs()))
	}
}

func pssChecks() []*check.Check {
	var out []*check.Check
	for _, id := range evaluator.IDs() {
		c, _ := check.Get(ID(id))
		out = append(out, c)
	}
	return out
}

// fixtureDir finds the upstream fixtures in the module cache.
func fixtureDir(t *testing.T) string {
	return sharedtest.ModulePath(t, "k8s.io/pod-security-admission", "test", "testdata")
}

var trailingDigits = regexp.MustCompile(`\d+$`)

// TestUpstreamFixtures runs every pass and fail fixture of the upstream
// module at its level and version: pass fixtures give no finding; fail
// fixtures fail the check they are named after (or, where a restricted
// check overrides it at that level, some check).
func TestUpstreamFixtures(t *testing.T) {
	root := fixtureDir(t)
	byLower := map[string]policy.CheckID{}
	for _, id := range evaluator.IDs() {
		byLower[strings.ToLower(string(id))] = id
	}
	all := pssChecks()
	counts := map[string]int{}
	for _, level := range []string{"baseline", "restricted"} {
		versions, err := os.ReadDir(filepath.Join(root, level))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range versions {
			opts := &check.Options{PSSLevel: level, PSSVersion: v.Name()}
			lv, err := evaluator.LevelVersion(level, v.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, outcome := range []string{"pass", "fail"} {
				files, _ := filepath.Glob(filepath.Join(root, level, v.Name(), outcome, "*.yaml"))
				for _, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					name := strings.TrimSuffix(filepath.Base(f), ".yaml")
					fs := checktest.Run(t, string(data), opts, all...)
					counts[outcome]++
					if outcome == "pass" {
						if len(fs) > 0 {
							t.Errorf("%s/%s/pass/%s: want no finding, got %s: %s", level, v.Name(), name, fs[0].CheckID, fs[0].Message)
						}
						continue
					}
					if len(fs) == 0 {
						t.Errorf("%s/%s/fail/%s: no finding", level, v.Name(), name)
						continue
					}
					id, ok := byLower[trailingDigits.ReplaceAllString(name, "")]
					if !ok || !evaluator.Active(id, lv) {
						continue // the named check is overridden at this level: any finding will do
					}
					found := false
					for _, f := range fs {
						found = found || f.CheckID == ID(id)
					}
					if !found {
						t.Errorf("%s/%s/fail/%s: want %s among %v", level, v.Name(), name, ID(id), checktest.Describe(fs))
					}
				}
			}
		}
	}
	if counts["pass"] < 500 || counts["fail"] < 500 {
		t.Fatalf("read only %v fixtures; the upstream layout changed?", counts)
	}
	t.Logf("fixtures: %v", counts)
}

// TestSameAsUpstreamEvaluator checks that the per-check table reproduces
// the upstream evaluator exactly: same failures, same texts, same order.
func TestSameAsUpstreamEvaluator(t *testing.T) {
	root := fixtureDir(t)
	upstream, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "*", "*", "*", "*.yaml"))
	if len(files) < 1000 {
		t.Fatalf("only %d fixtures", len(files))
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var pod corev1.Pod
		if err := yaml.Unmarshal(data, &pod); err != nil {
			t.Fatal(err)
		}
		pod.Spec = *pss.WithDefaults(&pod.Spec)
		for _, level := range []string{"baseline", "restricted"} {
			for _, version := range []string{"v1.0", "v1.19", "v1.25", "v1.30", "v1.35", "latest"} {
				lv, _ := evaluator.LevelVersion(level, version)
				var want, got []string
				for _, r := range upstream.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec) {
					if !r.Allowed {
						want = append(want, r.ForbiddenReason+"|"+r.ForbiddenDetail)
					}
				}
				for _, v := range evaluator.Evaluate(lv, &pod.ObjectMeta, &pod.Spec) {
					got = append(got, v.Reason+"|"+v.Detail)
				}
				sort.Strings(want)
				sort.Strings(got)
				if strings.Join(want, "\n") != strings.Join(got, "\n") {
					t.Errorf("%s at %s: upstream %q, kubeward %q", f, lv, want, got)
				}
			}
		}
	}
}

func TestPositionsAndWorkloads(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    spec:
      hostNetwork: true
      volumes:
      - name: ok
        emptyDir: {}
      - name: root
        hostPath: {path: /}
      containers:
      - name: main
        image: x
      - name: helper
        image: x
        securityContext:
          privileged: true
`, &check.Options{PSSLevel: "baseline", PSSVersion: "latest"}, pssChecks()...)
	checktest.Expect(t, fs,
		"DaemonSet/agent spec.template.spec.hostNetwork",
		"DaemonSet/agent spec.template.spec.volumes[1].hostPath",
		"DaemonSet/agent spec.template.spec.containers[1].securityContext.privileged",
	)
	lines := map[string]int{}
	for _, f := range fs {
		lines[f.CheckID] = f.Position.Line
		if !strings.HasPrefix(f.Message, `violates PodSecurity "baseline:latest": `) {
			t.Errorf("message %q lacks the upstream form", f.Message)
		}
	}
	if lines["pss-host-namespaces"] != 7 || lines["pss-host-path-volumes"] != 12 || lines["pss-privileged"] != 19 {
		t.Errorf("lines = %v", lines)
	}
}

func TestLevelSelection(t *testing.T) {
	pod := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: x}]
`
	if fs := checktest.Run(t, pod, &check.Options{PSSLevel: "baseline", PSSVersion: "latest"}, pssChecks()...); len(fs) != 0 {
		t.Errorf("baseline: %v", checktest.Describe(fs))
	}
	fs := checktest.Run(t, pod, &check.Options{PSSLevel: "restricted", PSSVersion: "latest"}, pssChecks()...)
	checktest.Expect(t, fs,
		"Pod/p spec.containers[0].securityContext.allowPrivilegeEscalation",
		"Pod/p spec.containers[0].securityContext.capabilities.drop",
		"Pod/p spec.containers[0].securityContext.runAsNonRoot",
		"Pod/p spec.containers[0].securityContext.seccompProfile",
	)
}
