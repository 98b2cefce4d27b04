package cli

// Tests of the in-cluster chart deploy/helm/kubeward: it scans clean with
// kubeward itself, installs into a real v1.37 API server (server-side dry
// run, after its CRDs), ships the reports-api module's CRDs unchanged,
// grants the controller the scanning role's rules with watch, and passes
// only flags `kubeward controller` knows.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
	"github.com/kubeward/kubeward/internal/source/helm"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// allParts switches every part of the chart on, the audit backend
// trusting the CA of the API server's audit client certificate.
const allParts = "webhook.enabled=true,audit.enabled=true,node.enabled=true,agent.enabled=true,audit.clientCA.configMap=apiserver-audit-ca"

func kubewardChartDir(t testing.TB) string {
	return filepath.Join(repoRoot(t), "deploy", "helm", "kubeward")
}

// renderKubewardChart renders the chart as `helm template kubeward -n
// kubeward`, one document per element.
func renderKubewardChart(t testing.TB, set ...string) []string {
	t.Helper()
	r, err := helm.New(helm.Options{ReleaseName: "kubeward", Namespace: chartNamespace, Set: set})
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.Render(kubewardChartDir(t), "deploy/helm/kubeward")
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, doc := range strings.Split(chartText(in), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatal(err)
		}
		if tm.Kind != "" {
			docs = append(docs, doc)
		}
	}
	return docs
}

// TestKubewardChartScansClean: the chart with its defaults passes
// kubeward's own checks. The one finding left is informational and true:
// the default image is the tag the Dockerfile builds, which has no digest
// until it is pushed to a registry (values.yaml says to pin it).
func TestKubewardChartScansClean(t *testing.T) {
	for _, tt := range []struct {
		name string
		set  []string
	}{{"defaults", nil}, {"wgpolicy, one replica", []string{"controller.reportAPI=wgpolicy,controller.replicas=1"}},
		{"with the node agent", []string{"agent.enabled=true"}},
		{"every part", []string{allParts}}} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := loader.New(loader.Options{Helm: helm.Options{Set: tt.set}})
			if err != nil {
				t.Fatal(err)
			}
			res, _, err := scan.New(scan.Options{Checks: check.All()}).Files(l, []string{kubewardChartDir(t)})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range res.Problems {
				t.Errorf("problem: %s", p)
			}
			var got []string
			for _, f := range res.Findings {
				if !f.Suppressed() {
					got = append(got, f.CheckID+" "+f.Object.Kind+"/"+f.Object.Name)
				}
			}
			want := []string{"image-no-digest Deployment/release-name-kubeward-controller"}
			if slices.Contains(tt.set, "agent.enabled=true") {
				want = append(want, "image-no-digest DaemonSet/release-name-kubeward-agent")
			}
			if slices.Contains(tt.set, allParts) {
				want = append(want, "image-no-digest DaemonSet/release-name-kubeward-agent",
					"image-no-digest CronJob/release-name-kubeward-node-control-plane",
					"image-no-digest CronJob/release-name-kubeward-node-worker",
					"image-no-digest Deployment/release-name-kubeward-audit",
					"image-no-digest Deployment/release-name-kubeward-webhook")
			}
			sort.Strings(got)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("findings %q, want %q", got, want)
			}
			if res.Objects < 8 {
				t.Errorf("only %d objects rendered", res.Objects)
			}
		})
	}
}

