package rbac

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestOneFindingPerRule: a rule that grants several high-risk capabilities
// is one finding listing each, not one per permission check; each check's
// finding is kept under it with its own fingerprint.
func TestOneFindingPerRule(t *testing.T) {
	yaml := clusterRole("ops", "[{verbs: [get, create], apiGroups: [''], resources: [secrets, pods, pods/exec]}, {verbs: [get], apiGroups: [''], resources: [secrets]}]") +
		crb("ops", "ops", userDev)
	checks := []*check.Check{SecretsRead, PodCreation, PodExec}
	var alone []string
	for _, c := range checks {
		for _, f := range checktest.Run(t, yaml, nil, c) {
			alone = append(alone, f.Fingerprint())
		}
	}
	fs := checktest.Run(t, yaml, nil, checks...)
	checktest.Expect(t, fs, "ClusterRole/ops rules[0]", "ClusterRole/ops rules[1]")
	if len(fs) != 2 {
		return
	}
	if n := len(fs[0].Folded); n != 2 {
		t.Errorf("rules[0] holds %d other checks' findings, want 2", n)
	}
	for _, want := range []string{"create pods", "create pods/exec", "get secrets"} {
		if !strings.Contains(fs[0].Message, want) {
			t.Errorf("message %q does not list %q", fs[0].Message, want)
		}
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Fingerprint())
		for _, g := range f.Folded {
			got = append(got, g.Fingerprint())
		}
	}
	if len(got) != len(alone) {
		t.Errorf("fingerprints %d, want the %d of the checks run alone", len(got), len(alone))
	}
	for _, fp := range alone {
		if !strings.Contains(strings.Join(got, " "), fp) {
			t.Errorf("fingerprint %s lost in folding", fp)
		}
	}
}

// TestWildcardVerbsOnOwnCustomResources: every verb on the input's own
// custom resources, named, is medium at most; on resources the input does
// not define it keeps its severity.
func TestWildcardVerbsOnOwnCustomResources(t *testing.T) {
	rule := "[{verbs: ['*'], apiGroups: [longhorn.io], resources: [volumes, volumes/status, engines]}]"
	crds := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: volumes.longhorn.io}\n---\n" +
		"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: engines.longhorn.io}\n---\n"
	bound := clusterRole("longhorn-role", rule) + crb("b", "longhorn-role", userDev)
	for _, tt := range []struct {
		name, yaml string
		want       check.Severity
	}{
		{"own resources", crds + bound, check.Medium},
		{"no CRD in the input", bound, check.High},
		{"one resource not its own", strings.Replace(crds, "engines.longhorn.io", "replicas.longhorn.io", 1) + bound, check.High},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, tt.yaml, nil, Wildcard)
			checktest.Expect(t, fs, "ClusterRole/longhorn-role rules[0]")
			if len(fs) == 1 && fs[0].Severity != tt.want {
				t.Errorf("severity %s, want %s", fs[0].Severity, tt.want)
			}
		})
	}
}
