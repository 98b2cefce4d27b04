package rbac

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
	authz "github.com/kubeward/kubeward/internal/rbac"
)

func TestClusterAdminBinding(t *testing.T) {
	runFixtures(t, ClusterAdminBinding, []fixture{
		{name: "bootstrap cluster-admin to a user", yaml: crb("b", "cluster-admin", userDev), want: []string{"ClusterRoleBinding/b subjects[0]"}},
		{name: "own */*/* role to a service account", yaml: clusterRole("god", "[{verbs: ['*'], apiGroups: ['*'], resources: ['*']}]") +
			crb("b", "god", "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: system:kube-scheduler}, {kind: ServiceAccount, name: op, namespace: tools}]"),
			want: []string{"ClusterRoleBinding/b subjects[1]"}},
		{name: "cluster-admin in one namespace is namespace admin", yaml: rb("a", "b", "ClusterRole", "cluster-admin", userDev)},
		{name: "system component", yaml: crb("b", "cluster-admin", kubeSystemS)},
		{name: "broad but not everything", yaml: clusterRole("r", "[{verbs: ['*'], apiGroups: [''], resources: ['*']}]") + crb("b", "r", userDev)},
	})
}

// A ClusterRole named cluster-admin with fewer rules gets */*/* back at the
// API server's next start (bootstrap reconciliation): its bindings are
// judged with the rule it will hold, and the message says why; annotated
// autoupdate: "false" it keeps its rules, and its bindings grant only them.
func TestClusterAdminBindingReconciled(t *testing.T) {
	narrowed := clusterRole("cluster-admin", "[{verbs: [get], apiGroups: [''], resources: [pods]}]")
	fs := checktest.Run(t, narrowed+crb("b", "cluster-admin", userDev), nil, ClusterAdminBinding)
	checktest.Expect(t, fs, "ClusterRoleBinding/b subjects[0]")
	if len(fs) == 1 && !strings.Contains(fs[0].Message, authz.RestoredNote) {
		t.Errorf("message does not say the rule is restored by the API server: %s", fs[0].Message)
	}
	protected := strings.Replace(narrowed, "metadata: {name: cluster-admin}",
		`metadata: {name: cluster-admin, annotations: {rbac.authorization.kubernetes.io/autoupdate: "false"}}`, 1)
	if protected == narrowed {
		t.Fatal("fixture: annotation not added")
	}
	checktest.Expect(t, checktest.Run(t, protected+crb("b", "cluster-admin", userDev), nil, ClusterAdminBinding))
}
