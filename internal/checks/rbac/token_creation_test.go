package rbac

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestTokenCreation(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [create], apiGroups: [''], resources: [serviceaccounts/token]}", "{verbs: [get], apiGroups: [''], resources: [serviceaccounts, serviceaccounts/token]}")
	fixtures = append(fixtures,
		fixture{name: "secret creation", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: [secrets]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
	)
	runFixtures(t, TokenCreation, fixtures)
}

func TestTokenCreationSeverity(t *testing.T) {
	fs := checktest.Run(t, clusterRole("mint", "[{verbs: [create], apiGroups: [''], resources: [serviceaccounts/token]}]")+
		clusterRole("make", "[{verbs: [create], apiGroups: [''], resources: [secrets]}]")+
		crb("a", "mint", userDev)+crb("b", "make", userDev), nil, TokenCreation)
	got := map[string]check.Severity{}
	for _, f := range fs {
		got[f.Object.Name] = f.Severity
	}
	if got["mint"] != check.High || got["make"] != check.Medium {
		t.Errorf("severities %v, want mint high, make medium", got)
	}
}
