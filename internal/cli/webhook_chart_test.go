package cli

// Tests of the webhook part of the chart deploy/helm/kubeward
// (webhook.enabled) and its rendered manifest (deploy/webhook.yaml): they
// pass `kubeward scan`, agree with `kubeward webhook config`, pass only
// flags `webhook serve` knows, and grant the rights the webhook needs.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/helm"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	helmloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

var updateManifest = flag.Bool("update-webhook-manifest", false, "rewrite deploy/webhook.yaml from the chart")

const (
	chartRelease   = "kubeward"
	chartNamespace = "kubeward"
	// webhookName names the webhook's objects for release chartRelease:
	// the names `kubeward webhook config` and `webhook serve` default to.
	webhookName = "kubeward-webhook"
)

// webhookOnly switches the chart to the webhook part alone.
const webhookOnly = "controller.enabled=false,webhook.enabled=true"

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "deploy", "helm", "kubeward", "Chart.yaml")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// renderChart renders the chart's webhook part as `helm template kubeward
// deploy/helm/kubeward -n kubeward --set webhook.enabled=true,...`.
func renderChart(t testing.TB, set ...string) []manifest.Input {
	t.Helper()
	r, err := helm.New(helm.Options{ReleaseName: chartRelease, Namespace: chartNamespace, Set: append([]string{webhookOnly}, set...)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := r.Render(kubewardChartDir(t), "deploy/helm/kubeward")
	if err != nil {
		t.Fatal(err)
	}
	// The reports' CRDs are the controller's, not the webhook's.
	return slices.DeleteFunc(in, func(i manifest.Input) bool { return strings.HasPrefix(i.Template, "kubeward/crds/") })
}

// text joins rendered documents as `helm template` prints them.
func chartText(in []manifest.Input) string {
	var b strings.Builder
	for _, i := range in {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s", i.Template, strings.TrimLeft(string(i.Data), "\n"))
		if !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// objects decodes the documents of a kind into T.
func chartObjects[T any](t testing.TB, in []manifest.Input, kind string) []*T {
	t.Helper()
	var out []*T
	for _, doc := range strings.Split(chartText(in), "\n---\n") {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatal(err)
		}
		if tm.Kind != kind {
			continue
		}
		v := new(T)
		if err := yaml.UnmarshalStrict([]byte(doc), v); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		out = append(out, v)
	}
	return out
}

// scanChart runs every registered check over the chart as `kubeward scan
// deploy/helm/kubeward --set ...` does.
func scanChart(t testing.TB, set ...string) *scan.Result {
	t.Helper()
	l, err := loader.New(loader.Options{Helm: helm.Options{Set: set}})
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
	return res
}

func describe(fs []check.Finding) []string {
	var out []string
	for _, f := range fs {
		s := f.CheckID + " " + f.Object.Kind + "/" + f.Object.Name
		if f.Suppressed() {
			s += " (suppressed)"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TestChartScansClean: the webhook part passes kubeward's own scan in every
// TLS mode; self-managed TLS needs rights the RBAC checks report below the
// default gate (its CA Secret; updating its own named webhook
// configuration, reported at info), and the chart shows them rather than
// hiding them. The image has no digest until it is pushed (info), as in
// TestKubewardChartScansClean.
func TestChartScansClean(t *testing.T) {
	for _, tt := range []struct {
		mode string
		set  []string
		want []string
	}{
		{"certManager (default)", nil, nil},
		{"secret", []string{"webhook.tls.mode=secret,webhook.tls.secretName=webhook-tls,webhook.tls.caBundle=PEM"}, nil},
		{"selfManaged", []string{"webhook.tls.mode=selfManaged"}, []string{
			"rbac-admission-webhook-config ClusterRole/release-name-kubeward-webhook-cabundle",
			"rbac-secrets-read Role/release-name-kubeward-webhook-ca",
			"rbac-token-creation Role/release-name-kubeward-webhook-ca",
			"rbac-workload-service-account Deployment/release-name-kubeward-webhook",
		}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			res := scanChart(t, append([]string{webhookOnly}, tt.set...)...)
			want := append([]string{"image-no-digest Deployment/release-name-kubeward-webhook"}, tt.want...)
			sort.Strings(want)
			if got := describe(res.Findings); !reflect.DeepEqual(got, want) {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
				for _, f := range res.Findings {
					t.Logf("%s %s %s: %s", f.CheckID, f.Object, f.Path, f.Message)
				}
			}
			if res.Objects < 10 {
				t.Errorf("only %d objects rendered", res.Objects)
			}
		})
	}
}

// TestRenderedManifestScansClean: deploy/webhook.yaml, as `kubeward scan
// deploy/webhook.yaml` reads it: clean but for the image's digest, which
// exists once it is pushed.
func TestRenderedManifestScansClean(t *testing.T) {
	l, err := loader.New(loader.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := scan.New(scan.Options{Checks: check.All()}).Files(l, []string{filepath.Join(repoRoot(t), "deploy", "webhook.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %s", p)
	}
	if got := describe(res.Findings); !reflect.DeepEqual(got, []string{"image-no-digest Deployment/kubeward-webhook"}) || res.Objects < 12 {
		t.Errorf("%d objects, findings %q", res.Objects, describe(res.Findings))
	}
}

// TestWebhookConfigurationAgrees: the chart's configuration is the one
// `kubeward webhook config` prints for the same names.
func TestWebhookConfigurationAgrees(t *testing.T) {
	in := renderChart(t, "webhook.config.webhook.exemptions.namespaces={legacy}")
	vwcs := chartObjects[admissionregv1.ValidatingWebhookConfiguration](t, in, "ValidatingWebhookConfiguration")
	if len(vwcs) != 1 {
		t.Fatalf("%d configurations", len(vwcs))
	}
	got := vwcs[0]
	want, err := admission.WebhookConfiguration(admission.ConfigOptions{Name: webhookName, Namespace: chartNamespace, ServiceName: webhookName,
		ExemptNamespaces: []string{"legacy"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != want.Name || got.Annotations["cert-manager.io/inject-ca-from"] != chartNamespace+"/"+webhookName {
		t.Errorf("metadata = %+v", got.ObjectMeta)
	}
	if !reflect.DeepEqual(got.Webhooks, want.Webhooks) {
		g, _ := yaml.Marshal(got.Webhooks)
		w, _ := yaml.Marshal(want.Webhooks)
		t.Errorf("the chart's webhook:\n%s\ndiffers from kubeward webhook config's:\n%s", g, w)
	}
}

// TestChartArgsAreFlags: every argument the chart passes is a flag of
// `kubeward webhook serve`, in every TLS mode.
func TestChartArgsAreFlags(t *testing.T) {
	for _, set := range [][]string{nil, {"webhook.tls.mode=selfManaged"}, {"webhook.tls.mode=secret,webhook.tls.secretName=x,webhook.tls.caBundle=PEM"}} {
		deps := chartObjects[appsv1.Deployment](t, renderChart(t, set...), "Deployment")
		if len(deps) != 1 {
			t.Fatalf("%d deployments", len(deps))
		}
		d := deps[0]
		if *d.Spec.Replicas != 2 {
			t.Errorf("replicas %d", *d.Spec.Replicas)
		}
		args := d.Spec.Template.Spec.Containers[0].Args
		root := NewRoot(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		cmd, rest, err := root.Find(args)
		if err != nil || cmd.Name() != "serve" || len(rest) < 2 {
			t.Fatalf("%v: %v %v", args, cmd.Name(), err)
		}
		if err := cmd.ParseFlags(args[2:]); err != nil {
			t.Errorf("%v: %v", set, err)
		}
		if cmd.Flags().Changed("self-managed-ca") != (len(set) > 0 && strings.Contains(set[0], "selfManaged")) {
			t.Errorf("%v: --self-managed-ca set wrongly in %v", set, args)
		}
	}
}

// TestRenderedManifest: deploy/webhook.yaml is the chart rendered with its
// defaults for release kubeward-webhook in namespace kubeward.
func TestRenderedManifest(t *testing.T) {
	header := "# kubeward's admission webhook, rendered from deploy/helm/kubeward with the webhook part alone\n" +
		"# (--set " + webhookOnly + "; TLS from cert-manager) for release kubeward in namespace kubeward:\n" +
		"#   kubectl create namespace kubeward && kubectl apply -n kubeward -f deploy/webhook.yaml\n" +
		"# Generated by `go test ./internal/cli -run TestRenderedManifest -update-webhook-manifest`; edit the chart, not this file.\n" +
		"# Before applying it, list the API server's addresses in the NetworkPolicy's rule for port 8443 (`from:`):\n" +
		"# as rendered, any pod in the cluster can reach the review port (networkPolicy.apiServerCIDRs in the chart).\n"
	want := header + chartText(renderChart(t))
	path := filepath.Join(repoRoot(t), "deploy", "webhook.yaml")
	if *updateManifest {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("deploy/webhook.yaml is out of date: go test ./internal/cli -run TestRenderedManifest -update-webhook-manifest")
	}
}

// TestChartNetworkPolicyLimitsReviews: the review port is open to the API
// server's addresses only; installed into a cluster without them (lookup
// answers), the chart refuses rather than open the port to every pod,
// unless that is asked for.
func TestChartNetworkPolicyLimitsReviews(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want []string // the review rule's sources; nil: anywhere
	}{
		{"networkPolicy.apiServerCIDRs={10.0.0.10/32,fd00::10/128}", []string{"10.0.0.10/32", "fd00::10/128"}},
		{"networkPolicy.reviewsFromAnywhere=true", nil},
	} {
		nps := chartObjects[networkingv1.NetworkPolicy](t, renderChart(t, tc.set), "NetworkPolicy")
		var got []string
		found := false
		for _, np := range nps {
			for _, rule := range np.Spec.Ingress {
				if len(rule.Ports) == 1 && rule.Ports[0].Port.IntValue() == 8443 {
					found = true
					for _, peer := range rule.From {
						if peer.IPBlock == nil || peer.PodSelector != nil || peer.NamespaceSelector != nil {
							t.Errorf("%s: review port open to %+v", tc.set, peer)
							continue
						}
						got = append(got, peer.IPBlock.CIDR)
					}
				}
			}
		}
		if !found || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: review port sources %q, want %q", tc.set, got, tc.want)
		}
	}

	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	install := func(vals map[string]any) error {
		ch, err := helmloader.Load(kubewardChartDir(t))
		if err != nil {
			t.Fatal(err)
		}
		vals = commonutil.MergeTables(vals, map[string]any{"controller": map[string]any{"enabled": false}, "webhook": map[string]any{"enabled": true}})
		top, err := commonutil.ToRenderValues(ch, vals, common.ReleaseOptions{Name: chartRelease, Namespace: chartNamespace, IsInstall: true},
			common.DefaultCapabilities.Copy())
		if err != nil {
			t.Fatal(err)
		}
		_, err = engine.New(c.Config).Render(ch, top)
		return err
	}
	if err := install(nil); err == nil || !strings.Contains(err.Error(), "networkPolicy.apiServerCIDRs is empty") {
		t.Errorf("installed with the review port open to every pod: %v", err)
	}
	// The audit backend alone takes the API server's calls too.
	auditOnly := map[string]any{"webhook": map[string]any{"enabled": false}, "audit": map[string]any{"enabled": true, "clientCA": map[string]any{"configMap": "ca"}}}
	if err := install(auditOnly); err == nil || !strings.Contains(err.Error(), "networkPolicy.apiServerCIDRs is empty") {
		t.Errorf("installed the audit backend open to every pod: %v", err)
	}
	for _, vals := range []map[string]any{
		{"networkPolicy": map[string]any{"apiServerCIDRs": []any{"10.0.0.10/32"}}},
		{"networkPolicy": map[string]any{"reviewsFromAnywhere": true}},
		{"networkPolicy": map[string]any{"enabled": false}},
	} {
		if err := install(vals); err != nil {
			t.Errorf("%v: %v", vals, err)
		}
	}
}

// TestChartRBACSuffices runs `kubeward webhook serve --self-managed-ca`
// with the args of the chart's Deployment, as the chart's ServiceAccount
// with exactly the chart's RBAC, against a real API server: it reads
// namespaces, creates its CA Secret, writes the caBundle and judges.
func TestChartRBACSuffices(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	cs := c.Client()
	ctx := context.Background()
	in := renderChart(t, "webhook.tls.mode=selfManaged")
	for _, ns := range []string{chartNamespace, "shop"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, sa := range chartObjects[corev1.ServiceAccount](t, in, "ServiceAccount") {
		if _, err := cs.CoreV1().ServiceAccounts(chartNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range chartObjects[rbacv1.ClusterRole](t, in, "ClusterRole") {
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range chartObjects[rbacv1.ClusterRoleBinding](t, in, "ClusterRoleBinding") {
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range chartObjects[rbacv1.Role](t, in, "Role") {
		if _, err := cs.RbacV1().Roles(chartNamespace).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range chartObjects[rbacv1.RoleBinding](t, in, "RoleBinding") {
		if _, err := cs.RbacV1().RoleBindings(chartNamespace).Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// The configuration, pointed at 127.0.0.1 instead of the Service.
	addr, health := freeAddr(t), freeAddr(t)
	vwc := chartObjects[admissionregv1.ValidatingWebhookConfiguration](t, in, "ValidatingWebhookConfiguration")[0]
	vwc.Webhooks[0].ClientConfig = admissionregv1.WebhookClientConfig{URL: ptr.To("https://" + addr + "/validate")}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm := chartObjects[corev1.ConfigMap](t, in, "ConfigMap")[0]
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}

	// A kubeconfig for the chart's ServiceAccount, with a bound token.
	tok, err := cs.CoreV1().ServiceAccounts(chartNamespace).CreateToken(ctx, webhookName, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kc, c.URL, c.CAPEM, tok.Status.Token); err != nil {
		t.Fatal(err)
	}

	// The chart's args, with local addresses and the files above.
	d := chartObjects[appsv1.Deployment](t, in, "Deployment")[0]
	var args []string
	for _, a := range d.Spec.Template.Spec.Containers[0].Args {
		switch {
		case strings.HasPrefix(a, "--config="):
			a = "--config=" + cfgFile
		case strings.HasPrefix(a, "--listen="):
			a = "--listen=" + addr
		case strings.HasPrefix(a, "--health-listen="):
			a = "--health-listen=" + health
		case strings.HasPrefix(a, "--shutdown-delay="):
			a = "--shutdown-delay=0s"
		}
		args = append(args, a)
	}
	args = append(args, "--namespace="+chartNamespace, "--kubeconfig="+kc, "--tls-san=127.0.0.1")
	stderr, stop := serveReady(t, health, args...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: "shop"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example.com/app:1.0", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}
		_, err := cs.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), "kubeward: Pod/shop/bad violates") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer through the chart's RBAC: %v\n%s", err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve: exit %d", code)
	}
	if logs := stderr.String(); strings.Contains(logs, "forbidden") || strings.Contains(logs, "Forbidden") {
		t.Errorf("the chart's RBAC refused something:\n%s", logs)
	}
}

func writeKubeconfig(path, server string, caPEM []byte, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "sa"}
	cfg.CurrentContext = "c"
	return clientcmd.WriteToFile(*cfg, path)
}

// TestChartImageCacheWritable: the webhook reads images (images.policies,
// images.vulnerabilities) through a disk cache under the user cache
// directory, and its root file system is read-only: without a writable
// directory there, `webhook serve` with image policies failed to start
// ("image cache: mkdir ...: read-only file system"); osv-scalibr unpacks
// an image's files into a file of the temporary directory, without which
// no image's vulnerabilities are judged. XDG_CACHE_HOME and TMPDIR must be
// the mount of a writable, bounded emptyDir.
func TestChartImageCacheWritable(t *testing.T) {
	d := chartObjects[appsv1.Deployment](t, renderChart(t), "Deployment")[0]
	checkWritableCache(t, d.Spec.Template.Spec)
}

// checkWritableCache checks that a pod with a read-only root file system
// has XDG_CACHE_HOME and TMPDIR on a writable emptyDir of bounded size.
func checkWritableCache(t *testing.T, spec corev1.PodSpec) {
	t.Helper()
	c := spec.Containers[0]
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Fatal("the test assumes a read-only root file system")
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, name := range []string{"XDG_CACHE_HOME", "TMPDIR"} {
		dir := env[name]
		if dir == "" {
			t.Errorf("%s is not set: it would be under the read-only root file system", name)
			continue
		}
		if !onBoundedEmptyDir(spec, c, dir) {
			t.Errorf("%s %s is not a writable emptyDir with a size limit: mounts %+v, volumes %+v", name, dir, c.VolumeMounts, spec.Volumes)
		}
	}
}

func onBoundedEmptyDir(spec corev1.PodSpec, c corev1.Container, dir string) bool {
	for _, m := range c.VolumeMounts {
		if m.ReadOnly || (dir != m.MountPath && !strings.HasPrefix(dir, m.MountPath+"/")) {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil && !v.EmptyDir.SizeLimit.IsZero() {
				return true
			}
		}
	}
	return false
}