// TestKubewardChartCRDsAreTheModules: crds/ holds the reports-api
// module's CRDs byte for byte (the version go.mod pins).
func TestKubewardChartCRDsAreTheModules(t *testing.T) {
	crdDir := sharedtest.ModulePath(t, "github.com/openreports/reports-api", "config", "crd")
	for _, name := range []string{"openreports.io_reports.yaml", "openreports.io_clusterreports.yaml"} {
		want, err := os.ReadFile(filepath.Join(crdDir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(kubewardChartDir(t), "crds", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("crds/%s differs from the module's config/crd/%s", name, name)
		}
	}
}

// TestKubewardChartControllerRole: the controller reads what a cluster
// scan reads (deploy/scanner-role.yaml), with watch besides list.
func TestKubewardChartControllerRole(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "scanner-role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var scanner rbacv1.ClusterRole
	if err := yaml.Unmarshal(b, &scanner); err != nil {
		t.Fatal(err)
	}
	var role *rbacv1.ClusterRole
	for _, doc := range renderKubewardChart(t) {
		var r rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict([]byte(doc), &r); err == nil && r.Kind == "ClusterRole" && r.Name == "kubeward-controller" {
			role = &r
		}
	}
	if role == nil {
		t.Fatal("no ClusterRole kubeward-controller")
	}
	if len(role.Rules) != len(scanner.Rules) {
		t.Fatalf("%d rules, the scanning role has %d", len(role.Rules), len(scanner.Rules))
	}
	for i, r := range scanner.Rules {
		r.Verbs = []string{"list", "watch"}
		if !reflect.DeepEqual(role.Rules[i], r) {
			t.Errorf("rule %d: %+v, want %+v", i, role.Rules[i], r)
		}
	}
}

// TestKubewardChartControllerFlags: the Deployment's arguments are flags
// `kubeward controller` has, with values it accepts.
func TestKubewardChartControllerFlags(t *testing.T) {
	var d *appsv1.Deployment
	for _, doc := range renderKubewardChart(t) {
		var x appsv1.Deployment
		if err := yaml.Unmarshal([]byte(doc), &x); err == nil && x.Kind == "Deployment" {
			d = &x
		}
	}
	if d == nil {
		t.Fatal("no Deployment")
	}
	args := d.Spec.Template.Spec.Containers[0].Args
	if args[0] != "controller" {
		t.Fatalf("args %q", args)
	}
	cmd := newControllerCmd(Streams{})
	if err := cmd.ParseFlags(args[1:]); err != nil {
		t.Fatalf("kubeward controller %q: %v", args[1:], err)
	}
	if name := cmd.Flags().Lookup("leader-election-name").Value.String(); name != "kubeward-controller" {
		t.Errorf("Lease %s, the Role grants kubeward-controller", name)
	}
}

// TestKubewardChartInstalls: the rendered chart, with every part and with
// its defaults, is valid for the v1.37 API: its CRDs are created, then
// every other object is applied with a server-side dry run into the
// namespace, unknown fields refused. The cert-manager TLS mode (the
// default of the webhook and the audit backend) installs after
// cert-manager's own CRDs, from the pinned release's chart.
func TestKubewardChartInstalls(t *testing.T) {
	kubetest.SkipIfShort(t)
	cl := kubetest.Start(t, kubetest.Options{})
	ctx := context.Background()
	cs := cl.Client()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: chartNamespace}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ext := apiextclient.NewForConfigOrDie(cl.Config)
	entries, err := os.ReadDir(filepath.Join(kubewardChartDir(t), "crds"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(kubewardChartDir(t), "crds", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		createCRD(t, ext, e.Name(), b)
	}
	// Every part, in the TLS modes that need no cert-manager, and the
	// defaults.
	docs := renderKubewardChart(t, allParts+",webhook.tls.mode=selfManaged,audit.tls.mode=secret,audit.tls.secretName=audit-tls")
	docs = append(docs, renderKubewardChart(t)...)
	var kinds []string
	for _, u := range dryRunApply(t, cl, docs) {
		kinds = append(kinds, u.GetKind())
	}
	for _, want := range []string{"Deployment", "DaemonSet", "CronJob", "ClusterRole", "Role", "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount", "ConfigMap", "ValidatingWebhookConfiguration"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("no %s installed (%v)", want, kinds)
		}
	}

	t.Run("cert-manager TLS", func(t *testing.T) {
		// The kube-apiserver kubetest builds (test/go.mod) reports no
		// version of its own (v0.0.0), which cert-manager's chart refuses.
		for _, crd := range certManagerCRDs(t, "1.37") {
			createCRD(t, ext, crd.Template, crd.Data)
		}
		waitForResources(t, cl, "cert-manager.io/v1", "certificates", "issuers")
		// allParts leaves webhook.tls.mode and audit.tls.mode at their
		// default, certManager.
		installed := dryRunApply(t, cl, renderKubewardChart(t, allParts))
		accepted := map[string]*unstructured.Unstructured{}
		for _, u := range installed {
			accepted[u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName()] = u
		}
		for _, want := range []string{"Issuer kubeward/kubeward-webhook-selfsigned", "Certificate kubeward/kubeward-webhook-ca", "Issuer kubeward/kubeward-webhook-ca",
			"Certificate kubeward/kubeward-webhook", "Certificate kubeward/kubeward-audit", "Deployment kubeward/kubeward-webhook", "Deployment kubeward/kubeward-audit"} {
			if accepted[want] == nil {
				t.Errorf("%s not installed", want)
			}
		}
		vwc := accepted["ValidatingWebhookConfiguration /"+webhookName]
		if vwc == nil {
			t.Fatal("no ValidatingWebhookConfiguration installed")
		}
		// cert-manager's CA injector writes the caBundle of the Certificate
		// this names: it must be the webhook's serving certificate.
		from := vwc.GetAnnotations()["cert-manager.io/inject-ca-from"]
		if from != chartNamespace+"/"+webhookName || accepted["Certificate "+from] == nil {
			t.Errorf("cert-manager.io/inject-ca-from %q, want the installed Certificate %s/%s", from, chartNamespace, webhookName)
		}
	})
}

// createCRD creates the CustomResourceDefinition in b (from file name).
func createCRD(t *testing.T, ext apiextclient.Interface, name string, b []byte) {
	t.Helper()
	var crd apiextv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Create(context.Background(), &crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// waitForResources waits until discovery serves the resources of a
// group version: a CRD is served a moment after it is created.
func waitForResources(t *testing.T, cl *kubetest.Cluster, groupVersion string, resources ...string) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		list, err := cl.Client().Discovery().ServerResourcesForGroupVersion(groupVersion)
		if err != nil {
			last = err
			return false, nil
		}
		for _, r := range resources {
			if !slices.ContainsFunc(list.APIResources, func(a metav1.APIResource) bool { return a.Name == r }) {
				last = fmt.Errorf("%s not served yet", r)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("%s: %v (%v)", groupVersion, err, last)
	}
}

// dryRunApply applies each document as `helm install` would (server-side
// apply), as a dry run into the chart's namespace, with strict field
// validation: a field the API (or a CRD's schema) does not know is an
// error, not a warning. It returns the objects the API server accepted.
func dryRunApply(t *testing.T, cl *kubetest.Cluster, docs []string) []*unstructured.Unstructured {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(cl.Config)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cl.Client().Discovery()))
	var out []*unstructured.Unstructured
	for _, doc := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		ri := dyn.Resource(m.Resource)
		var res dynamic.ResourceInterface = ri
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			res = ri.Namespace(chartNamespace)
		}
		body, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		got, err := res.Patch(context.Background(), u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
			FieldManager: "helm", DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict})
		if err != nil {
			t.Errorf("%s %s: %v", gvk.Kind, u.GetName(), err)
			continue
		}
		out = append(out, got)
	}
	return out
}

