package rbac

import "testing"

func TestWebhookConfig(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [patch], apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations]}", "{verbs: [get, list, watch], apiGroups: [admissionregistration.k8s.io], resources: ['*']}")
	fixtures = append(fixtures, fixture{name: "limited to the operator's own configuration",
		yaml: clusterRole("r", "[{verbs: [get, update, patch], apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], resourceNames: [kubeward]}]") + crb("b", "r", userDev)})
	runFixtures(t, WebhookConfig, fixtures)
}
