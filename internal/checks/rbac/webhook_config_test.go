package rbac

import "testing"

func TestWebhookConfig(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [patch], apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations]}", "{verbs: [get, list, watch], apiGroups: [admissionregistration.k8s.io], resources: ['*']}")
	runFixtures(t, WebhookConfig, fixtures)
}