// certManagerModule is the cert-manager release whose CRDs the chart's
// certManager TLS mode is installed against, and the module's hash (as in
// go.sum): the test fetches it at run time, outside go.mod, which has no
// use for its code.
const (
	certManagerModule = "github.com/cert-manager/cert-manager@v1.21.2"
	certManagerSum    = "h1:UWgoYM+KLNtRlqmoWOKjKBOBUPVHeepQ6/ac3ERJW68="
)

// certManagerCRDs returns the CRDs cert-manager's own chart installs
// (crds.enabled=true), rendered from the module's deploy/charts/cert-manager
// for kubeVersion (its deploy/crds says it is not for installing). The module comes from
// the Go module cache, or through the Go module proxy as `go` fetches it.
// Offline and not cached, the test skips on a developer's machine and
// fails in CI (CI set), which reaches the proxy.
func certManagerCRDs(t *testing.T, kubeVersion string) []manifest.Input {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", certManagerModule)
	// Outside any module: go.mod and go.sum stay as they are.
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	var m struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &m); err != nil || jerr != nil || m.Dir == "" {
		msg := fmt.Sprintf("go mod download %s: %v %s", certManagerModule, err, m.Error)
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI reaches the Go module proxy)")
		}
		t.Skip(msg + "; skipped outside CI (offline and not in the module cache)")
	}
	if m.Sum != certManagerSum {
		t.Fatalf("%s: hash %s, want %s", certManagerModule, m.Sum, certManagerSum)
	}
	r, err := helm.New(helm.Options{ReleaseName: "cert-manager", Namespace: "cert-manager", KubeVersion: kubeVersion, Set: []string{"crds.enabled=true"}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.Render(filepath.Join(m.Dir, "deploy", "charts", "cert-manager"), certManagerModule)
	if err != nil {
		t.Fatal(err)
	}
	var crds []manifest.Input
	for _, i := range in {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(i.Data, &tm); err != nil {
			t.Fatalf("%s: %v", i.Template, err)
		}
		if tm.Kind == "CustomResourceDefinition" {
			crds = append(crds, i)
		}
	}
	if len(crds) == 0 {
		t.Fatalf("%s: its chart rendered no CRDs", certManagerModule)
	}
	return crds
}

// TestControllerUsageErrors: flags the controller cannot run with are
// usage errors (exit 2) before it connects anywhere.
func TestControllerUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"controller", "--report-api", "kyverno"}, "--report-api"},
		{[]string{"controller", "--resync", "10s"}, "--resync"},
		{[]string{"controller", "--writers", "0"}, "--writers"},
		{[]string{"controller", "--log-level", "loud"}, "--log-level"},
		{[]string{"controller", "--framework", "cis-9"}, "unknown framework"},
		{[]string{"controller", "--framework", "pss-baseline", "--framework", "pss-restricted"}, "scan them apart"},
		{[]string{"controller", "--framework", "cis-1.12", "--checks", "pss-*"}, "do not also give --checks"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != ExitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, %s", tt.args, code, stderr)
		}
	}
}

