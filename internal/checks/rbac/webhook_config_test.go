package rbac

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestWebhookConfig(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [patch], apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations]}", "{verbs: [get, list, watch], apiGroups: [admissionregistration.k8s.io], resources: ['*']}")
	runFixtures(t, WebhookConfig, fixtures)
	named := clusterRole("r", "[{verbs: [get, update, patch], apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], resourceNames: [kubeward]}]") + crb("b", "r", userDev)
	fs := checktest.Run(t, named, nil, WebhookConfig)
	if len(fs) != 1 || fs[0].Severity != check.Info {
		t.Errorf("a rule limited to the operator's own configuration: %+v, want one info finding", fs)
	}
}
