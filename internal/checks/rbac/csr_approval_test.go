package rbac

import "testing"

func TestCSRApproval(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [update], apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval]}", "{verbs: [create, get], apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests]}")
	fixtures = append(fixtures,
		fixture{name: "approve signers", yaml: clusterRole("r", "[{verbs: [approve], apiGroups: [certificates.k8s.io], resources: [signers], resourceNames: [kubernetes.io/kube-apiserver-client]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
	)
	runFixtures(t, CSRApproval, fixtures)
}