// TestKubewardChartPartsArgsAreFlags: every part's container passes only
// flags its command has; the node checks mount the host read-only, as
// --root, with no capability.
func TestKubewardChartPartsArgsAreFlags(t *testing.T) {
	in := renderChart(t, "controller.enabled=true,"+allParts)
	type podOf struct {
		kind, name string
		spec       corev1.PodSpec
	}
	var pods []podOf
	for _, d := range chartObjects[appsv1.Deployment](t, in, "Deployment") {
		pods = append(pods, podOf{"Deployment", d.Name, d.Spec.Template.Spec})
	}
	for _, d := range chartObjects[appsv1.DaemonSet](t, in, "DaemonSet") {
		pods = append(pods, podOf{"DaemonSet", d.Name, d.Spec.Template.Spec})
	}
	for _, c := range chartObjects[batchv1.CronJob](t, in, "CronJob") {
		pods = append(pods, podOf{"CronJob", c.Name, c.Spec.JobTemplate.Spec.Template.Spec})
	}
	var cmds []string
	for _, p := range pods {
		args := p.spec.Containers[0].Args
		root := NewRoot(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		cmd, rest, err := root.Find(args)
		if err != nil {
			t.Fatalf("%s %s: %v", p.kind, p.name, err)
		}
		flags := args[len(args)-len(rest):]
		for len(flags) > 0 && !strings.HasPrefix(flags[0], "-") {
			flags = flags[1:]
		}
		if err := cmd.ParseFlags(flags); err != nil {
			t.Errorf("%s %s: kubeward %s %q: %v", p.kind, p.name, cmd.CommandPath(), flags, err)
		}
		cmds = append(cmds, cmd.CommandPath())
		if cmd.Name() != "node" {
			continue
		}
		if cmd.Flags().Lookup("root").Value.String() != "/host" {
			t.Errorf("%s: --root %s", p.name, cmd.Flags().Lookup("root").Value)
		}
		sc := p.spec.Containers[0].SecurityContext
		if sc == nil || sc.Privileged == nil || *sc.Privileged || sc.Capabilities == nil || len(sc.Capabilities.Add) > 0 || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("%s: security context %+v", p.name, sc)
		}
		if p.spec.HostPID || p.spec.HostNetwork || p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
			t.Errorf("%s: host namespaces or a token", p.name)
		}
		for _, m := range p.spec.Containers[0].VolumeMounts {
			if !m.ReadOnly || !strings.HasPrefix(m.MountPath, "/host/") {
				t.Errorf("%s: mount %+v", p.name, m)
			}
		}
	}
	sort.Strings(cmds)
	want := []string{"kubeward agent", "kubeward audit serve", "kubeward controller", "kubeward node", "kubeward node", "kubeward webhook serve"}
	if !slices.Equal(cmds, want) {
		t.Errorf("commands %q, want %q", cmds, want)
	}
}
