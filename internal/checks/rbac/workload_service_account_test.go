package rbac

import "testing"

func TestWorkloadServiceAccount(t *testing.T) {
	const opSA = "[{kind: ServiceAccount, name: op, namespace: tools}]"
	listSecrets := clusterRole("r", "[{verbs: [list], apiGroups: [''], resources: [secrets]}]")
	runFixtures(t, WorkloadServiceAccount, []fixture{
		{name: "runs as an account that reads every Secret", yaml: deployment("tools", "web", "op", "") + listSecrets + crb("b", "r", opSA),
			want: []string{"Deployment/web spec.template.spec.serviceAccountName"}},
		{name: "default account bound through system:serviceaccounts", yaml: deployment("tools", "web", "default", "") + listSecrets +
			crb("b", "r", "[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:serviceaccounts}]"),
			want: []string{"Deployment/web spec.template.spec.serviceAccountName"}},
		{name: "token not mounted", yaml: deployment("tools", "web", "op", ", automountServiceAccountToken: false") + listSecrets + crb("b", "r", opSA)},
		{name: "account does not mount by default", yaml: deployment("tools", "web", "op", "") + "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: op, namespace: tools}\nautomountServiceAccountToken: false\n---\n" + listSecrets + crb("b", "r", opSA)},
		{name: "Secrets of its own namespace only", yaml: deployment("tools", "web", "op", "") + role("tools", "r", "[{verbs: [get, list], apiGroups: [''], resources: [secrets]}]") + rb("tools", "b", "Role", "r", opSA)},
		{name: "system namespace", yaml: deployment("kube-system", "web", "op", "") + listSecrets + crb("b", "r", "[{kind: ServiceAccount, name: op, namespace: kube-system}]")},
	})
}
