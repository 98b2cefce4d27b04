package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/restmapper"

	"github.com/kubeward/kubeward/internal/kubetest"
)

const rbacManifests = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: shop}
rules: [{verbs: [create], apiGroups: [apps], resources: [deployments]}, {verbs: [get], apiGroups: [""], resources: [secrets], resourceNames: [db]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: ci-bot}, {kind: ServiceAccount, name: web}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: shop-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: operator, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ghost, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: missing}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: nobody}]
`

type whoCanJSON struct {
	Subjects []struct {
		Subject struct{ Kind, Name, Namespace string } `json:"subject"`
		Grants  []struct {
			Binding struct{ Kind, Namespace, Name string } `json:"binding"`
		} `json:"grants"`
	} `json:"subjects"`
}

func (w whoCanJSON) names() []string {
	var out []string
	for _, s := range w.Subjects {
		n := s.Subject.Kind + ":" + s.Subject.Name
		if s.Subject.Namespace != "" {
			n = s.Subject.Kind + ":" + s.Subject.Namespace + "/" + s.Subject.Name
		}
		out = append(out, n)
	}
	return out
}

func TestRBACCommandsOnFiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(file, []byte(rbacManifests), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "rbac", "who-can", "create", "deployments.apps", "-n", "shop", "-f", file, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var w whoCanJSON
	if err := json.Unmarshal([]byte(out), &w); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(w.names(), " ")
	// system:masters and the bootstrap admin-like bindings are there, plus ours.
	for _, want := range []string{"Group:system:masters", "User:ci-bot", "ServiceAccount:shop/web", "ServiceAccount:shop/operator"} {
		if !strings.Contains(got, want) {
			t.Errorf("who-can lacks %s: %s", want, got)
		}
	}
	if strings.Contains(got, "nobody") {
		t.Errorf("a binding to a missing role grants: %s", got)
	}
	if !strings.Contains(stderr, `Role "missing" not found`) {
		t.Errorf("missing role not reported: %q", stderr)
	}

	// resourceNames: only a named request matches.
	_, out, _ = runCLI(t, "rbac", "who-can", "get", "secrets", "-n", "shop", "--name", "db", "-f", file)
	if !strings.Contains(out, "User ci-bot") {
		t.Errorf("named get: %s", out)
	}
	_, out, _ = runCLI(t, "rbac", "who-can", "list", "secrets", "-n", "shop", "-f", file)
	if strings.Contains(out, "ci-bot") {
		t.Errorf("list matched a resourceNames rule: %s", out)
	}

	code, out, stderr = runCLI(t, "rbac", "can", "sa:shop/web", "-f", file)
	if code != 0 || !strings.Contains(out, "RoleBinding shop/ci") || !strings.Contains(out, "deployments") {
		t.Errorf("can: exit %d\n%s\n%s", code, out, stderr)
	}

	code, out, _ = runCLI(t, "rbac", "paths", "user:ci-bot", "-f", file)
	if code != 0 || !strings.Contains(out, "can create deployments in namespace shop and run a pod as ServiceAccount shop/operator") ||
		!strings.Contains(out, "allowed by ClusterRoleBinding shop-admin") {
		t.Errorf("paths:\n%s", out)
	}

	for _, bad := range [][]string{
		{"rbac", "who-can", "get", "a/b/c", "-f", file},
		{"rbac", "can", "robot:r2", "-f", file},
		{"rbac", "who-can", "get", "pods"},
		{"rbac", "who-can", "get", "pods", "-f", file, "-o", "yaml"},
	} {
		if code, _, _ := runCLI(t, bad...); code != ExitError {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitError)
		}
	}
}

// TestRBACCommandsOnCluster runs the commands against a real API server and
// checks who-can against SubjectAccessReviews.
func TestRBACCommandsOnCluster(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	cs := c.Client()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().Roles("shop").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "exec", Namespace: "shop"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "exec", Namespace: "shop"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "exec"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "oncall"}, {Kind: "Group", APIGroup: rbacv1.GroupName, Name: "sre"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A custom resource named by its short name, as kubectl resolves it
	// through the cluster's discovery.
	k := newKube(t, c)
	crd := func(plural, singular, kind, scope, shortNames string) string {
		return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %s.example.com}
spec:
  group: example.com
  scope: %s
  names: {plural: %s, singular: %s, kind: %s, shortNames: [%s]}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]`,
			plural, scope, plural, singular, kind, shortNames)
	}
	k.mustCreate(ctx, c.Config, obj(t, crd("widgets", "widget", "Widget", "Namespaced", "wdg")))
	// A cluster-scoped custom resource, which the RoleBinding never grants.
	k.mustCreate(ctx, c.Config, obj(t, crd("gizmos", "gizmo", "Gizmo", "Cluster", "")))
	k.mustCreate(ctx, c.Config, obj(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: widgets, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: widget-reader}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: oncall}]`))
	k.mustCreate(ctx, c.Config, obj(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: widget-reader}
rules: [{verbs: [get], apiGroups: [example.com], resources: [widgets, gizmos]}]`))
	// Discovery, which the command reads, serves both kinds once the mapper
	// finds them (k.resource waits for that).
	for _, kind := range []string{"Widget", "Gizmo"} {
		if _, _, err := k.resource(c.Config, obj(t, "apiVersion: example.com/v1\nkind: "+kind+"\nmetadata: {name: x, namespace: shop}")); err != nil {
			t.Fatalf("the CRD of %s is not served: %v", kind, err)
		}
	}
	for _, res := range []string{"wdg", "widget", "Widget", "widgets.v1.example.com"} {
		code, out, stderr := runCLI(t, "rbac", "can", "user:oncall", "get", res, "-n", "shop", "--cluster", "--kubeconfig", c.Kubeconfig)
		if code != 0 || !strings.Contains(out, "may get widgets.example.com in namespace shop") {
			t.Errorf("can oncall get %s: exit %d\n%s%s", res, code, out, stderr)
		}
	}
	// A custom resource that shares its names with a built-in one, in a
	// group sorting before it (Calico's): each name resolves as kubectl's
	// own mapper resolves it over the cluster's discovery. (Not a short name
	// two groups share, such as ev: kubectl's expander meets them in the
	// order of a map, so it picks either.)
	k.mustCreate(ctx, c.Config, obj(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: networkpolicies.crd.projectcalico.org}
spec:
  group: crd.projectcalico.org
  scope: Namespaced
  names: {plural: networkpolicies, singular: networkpolicy, kind: NetworkPolicy, shortNames: [cnp]}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]`))
	if _, _, err := k.resource(c.Config, obj(t, "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}")); err != nil {
		t.Fatalf("the CRD of Calico's NetworkPolicy is not served: %v", err)
	}
	kubectl := kubectlMapper(t, c)
	for _, res := range []string{"networkpolicies", "networkpolicy", "NetworkPolicy", "netpol", "cnp", "wdg", "deploy", "events"} {
		gvr, err := kubectl.ResourceFor(schema.GroupVersionResource{Resource: strings.ToLower(res)})
		if err != nil {
			t.Fatalf("kubectl's mapper: %s: %v", res, err)
		}
		want := gvr.GroupResource().String()
		_, out, stderr := runCLI(t, "rbac", "can", "user:oncall", "get", res, "-n", "shop", "--cluster", "--kubeconfig", c.Kubeconfig)
		if !strings.Contains(out+stderr, " get "+want+" in namespace shop") {
			t.Errorf("can oncall get %s: kubectl asks about %s; kubeward:\n%s%s", res, want, out, stderr)
		}
	}
	code, out, stderr := runCLI(t, "rbac", "can", "user:oncall", "get", "gizmo", "-n", "shop", "--cluster", "--kubeconfig", c.Kubeconfig)
	if code != 1 || !strings.Contains(stderr, "gizmos is cluster-scoped") {
		t.Errorf("a RoleBinding grants a cluster-scoped custom resource: exit %d\n%s%s", code, out, stderr)
	}
	if _, out, _ := runCLI(t, "rbac", "can", "user:oncall", "--cluster", "--kubeconfig", c.Kubeconfig); strings.Contains(out, "gizmos") {
		t.Errorf("the list shows a cluster-scoped resource granted by a RoleBinding:\n%s", out)
	}
	if _, _, stderr := runCLI(t, "rbac", "can", "user:oncall", "get", "gadgets", "-n", "shop", "--cluster", "--kubeconfig", c.Kubeconfig); !strings.Contains(stderr, `the cluster serves no resource "gadgets"`) {
		t.Errorf("no note for a resource the cluster does not serve: %s", stderr)
	}

	code, out, stderr = runCLI(t, "rbac", "who-can", "create", "pods/exec", "-n", "shop", "--cluster", "--kubeconfig", c.Kubeconfig, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var w whoCanJSON
	if err := json.Unmarshal([]byte(out), &w); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, n := range w.names() {
		listed[n] = true
	}
	for _, n := range []string{"User:oncall", "Group:sre", "Group:system:masters"} {
		if !listed[n] {
			t.Errorf("who-can on the cluster lacks %s: %v", n, w.names())
		}
	}
	// Every listed user and group is allowed by the API server, and a
	// subject not listed is not.
	for n := range listed {
		kind, name, _ := strings.Cut(n, ":")
		if kind == "ServiceAccount" {
			ns, sa, _ := strings.Cut(name, "/")
			kind, name = "User", "system:serviceaccount:"+ns+":"+sa
		}
		if !sarAllows(t, c, kind, name) {
			t.Errorf("who-can lists %s, the API server denies it", n)
		}
	}
	if sarAllows(t, c, "User", "bystander") {
		t.Error("the API server allows an unlisted user")
	}
	code, out, _ = runCLI(t, "rbac", "can", "user:oncall", "--cluster", "--kubeconfig", c.Kubeconfig)
	if code != 0 || !strings.Contains(out, "pods/exec") || !strings.Contains(out, "RoleBinding shop/exec") {
		t.Errorf("can on the cluster:\n%s", out)
	}
	// One question, answered as the API server answers it.
	for _, tc := range []struct {
		user string
		want int
	}{{"oncall", 0}, {"bystander", 1}} {
		code, out, stderr := runCLI(t, "rbac", "can", "user:"+tc.user, "create", "pods/exec", "-n", "shop", "--cluster", "--kubeconfig", c.Kubeconfig)
		server := map[bool]int{true: 0, false: 1}[sarAllows(t, c, "User", tc.user)]
		if code != tc.want || code != server {
			t.Errorf("can %s create pods/exec: exit %d, want %d (the API server: %d)\n%s%s", tc.user, code, tc.want, server, out, stderr)
		}
	}
}

// kubectlMapper is the RESTMapper kubectl auth can-i names resources with:
// discovery's groups in the server's order, short names expanded.
func kubectlMapper(t *testing.T, c *kubetest.Cluster) meta.RESTMapper {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		t.Fatal(err)
	}
	return restmapper.NewShortcutExpander(restmapper.NewDiscoveryRESTMapper(groups), dc, nil)
}

func TestRBACCanAnswersOneQuestion(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(file, []byte(rbacManifests+`---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: debug, namespace: shop}
rules: [{verbs: [get], apiGroups: [""], resources: [pods/exec, nodes]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debug, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debug}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: ci-bot}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"user:ci-bot", "create", "deployments.apps", "-n", "shop"}, 0, []string{"yes", "allowed by RoleBinding shop/ci -> Role shop/deployer rule 0"}},
		{[]string{"user:ci-bot", "create", "deployments.apps", "-n", "prod"}, 1, []string{"no", "no binding of User ci-bot"}},
		// Resources named as kubectl users type them: plural without the
		// group, singular, short name, kind, RESOURCE.VERSION.GROUP.
		{[]string{"user:ci-bot", "create", "deployments", "-n", "shop"}, 0, []string{"yes", "may create deployments.apps in namespace shop"}},
		{[]string{"user:ci-bot", "create", "deploy", "-n", "shop"}, 0, []string{"yes", "deployments.apps"}},
		{[]string{"user:ci-bot", "create", "Deployment", "-n", "shop"}, 0, []string{"yes", "deployments.apps"}},
		{[]string{"user:ci-bot", "create", "deployments.v1.apps", "-n", "shop"}, 0, []string{"yes", "deployments.apps"}},
		{[]string{"user:ci-bot", "create", "widgets", "-n", "shop"}, 1, []string{"no", `serves no resource "widgets" in the core API group`}},
		{[]string{"user:ci-bot", "get", "secrets", "-n", "shop", "--name", "db"}, 0, []string{"yes", "rule 1"}},
		{[]string{"user:ci-bot", "get", "secrets", "-n", "shop", "--name", "other"}, 1, []string{"no"}},
		// kubectl's TYPE/NAME: secrets has no subresource db.
		{[]string{"user:ci-bot", "get", "secrets/db", "-n", "shop"}, 0, []string{"yes", "rule 1", `asked about the object named "db"`}},
		// The authorizer allows get pods/exec, the API server also wants create.
		{[]string{"user:ci-bot", "get", "pods/exec", "-n", "shop"}, 1, []string{"no", "get is allowed by RoleBinding shop/debug", "also needs create"}},
		{[]string{"sa:shop/operator", "get", "pods/exec", "-n", "shop"}, 0, []string{"yes", "also checks create"}},
		// A Role never grants a cluster-scoped resource.
		{[]string{"user:ci-bot", "get", "nodes", "-n", "shop"}, 1, []string{"no"}},
		{[]string{"group:system:masters", "delete", "nodes"}, 0, []string{"yes", "system:masters"}},
	}
	for _, tc := range tests {
		code, out, stderr := runCLI(t, append(append([]string{"rbac", "can"}, tc.args...), "-f", file)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, out, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(out+stderr, w) {
				t.Errorf("%v: output lacks %q:\n%s%s", tc.args, w, out, stderr)
			}
		}
	}
	code, out, _ := runCLI(t, "rbac", "can", "user:ci-bot", "get", "secrets", "-n", "shop", "--name", "db", "-f", file, "-o", "json")
	var d struct {
		Allowed bool
		Grant   struct{ Binding struct{ Name string } }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 || !d.Allowed || d.Grant.Binding.Name != "ci" {
		t.Errorf("json: exit %d %v %+v\n%s", code, err, d, out)
	}
	// The list no longer shows nodes as granted in namespace shop.
	_, out, _ = runCLI(t, "rbac", "can", "user:ci-bot", "-f", file)
	if strings.Contains(out, "nodes") {
		t.Errorf("can lists nodes as granted by a Role:\n%s", out)
	}
	if code, _, _ := runCLI(t, "rbac", "can", "user:ci-bot", "get", "-f", file); code != ExitError {
		t.Errorf("two arguments: exit %d", code)
	}
}

