package rbac

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// referYAML is the account the workload of the test runs as.
const referYAML = `apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: shop}
---
`

var referred = regexp.MustCompile(`the finding on (\w+) ([\w.:-]+) (rules\[\d+\]|subjects\[\d+\])`)

// TestBuiltOnChecksReferToTheRule: rbac-workload-service-account and
// rbac-path-to-cluster-admin name the finding on the rule (or binding) that
// grants the rights, which is in the same report, instead of restating the
// rule; and running them beside the rule checks loses no fingerprint.
func TestBuiltOnChecksReferToTheRule(t *testing.T) {
	yaml := referYAML +
		clusterRole("ops", "[{verbs: [get, list], apiGroups: [''], resources: [secrets]}, {verbs: [create], apiGroups: [''], resources: [pods/exec]}]") +
		crb("ops", "ops", "[{kind: ServiceAccount, name: app, namespace: shop}]") +
		clusterRole("imp", "[{verbs: [impersonate], apiGroups: [''], resources: [users, groups, serviceaccounts]}]") +
		crb("imp", "imp", userDev) +
		deployment("shop", "web", "app", "")
	checks := []*check.Check{SecretsRead, PodExec, Impersonate, WorkloadServiceAccount, PathToClusterAdmin}
	var alone []string
	for _, c := range checks {
		for _, f := range checktest.Run(t, yaml, nil, c) {
			alone = append(alone, f.Fingerprint())
		}
	}
	fs := checktest.Run(t, yaml, nil, checks...)
	checktest.Expect(t, fs, "ClusterRole/ops rules[0]", "ClusterRole/ops rules[1]", "ClusterRole/imp rules[0]",
		"Deployment/web spec.template.spec.serviceAccountName", "ClusterRoleBinding/imp subjects[0]")

	places := map[string]bool{}
	var got []string
	for _, f := range fs {
		places[f.Object.Kind+" "+f.Object.Name+" "+f.Path] = true
		got = append(got, f.Fingerprint())
		for _, g := range f.Folded {
			got = append(got, g.Fingerprint())
		}
	}
	for _, f := range fs {
		if f.CheckID != WorkloadServiceAccount.ID && f.CheckID != PathToClusterAdmin.ID {
			continue
		}
		refs := referred.FindAllStringSubmatch(f.Message, -1)
		if len(refs) == 0 {
			t.Errorf("%s names no finding it builds on: %q", f.CheckID, f.Message)
		}
		for _, r := range refs {
			if !places[r[1]+" "+r[2]+" "+r[3]] {
				t.Errorf("%s refers to %q, which is no finding of the report", f.CheckID, r[0])
			}
		}
		for _, restated := range []string{"get secrets", "list secrets", "create pods/exec"} {
			if strings.Contains(f.Message, restated) {
				t.Errorf("%s restates the rule (%q): %q", f.CheckID, restated, f.Message)
			}
		}
	}
	slices.Sort(alone)
	slices.Sort(got)
	if !slices.Equal(alone, got) {
		t.Errorf("fingerprints together %v, alone %v", got, alone)
	}
}
