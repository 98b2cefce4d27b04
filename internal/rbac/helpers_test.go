package rbac

import (
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// rule parses "verbs|groups|resources[|names]" or "verbs|URL:urls" (lists
// comma-separated; an empty group is written as "core").
func rule(s string) rbacv1.PolicyRule {
	p := strings.Split(s, "|")
	split := func(x string) []string {
		if x == "" {
			return nil
		}
		out := strings.Split(x, ",")
		for i := range out {
			if out[i] == "core" {
				out[i] = ""
			}
		}
		return out
	}
	r := rbacv1.PolicyRule{Verbs: split(p[0])}
	if u, ok := strings.CutPrefix(p[1], "URL:"); ok {
		r.NonResourceURLs = split(u)
		return r
	}
	r.APIGroups = split(p[1])
	r.Resources = split(p[2])
	if len(p) > 3 {
		r.ResourceNames = split(p[3])
	}
	return r
}

func rules(ss ...string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, s := range ss {
		out = append(out, rule(s))
	}
	return out
}

func clusterRole(name string, labels map[string]string, rs ...string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Rules: rules(rs...)}
}

func nsRole(ns, name string, rs ...string) *rbacv1.Role {
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules(rs...)}
}

// subj parses "User:alice", "Group:devs", "SA:ns:name" or "SA::name".
func subj(s string) rbacv1.Subject {
	kind, name, _ := strings.Cut(s, ":")
	p := strings.SplitN(s, ":", 3)
	switch kind {
	case "User", "Group":
		return rbacv1.Subject{Kind: kind, APIGroup: rbacv1.GroupName, Name: name}
	case "SA":
		return rbacv1.Subject{Kind: "ServiceAccount", Namespace: p[1], Name: p[2]}
	}
	return rbacv1.Subject{Kind: kind, Name: name}
}

func subjects(ss []string) []rbacv1.Subject {
	var out []rbacv1.Subject
	for _, s := range ss {
		out = append(out, subj(s))
	}
	return out
}

func crb(name, role string, ss ...string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects: subjects(ss)}
}

// rb binds "Role/name" or "ClusterRole/name".
func rb(ns, name, ref string, ss ...string) *rbacv1.RoleBinding {
	kind, rname, _ := strings.Cut(ref, "/")
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: rname},
		Subjects: subjects(ss)}
}

func res(verb, group, resource, ns string) Attributes {
	r, sub, _ := strings.Cut(resource, "/")
	return Attributes{Verb: verb, APIGroup: group, Resource: r, Subresource: sub, Namespace: ns}
}

// settleTimeout bounds a wait for the API server's authorizer or
// kube-controller-manager to catch up with a test's writes. Both lag by
// seconds on a loaded 2-core machine; the bound costs time only when the
// wait fails.
const settleTimeout = 2 * time.Minute

// eventually calls cond until it returns "" (done), failing the test on an
// error or, with cond's last answer, after settleTimeout.
func eventually(t *testing.T, what string, cond func() (string, error)) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		diff, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s:%s", what, settleTimeout, diff)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
