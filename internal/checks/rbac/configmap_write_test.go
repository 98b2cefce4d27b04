package rbac

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestConfigMapWrite(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [patch], apiGroups: [''], resources: [configmaps]}", "{verbs: [get, list, watch], apiGroups: [''], resources: [configmaps]}")
	fixtures = append(fixtures,
		fixture{name: "aws-auth named in kube-system", yaml: role("kube-system", "r", "[{verbs: [update], apiGroups: [''], resources: [configmaps], resourceNames: [aws-auth]}]") + rb("kube-system", "b", "Role", "r", userDev), want: []string{"Role/r rules[0]"}},
		fixture{name: "create through a wildcard verb", yaml: role("a", "r", "[{verbs: ['*'], apiGroups: [''], resources: [configmaps]}]") + rb("a", "b", "Role", "r", userDev), want: []string{"Role/r rules[0]"}},
		fixture{name: "configmaps of another group", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [example.com], resources: [configmaps]}]") + crb("b", "r", userDev)},
	)
	runFixtures(t, ConfigMapWrite, fixtures)
}

func TestConfigMapWriteSeverity(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       check.Severity
	}{
		{"application namespace", role("shop", "r", "[{verbs: [patch], apiGroups: [''], resources: [configmaps]}]") + rb("shop", "b", "Role", "r", userDev), check.Low},
		{"cluster-wide", clusterRole("r", "[{verbs: [patch], apiGroups: [''], resources: [configmaps]}]") + crb("b", "r", userDev), check.High},
		{"kube-system", role("kube-system", "r", "[{verbs: [patch], apiGroups: [''], resources: [configmaps]}]") + rb("kube-system", "b", "Role", "r", userDev), check.High},
		{"aws-auth in kube-system", role("kube-system", "r", "[{verbs: [patch], apiGroups: [''], resources: [configmaps], resourceNames: [aws-auth]}]") + rb("kube-system", "b", "Role", "r", userDev), check.Critical},
		{"create only, cluster-wide", clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: [configmaps]}]") + crb("b", "r", userDev), check.Medium},
		{"its own ConfigMap in kube-system", role("kube-system", "r", "[{verbs: [patch], apiGroups: [''], resources: [configmaps], resourceNames: [my-lock]}]") + rb("kube-system", "b", "Role", "r", userDev), check.Medium},
	} {
		fs := checktest.Run(t, tt.yaml, nil, ConfigMapWrite)
		if len(fs) != 1 || fs[0].Severity != tt.want {
			t.Errorf("%s: %+v, want one finding of severity %s", tt.name, fs, tt.want)
		}
	}
}