func TestRBACWhoCanAllNamespacesAndPaths(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(file, []byte(rbacManifests+`---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lab, namespace: lab}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: lab-dev}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: lab}
rules: [{verbs: [create], apiGroups: [apps], resources: [deployments]}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "rbac", "who-can", "create", "deployments.apps", "-A", "-f", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"in some namespace, and where", "User ci-bot", "namespace shop", "User lab-dev", "namespace lab",
		"ServiceAccount shop/operator  cluster-wide"} {
		if !strings.Contains(out, want) {
			t.Errorf("who-can -A lacks %q:\n%s", want, out)
		}
	}
	// kubectl's names for the resource ask the same question.
	_, short, _ := runCLI(t, "rbac", "who-can", "create", "deploy", "-A", "-f", file)
	if short != out {
		t.Errorf("who-can create deploy -A differs from deployments.apps:\n%s\nwant\n%s", short, out)
	}
	// Without -A, a cluster-wide request: RoleBindings do not count.
	_, out, _ = runCLI(t, "rbac", "who-can", "create", "deployments.apps", "-f", file)
	if strings.Contains(out, "lab-dev") || strings.Contains(out, "ci-bot") {
		t.Errorf("cluster-wide who-can lists RoleBinding subjects:\n%s", out)
	}
	if code, _, _ := runCLI(t, "rbac", "who-can", "create", "pods", "-A", "-n", "shop", "-f", file); code != ExitError {
		t.Errorf("-A with -n: exit %d", code)
	}
	_, _, stderr = runCLI(t, "rbac", "who-can", "get", "nodes", "-n", "shop", "-f", file)
	if !strings.Contains(stderr, "nodes is cluster-scoped") {
		t.Errorf("no note on a cluster-scoped resource: %s", stderr)
	}

	// paths: the input's subjects first, Kubernetes' own folded.
	_, out, _ = runCLI(t, "rbac", "paths", "-f", file)
	own := strings.Index(out, "ServiceAccount shop/operator -> cluster-admin")
	folded := strings.Index(out, "of Kubernetes' own components also have one")
	if own < 0 || folded < own || strings.Contains(out, "kube-system/clusterrole-aggregation-controller -> cluster-admin") {
		t.Errorf("paths:\n%s", out)
	}
	if !strings.Contains(out, "holds every verb on every resource cluster-wide (cluster-admin equivalent)") {
		t.Errorf("paths wording:\n%s", out)
	}
	_, out, _ = runCLI(t, "rbac", "paths", "--system", "-f", file)
	if !strings.Contains(out, "ServiceAccount kube-system/clusterrole-aggregation-controller -> cluster-admin") ||
		strings.Index(out, "ServiceAccount shop/operator") > strings.Index(out, "kube-system/clusterrole-aggregation-controller") {
		t.Errorf("paths --system:\n%s", out)
	}
}

func sarAllows(t *testing.T, c *kubetest.Cluster, kind, name string) bool {
	t.Helper()
	spec := map[string]any{"resourceAttributes": map[string]string{"namespace": "shop", "verb": "create", "resource": "pods", "subresource": "exec"}}
	if kind == "Group" {
		spec["user"], spec["groups"] = "probe", []string{name}
	} else {
		spec["user"] = name
	}
	body, _ := json.Marshal(map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec})
	res := c.Client().AuthorizationV1().RESTClient().Post().Resource("subjectaccessreviews").Body(body).Do(context.Background())
	raw, err := res.Raw()
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Status struct{ Allowed bool } `json:"status"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r.Status.Allowed
}
