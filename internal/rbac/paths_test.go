package rbac

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func sa(ns, name string) Subject { return Subject{Kind: KindServiceAccount, Namespace: ns, Name: name} }

func TestEscalationPathIssueExample(t *testing.T) {
	in, err := WithBootstrap(Input{
		ClusterRoles: []*rbacv1.ClusterRole{clusterRole("pod-maker", nil, "create|core|pods"), clusterRole("secret-reader", nil, "get,list|core|secrets")},
		RoleBindings: []*rbacv1.RoleBinding{
			rb("a", "dev-pods", "ClusterRole/pod-maker", "User:dev"),
			rb("kube-system", "s-reads", "ClusterRole/secret-reader", "SA:a:s"),
		},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("t-admin", "cluster-admin", "SA:kube-system:t")},
		ServiceAccounts: []*corev1.ServiceAccount{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "s"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "harmless"}},
		},
		TokenSecrets: []TokenSecret{{Namespace: "kube-system", Name: "t-token", ServiceAccount: "t"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g := Build(in, Options{}).Escalation()
	p := g.PathToAdmin(Subject{Kind: KindUser, Name: "dev"})
	if p == nil {
		t.Fatal("no path from User dev")
	}
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.From.String()+" | "+s.Action+" | "+s.To.String()+" | "+s.Grants[0].Binding.String())
	}
	want := []string{
		"User dev | can create pods in namespace a and run a pod as | ServiceAccount a/s | RoleBinding a/dev-pods",
		"ServiceAccount a/s | can read Secret kube-system/t-token, the token of | ServiceAccount kube-system/t | RoleBinding kube-system/s-reads",
		"ServiceAccount kube-system/t | holds every verb on every resource cluster-wide | ClusterAdmin cluster-admin equivalent | ClusterRoleBinding t-admin",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("path:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The harmless account has no path; system components' bootstrap
	// bindings do not make ordinary users admins.
	if p := g.PathToAdmin(sa("a", "harmless")); p != nil {
		t.Errorf("harmless has a path: %v", p.Steps)
	}
	if p := g.PathToAdmin(Subject{Kind: KindUser, Name: "random"}); p != nil {
		t.Errorf("an unbound user has a path: %v", p.Steps)
	}
}

func TestEscalationEdges(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules []string
		ns    string // "" binds cluster-wide
		admin bool
	}{
		{"wildcard cluster-wide", []string{"*|*|*"}, "", true},
		{"wildcard in one namespace", []string{"*|*|*"}, "a", false},
		{"bind cluster-admin", []string{"create|rbac.authorization.k8s.io|clusterrolebindings", "bind|rbac.authorization.k8s.io|clusterroles|cluster-admin"}, "", true},
		{"bind another role only", []string{"create|rbac.authorization.k8s.io|clusterrolebindings", "bind|rbac.authorization.k8s.io|clusterroles|view"}, "", false},
		{"escalate", []string{"escalate,update|rbac.authorization.k8s.io|clusterroles"}, "", true},
		{"impersonate masters", []string{"impersonate|core|groups|system:masters", "impersonate|core|users"}, "", true},
		{"impersonate group without user", []string{"impersonate|core|groups|system:masters"}, "", false},
		{"impersonate admin SA", []string{"impersonate|core|serviceaccounts"}, "", true},
		{"csr approve", []string{"create|certificates.k8s.io|certificatesigningrequests", "update|certificates.k8s.io|certificatesigningrequests/approval", "approve|certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client"}, "", true},
		{"csr approve kubelet signer only", []string{"create|certificates.k8s.io|certificatesigningrequests", "update|certificates.k8s.io|certificatesigningrequests/approval", "approve|certificates.k8s.io|signers|kubernetes.io/kubelet-serving"}, "", false},
		{"token for admin SA", []string{"create|core|serviceaccounts/token|boss"}, "kube-system", true},
		{"token for another SA", []string{"create|core|serviceaccounts/token|other"}, "kube-system", false},
		{"deployments in kube-system", []string{"create|apps|deployments"}, "kube-system", true},
		{"deployments elsewhere", []string{"create|apps|deployments"}, "a", false},
		{"exec in kube-system", []string{"create|core|pods/exec"}, "kube-system", true},
		{"get pods/exec is not exec", []string{"get|core|pods/exec"}, "kube-system", false},
		{"nodes/proxy", []string{"get|core|nodes/proxy"}, "", true},
		{"create+get secrets", []string{"create,get|core|secrets"}, "kube-system", true},
		{"read configmaps", []string{"get,list|core|configmaps"}, "kube-system", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := Input{
				ClusterRoles:        []*rbacv1.ClusterRole{clusterRole("cluster-admin", nil, "*|*|*", "*|URL:*"), clusterRole("view", nil, "get|*|*"), clusterRole("x", nil, c.rules...)},
				ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{crb("boss", "cluster-admin", "SA:kube-system:boss")},
				ServiceAccounts:     []*corev1.ServiceAccount{{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "boss"}}, {ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "other"}}},
				Workloads:           []Workload{{Object: ObjectRef{Kind: "Deployment", Namespace: "kube-system", Name: "op"}, ServiceAccount: "boss"}},
				Namespaces:          []string{"a"},
			}
			if c.ns == "" {
				in.ClusterRoleBindings = append(in.ClusterRoleBindings, crb("x", "x", "User:mallory"))
			} else {
				in.RoleBindings = []*rbacv1.RoleBinding{rb(c.ns, "x", "ClusterRole/x", "User:mallory")}
			}
			g := Build(in, Options{}).Escalation()
			p := g.PathToAdmin(Subject{Kind: KindUser, Name: "mallory"})
			if (p != nil) != c.admin {
				t.Fatalf("path = %v, want admin=%v", p, c.admin)
			}
			if p != nil {
				for _, s := range p.Steps {
					if len(s.Grants) == 0 {
						t.Errorf("step %v names no grant", s)
					}
				}
			}
		})
	}
}
