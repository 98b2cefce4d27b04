package kubetest

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMergeFlags(t *testing.T) {
	defaults := []string{"--a=1", "--b=2", "--authorization-mode=Node,RBAC", "--c"}
	got := mergeFlags(defaults, []string{"--authorization-mode", "AlwaysAllow", "--c=false", "--d=x", "--d=y", "-e"})
	want := []string{"--a=1", "--b=2", "--authorization-mode=AlwaysAllow", "--c=false", "--d=x", "--d=y", "-e"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mergeFlags = %q, want %q", got, want)
	}
	if got := mergeFlags(defaults, nil); !reflect.DeepEqual(got, defaults) {
		t.Fatalf("mergeFlags(defaults, nil) = %q", got)
	}
	for in, want := range map[string]string{"--x=1": "x", "-x": "x", "--x": "x", "--x=a=b": "x"} {
		if got := flagName(in); got != want {
			t.Errorf("flagName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCacheKey(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module x\n")
	write("go.sum", "")
	write("cmd/etcd/main.go", "package main\n")
	k1, err := cacheKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k2, _ := cacheKey(dir); k2 != k1 {
		t.Fatalf("cacheKey not stable: %s vs %s", k1, k2)
	}
	for _, f := range []string{"go.sum", "go.mod", "cmd/etcd/main.go"} {
		write(f, "changed "+f)
		k, _ := cacheKey(dir)
		if k == k1 {
			t.Errorf("cacheKey did not change with %s", f)
		}
		k1 = k
	}
	write("cmd/new/main.go", "package main\n")
	if k, _ := cacheKey(dir); k == k1 {
		t.Errorf("cacheKey did not change with a new main")
	}
}

func TestFindRepoRoot(t *testing.T) {
	root, err := findRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "test", "cmd", "kube-apiserver", "main.go")); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it returns true or timeout passes; cond's
// string says what it saw last.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func get(t *testing.T, hc *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(body)
}

