package rbac

import (
	"os"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

const (
	approvalRule = "{verbs: [update], apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval]}"
	signersRule  = "{verbs: [approve], apiGroups: [certificates.k8s.io], resources: [signers], resourceNames: [kubernetes.io/kube-apiserver-client]}"
)

func TestCSRApproval(t *testing.T) {
	fixtures := clusterScopedFixtures("{verbs: [update, approve], apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval, signers]}",
		"{verbs: [create, get], apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests]}")
	fixtures = append(fixtures,
		fixture{name: "approval and signer in two rules", yaml: clusterRole("r", "["+approvalRule+", "+signersRule+"]") + crb("b", "r", userDev),
			want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "patch on approval, signer from another binding of the holder",
			yaml: clusterRole("r", "[{verbs: [patch], apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval]}]") + crb("b", "r", userDev) +
				clusterRole("s", "["+signersRule+"]") + crb("c", "s", userDev),
			want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "approval without approve on any signer", yaml: clusterRole("r", "["+approvalRule+"]") + crb("b", "r", userDev)},
		fixture{name: "signer held by somebody else", yaml: clusterRole("r", "["+approvalRule+"]") + crb("b", "r", userDev) +
			clusterRole("s", "["+signersRule+"]") + crb("c", "s", "[{kind: User, apiGroup: rbac.authorization.k8s.io, name: other}]")},
		fixture{name: "signer through a RoleBinding grants nothing", yaml: clusterRole("r", "["+approvalRule+"]") + crb("b", "r", userDev) +
			clusterRole("s", "["+signersRule+"]") + rb("a", "c", "ClusterRole", "s", userDev)},
		fixture{name: "approve on signers alone", yaml: clusterRole("r", "["+signersRule+"]") + crb("b", "r", userDev)},
		fixture{name: "not bound: both in the role", yaml: clusterRole("r", "["+signersRule+", "+approvalRule+"]"), want: []string{"ClusterRole/r rules[1]"}},
		fixture{name: "not bound: approval alone", yaml: clusterRole("r", "["+approvalRule+"]")},
	)
	runFixtures(t, CSRApproval, fixtures)
}

// TestCSRApprovalArgoCDServer is the false positive found on the corpus:
// argocd-server's delete, get and patch on every resource of every group
// include patch on certificatesigningrequests/approval, but not approve
// on any signer, so it cannot approve a request.
func TestCSRApprovalArgoCDServer(t *testing.T) {
	yaml, err := os.ReadFile("testdata/argocd-server-rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checktest.Expect(t, checktest.Run(t, string(yaml), nil, CSRApproval))
	// With approve on a signer as well, the same rule can approve.
	withSigner := string(yaml) + "\n---\n" + clusterRole("signer", "["+signersRule+"]") +
		crb("signer", "signer", "[{kind: ServiceAccount, name: argocd-server, namespace: argocd}]")
	checktest.Expect(t, checktest.Run(t, withSigner, nil, CSRApproval), "ClusterRole/argocd-server rules[0]")
}
