package rbac

import "testing"

func TestCloudIAMServiceAccount(t *testing.T) {
	const irsa = "{eks.amazonaws.com/role-arn: 'arn:aws:iam::1:role/x'}"
	const opSA = "[{kind: ServiceAccount, name: op, namespace: tools}]"
	listSecrets := clusterRole("r", "[{verbs: [list], apiGroups: [''], resources: [secrets]}]")
	runFixtures(t, CloudIAMServiceAccount, []fixture{
		{name: "IRSA account reads every Secret", yaml: serviceAccount("tools", "op", irsa) + listSecrets + crb("b", "r", opSA),
			want: []string{"ServiceAccount/op metadata.annotations[eks.amazonaws.com/role-arn]"}},
		{name: "GKE account can exec in another namespace", yaml: serviceAccount("tools", "op", "{iam.gke.io/gcp-service-account: x@p.iam.gserviceaccount.com}") +
			role("prod", "r", "[{verbs: [create], apiGroups: [''], resources: [pods/exec]}]") + rb("prod", "b", "Role", "r", opSA),
			want: []string{"ServiceAccount/op metadata.annotations[iam.gke.io/gcp-service-account]"}},
		{name: "no cloud identity", yaml: serviceAccount("tools", "op", "") + listSecrets + crb("b", "r", opSA)},
		{name: "cloud identity without risky rights", yaml: serviceAccount("tools", "op", irsa) +
			clusterRole("r", "[{verbs: [get, list], apiGroups: [''], resources: [configmaps]}]") + crb("b", "r", opSA)},
	})
}