func TestSecureCluster(t *testing.T) {
	c := Start(t, Options{})
	ctx := context.Background()
	cs := c.Client()

	// The admin can write.
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: ns.Name}, Data: map[string]string{"k": "v"}}
	if _, err := cs.CoreV1().ConfigMaps(ns.Name).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := cs.CoreV1().ConfigMaps(ns.Name).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil || got.Data["k"] != "v" {
		t.Fatalf("get configmap: %v %v", got, err)
	}

	// A user with no bindings gets a real RBAC 403.
	alice := kubernetes.NewForConfigOrDie(c.UserConfig("alice", "dev"))
	_, err = alice.CoreV1().Secrets(ns.Name).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("alice listing secrets: want 403 Forbidden, got %v", err)
	}
	if !strings.Contains(err.Error(), `User "alice" cannot list resource "secrets"`) {
		t.Errorf("unexpected forbidden message: %v", err)
	}
	// The identity is the certificate's: name and groups.
	rev, err := alice.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := rev.Status.UserInfo; u.Username != "alice" || !slices.Contains(u.Groups, "dev") || !slices.Contains(u.Groups, "system:authenticated") {
		t.Errorf("alice's user info = %+v", u)
	}

	// A Role + RoleBinding grants her configmaps but still not secrets,
	// through a kubeconfig file this time.
	if _, err := cs.RbacV1().Roles(ns.Name).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "cm-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns.Name).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "cm-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "cm-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "dev"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := c.UserKubeconfig("alice", "dev")
	raw, err := clientcmd.LoadFromFile(kc)
	if err != nil || raw.CurrentContext != ContextName {
		t.Fatalf("kubeconfig %s: context %q, %v", kc, raw.CurrentContext, err)
	}
	aliceCfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	alice2 := kubernetes.NewForConfigOrDie(aliceCfg)
	eventually(t, 10*time.Second, "alice can list configmaps", func() (bool, string) {
		l, err := alice2.CoreV1().ConfigMaps(ns.Name).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		return len(l.Items) > 0, "no items"
	})
	if _, err := alice2.CoreV1().Secrets(ns.Name).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("alice listing secrets after the configmap grant: want Forbidden, got %v", err)
	}

	// Anonymous requests are rejected (--anonymous-auth=false), profiling is off.
	if code, body := get(t, c.AnonymousHTTPClient(), c.URL+"/version"); code != http.StatusUnauthorized {
		t.Errorf("anonymous /version: got %d %s, want 401", code, body)
	}
	adminHTTP, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, adminHTTP, c.URL+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("admin /debug/pprof/ with --profiling=false: got %d, want 404", code)
	}

	// Service-account tokens are signed and verified with the generated keys.
	sa, err := cs.CoreV1().ServiceAccounts(ns.Name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns.Name).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	robot := kubernetes.NewForConfigOrDie(&rest.Config{Host: c.URL, BearerToken: tr.Status.Token, TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM}})
	rev, err = robot.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:team-a:robot"; rev.Status.UserInfo.Username != want {
		t.Errorf("token user = %q, want %q", rev.Status.UserInfo.Username, want)
	}

	// The flags are reported as used.
	args := c.APIServerArgs()
	for _, want := range []string{"--authorization-mode=Node,RBAC", "--anonymous-auth=false", "--endpoint-reconciler-type=none",
		"--advertise-address=127.0.0.1", "--service-cluster-ip-range=" + ServiceClusterIPRange} {
		if !slices.Contains(args, want) {
			t.Errorf("APIServerArgs lacks %s: %q", want, args)
		}
	}
	if c.ControllerManagerArgs() != nil || c.ControllerManagerURL != "" {
		t.Errorf("no controller manager was asked for")
	}
}

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
`

func TestWeakFlags(t *testing.T) {
	c := Start(t, Options{
		APIServerFlags: []string{
			"--anonymous-auth=true",
			"--profiling", "true",
			"--audit-policy-file=" + DirPlaceholder + "/audit/policy.yaml",
			"--audit-log-path=" + DirPlaceholder + "/logs/audit.log",
		},
		Files: map[string][]byte{"audit/policy.yaml": []byte(auditPolicy)},
	})
	anon := c.AnonymousHTTPClient()
	// system:public-info-viewer lets system:unauthenticated read /version.
	code, body := get(t, anon, c.URL+"/version")
	if code != http.StatusOK || !strings.Contains(body, `"gitVersion"`) {
		t.Errorf("anonymous /version: got %d %s, want 200 with a version", code, body)
	}
	if code, body := get(t, anon, c.URL+"/api/v1/secrets"); code != http.StatusForbidden || !strings.Contains(body, `system:anonymous`) {
		t.Errorf("anonymous list secrets with RBAC: got %d %s, want 403 for system:anonymous", code, body)
	}
	adminHTTP, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, adminHTTP, c.URL+"/debug/pprof/"); code != http.StatusOK {
		t.Errorf("admin /debug/pprof/ with --profiling=true: got %d, want 200", code)
	}

	args := c.APIServerArgs()
	if n := countFlag(args, "anonymous-auth"); n != 1 || !slices.Contains(args, "--anonymous-auth=true") {
		t.Errorf("anonymous-auth should be replaced: %q", args)
	}
	if !slices.Contains(args, "--profiling=true") || countFlag(args, "profiling") != 1 {
		t.Errorf("--profiling true should be joined and replace the default: %q", args)
	}
	if !slices.Contains(args, "--audit-log-path="+filepath.Join(c.Dir, "logs", "audit.log")) {
		t.Errorf("%s not expanded: %q", DirPlaceholder, args)
	}
	eventually(t, 20*time.Second, "audit events in the audit log", func() (bool, string) {
		data, err := os.ReadFile(filepath.Join(c.Dir, "logs", "audit.log"))
		if err != nil {
			return false, err.Error()
		}
		return strings.Contains(string(data), `"requestURI":"/api/v1/secrets"`), "no event for /api/v1/secrets yet"
	})
}

// AlwaysAllow lets every authenticated user do anything. kube-apiserver
// turns anonymous auth off when AlwaysAllow is in the modes (it logs
// "AnonymousAuth is not allowed with the AlwaysAllow authorizer"), so an
// anonymous request is still rejected.
func TestAlwaysAllow(t *testing.T) {
	c := Start(t, Options{APIServerFlags: []string{"--anonymous-auth=true", "--authorization-mode=AlwaysAllow"}})
	args := c.APIServerArgs()
	if countFlag(args, "authorization-mode") != 1 || !slices.Contains(args, "--authorization-mode=AlwaysAllow") {
		t.Errorf("authorization-mode should be replaced: %q", args)
	}
	alice := kubernetes.NewForConfigOrDie(c.UserConfig("alice"))
	if _, err := alice.CoreV1().Secrets("kube-system").List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Errorf("alice listing secrets with AlwaysAllow: %v", err)
	}
	if code, body := get(t, c.AnonymousHTTPClient(), c.URL+"/version"); code != http.StatusUnauthorized {
		t.Errorf("anonymous /version with AlwaysAllow: got %d %s, want 401 (anonymous auth reset by kube-apiserver)", code, body)
	}
}

func countFlag(args []string, name string) int {
	n := 0
	for _, a := range args {
		if flagName(a) == name {
			n++
		}
	}
	return n
}

func TestControllerManager(t *testing.T) {
	c := Start(t, Options{ControllerManager: true})
	ctx := context.Background()
	cs := c.Client()

	// clusterrole-aggregation: "admin" is filled from the aggregate-to-admin
	// roles, including one of our own.
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets-admin", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-admin": "true"}},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}, Verbs: []string{"*"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "aggregated rules in ClusterRole admin", func() (bool, string) {
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, "admin", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		if cr.AggregationRule == nil {
			return false, "admin has no aggregationRule"
		}
		var pods, widgets bool
		for _, r := range cr.Rules {
			pods = pods || slices.Contains(r.Resources, "pods")
			widgets = widgets || slices.Contains(r.Resources, "widgets")
		}
		return pods && widgets, "rules: " + strings.Join(ruleResources(cr.Rules), ",")
	})

	// serviceaccount + root-ca publisher: a new namespace gets its default
	// ServiceAccount and the kube-root-ca.crt ConfigMap.
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-b"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "default ServiceAccount in team-b", func() (bool, string) {
		_, err := cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, errString(err)
	})
	eventually(t, 30*time.Second, "kube-root-ca.crt in team-b", func() (bool, string) {
		cm, err := cs.CoreV1().ConfigMaps(ns.Name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return cm.Data["ca.crt"] == string(c.CAPEM), "ca.crt differs from the cluster CA"
	})

	// serviceaccount-token: since 1.24 no token Secret is generated for a
	// new ServiceAccount, but a Secret of type service-account-token that
	// names one is filled in, and its token authenticates.
	if _, err := cs.CoreV1().ServiceAccounts(ns.Name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if sa, err := cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "builder", metav1.GetOptions{}); err != nil || len(sa.Secrets) != 0 {
		t.Errorf("ServiceAccount builder: secrets %v, err %v; want no auto-generated token secret", sa.Secrets, err)
	}
	if _, err := cs.CoreV1().Secrets(ns.Name).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "builder-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "builder"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var token string
	eventually(t, 30*time.Second, "token in Secret builder-token", func() (bool, string) {
		s, err := cs.CoreV1().Secrets(ns.Name).Get(ctx, "builder-token", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		token = string(s.Data[corev1.ServiceAccountTokenKey])
		return token != "" && string(s.Data[corev1.ServiceAccountRootCAKey]) == string(c.CAPEM) &&
			string(s.Data[corev1.ServiceAccountNamespaceKey]) == ns.Name, "secret not filled yet"
	})
	legacy := kubernetes.NewForConfigOrDie(&rest.Config{Host: c.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM}})
	rev, err := legacy.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:team-b:builder"; rev.Status.UserInfo.Username != want {
		t.Errorf("legacy token user = %q, want %q", rev.Status.UserInfo.Username, want)
	}

	// garbagecollector: deleting an owner deletes its dependents.
	owner, err := cs.CoreV1().ConfigMaps(ns.Name).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns.Name).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Name:            "dependent",
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().ConfigMaps(ns.Name).Delete(ctx, owner.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "garbage collection of ConfigMap dependent", func() (bool, string) {
		_, err := cs.CoreV1().ConfigMaps(ns.Name).Get(ctx, "dependent", metav1.GetOptions{})
		return apierrors.IsNotFound(err), errString(err)
	})

	// namespace: a deleted namespace is emptied and removed.
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "namespace team-b removed", func() (bool, string) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), errString(err)
	})

	if c.ControllerManagerURL == "" || !slices.Contains(c.ControllerManagerArgs(), "--leader-elect=false") {
		t.Errorf("ControllerManagerURL %q, args %q", c.ControllerManagerURL, c.ControllerManagerArgs())
	}
	if code, body := get(t, c.AnonymousHTTPClient(), c.ControllerManagerURL+"/healthz"); code != http.StatusOK {
		t.Errorf("kube-controller-manager /healthz: %d %s", code, body)
	}
}

func ruleResources(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.Resources...)
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// TestEtcdTLS: with EtcdTLS, etcd refuses clients without a certificate of
// its CA, and the API server stores through its client certificate.
func TestEtcdTLS(t *testing.T) {
	c := Start(t, Options{EtcdTLS: true})
	if !strings.HasPrefix(c.EtcdURL, "https://") {
		t.Fatalf("EtcdURL = %s", c.EtcdURL)
	}
	if _, err := c.Client().CoreV1().ConfigMaps("default").Create(context.Background(),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "through-tls"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.EtcdHTTPClient().Get(c.EtcdURL + "/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health with the client certificate: %v %v", err, resp)
	}
	resp.Body.Close()
	insecure := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if resp, err := insecure.Get(c.EtcdURL + "/v3/kv/range"); err == nil {
		resp.Body.Close()
		t.Errorf("etcd answered a client without a certificate: %s", resp.Status)
	}
	for _, want := range []string{"--client-cert-auth=true", "--peer-client-cert-auth=true"} {
		if !slices.Contains(c.EtcdArgs(), want) {
			t.Errorf("etcd flags lack %s: %v", want, c.EtcdArgs())
		}
	}
}
