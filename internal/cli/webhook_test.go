package cli

import (
	"regexp"

	"bytes"
	"context"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/kubetest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

func TestWebhookConfigCommand(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfg, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Config\nwebhook:\n  exemptions: {namespaces: [legacy]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "webhook", "config", "--namespace", "security", "--failure-policy", "Ignore", "--config", cfg,
		"--cert-manager-certificate", "security/kubeward-webhook")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var vwc struct {
		Kind     string
		Metadata struct{ Annotations map[string]string }
		Webhooks []struct {
			FailurePolicy     string `json:"failurePolicy"`
			NamespaceSelector struct {
				MatchExpressions []struct{ Values []string } `json:"matchExpressions"`
			} `json:"namespaceSelector"`
			ClientConfig struct {
				Service struct{ Name, Namespace string }
			} `json:"clientConfig"`
		}
	}
	if err := yaml.Unmarshal([]byte(out), &vwc); err != nil {
		t.Fatal(err)
	}
	wh := vwc.Webhooks[0]
	if vwc.Kind != "ValidatingWebhookConfiguration" || wh.FailurePolicy != "Ignore" || vwc.Metadata.Annotations["cert-manager.io/inject-ca-from"] != "security/kubeward-webhook" || wh.ClientConfig.Service.Namespace != "security" ||
		strings.Join(wh.NamespaceSelector.MatchExpressions[0].Values, ",") != "kube-system,kube-node-lease,security,legacy" {
		t.Errorf("config:\n%s", out)
	}
	if strings.Contains(out, "creationTimestamp") {
		t.Errorf("noise in the manifest:\n%s", out)
	}
	if code, _, stderr := runCLI(t, "webhook", "config", "--failure-policy", "Never", "--ca-bundle-from-webhook"); code != ExitError || !strings.Contains(stderr, "want Fail or Ignore") {
		t.Errorf("bad policy: exit %d %s", code, stderr)
	}
}

// A configuration applied without a caBundle makes every judged request
// fail: webhook config refuses to print one unless told where the caBundle
// comes from.
func TestWebhookConfigCABundle(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCLI(t, "webhook", "config")
	if code != ExitError || out != "" || !strings.Contains(stderr, "say where the caBundle comes from") {
		t.Errorf("no caBundle: exit %d\n%s\n%s", code, out, stderr)
	}
	ca := kubetest.NewCA(t, dir)
	caFile := writeTestFile(t, dir, "ca.crt", string(ca.PEM()))
	code, out, stderr = runCLI(t, "webhook", "config", "--url", "https://10.0.0.5:8443", "--ca-bundle-file", caFile)
	if code != 0 || !strings.Contains(out, "caBundle: ") {
		t.Errorf("--ca-bundle-file: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "webhook", "config", "--ca-bundle-from-webhook")
	if code != 0 || strings.Contains(out, "caBundle") {
		t.Errorf("--ca-bundle-from-webhook: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"--ca-bundle-file", writeTestFile(t, dir, "junk.pem", "not a certificate")},
		{"--ca-bundle-file", caFile, "--ca-bundle-from-webhook"},
		{"--ca-bundle-file", "/dev/zero"}, // endless: refused at the bound
		{"--cert-manager-certificate", "no-namespace"},
	} {
		if code, out, _ := runCLI(t, append([]string{"webhook", "config"}, bad...)...); code != ExitError || out != "" {
			t.Errorf("%q: exit %d\n%s", bad, code, out)
		}
	}
}

// --help names only flags the command has (and the root's): a flag of
// another command in the help is a promise the command cannot keep. Flags
// of other programs the help refers to are listed here.
func TestHelpNamesOnlyOwnFlags(t *testing.T) {
	other := map[string]bool{
		"audit-log-path": true, "audit-webhook-config-file": true, // kube-apiserver's
		"format": true, // gcloud logging read --format=json
		"as":     true, // kubectl auth can-i --as
	}
	flagRef := regexp.MustCompile(`(^|[\s(\[,"'` + "`" + `])--([a-z][a-z0-9-]+)`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		texts := []string{c.Long, c.Example, c.Short}
		c.Flags().VisitAll(func(f *pflag.Flag) { texts = append(texts, f.Usage) })
		for _, text := range texts {
			for _, m := range flagRef.FindAllStringSubmatch(text, -1) {
				if c.Flags().Lookup(m[2]) == nil && c.InheritedFlags().Lookup(m[2]) == nil && m[2] != "help" && !other[m[2]] {
					t.Errorf("%s: its help names --%s, which it does not have", c.CommandPath(), m[2])
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(Streams{}))
}

func TestWebhookServeUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"webhook", "serve"}, "choose the serving certificate"},
		{[]string{"webhook", "serve", "--tls-cert-file", "a"}, "go together"},
		{[]string{"webhook", "serve", "--self-managed-ca", "--namespace", ""}, "needs --namespace"},
		{[]string{"webhook", "serve", "--self-managed-ca", "--namespace", "x", "--log-level", "loud"}, "--log-level"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != ExitError || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d %q", tt.args, code, stderr)
		}
	}
}

// serveReady runs a `webhook serve` command until the test ends (or stop)
// and waits until its /readyz on health answers 200.
func serveReady(t *testing.T, health string, args ...string) (stderr *syncBuffer, stop func() int) {
	t.Helper()
	_, stderr, stop = runUntil(t, args...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get("http://" + health + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return stderr, stop
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestWebhookServeSelfManaged runs `kubeward webhook serve --self-managed-ca`
// against a real API server: it creates its CA Secret, writes the caBundle
// into its configuration, judges with the configuration file's settings,
// and stops cleanly.
func TestWebhookServeSelfManaged(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	cs := c.Client()
	ctx := context.Background()
	for _, ns := range []string{"kubeward", "shop"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	addr, health := freeAddr(t), freeAddr(t)
	vwc, err := admission.WebhookConfiguration(admission.ConfigOptions{URL: "https://" + addr, Namespace: "kubeward"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kubeward.yaml")
	// The gate of the file (critical) is the default enforce level; a
	// config suppression lets one privileged pod in; a custom check of the
	// file's customChecks warns.
	if err := os.WriteFile(cfg, []byte(`apiVersion: kubeward.dev/v1alpha1
kind: Config
failOn: critical
customChecks: [checks/]
suppressions:
- {check: pss-privileged, namespace: shop, name: allowed, reason: the test says so}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	team, err := os.ReadFile(filepath.Join("..", "..", "examples", "policy", "checks", "team-label.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "checks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checks", "team-label.yaml"), team, 0o600); err != nil {
		t.Fatal(err)
	}

	stderr, stop := serveReady(t, health, "webhook", "serve", "--self-managed-ca", "--namespace", "kubeward", "--kubeconfig", c.Kubeconfig,
		"--listen", addr, "--health-listen", health, "--tls-san", "127.0.0.1", "--config", cfg, "--shutdown-delay", "0s")
	deadline := time.Now().Add(60 * time.Second)

	sec, err := cs.CoreV1().Secrets("kubeward").Get(ctx, "kubeward-webhook-ca", metav1.GetOptions{})
	if err != nil || len(sec.Data[admission.CASecretCert]) == 0 || len(sec.Data[admission.CASecretKey]) == 0 {
		t.Fatalf("CA secret: %v", err)
	}
	denied := func(name string) error {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example.com/app:1.0", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}
		_, err := cs.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	for {
		got, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, admission.DefaultConfigName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Once the caBundle is the Secret's CA, the API server gets answers.
		if bytes.Equal(got.Webhooks[0].ClientConfig.CABundle, sec.Data[admission.CASecretCert]) {
			if err := denied("bad"); err != nil && strings.Contains(err.Error(), "kubeward: Pod/shop/bad violates 1 check(s) at or above critical") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("caBundle not written or no answer: %v\n%s", denied("bad"), stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The custom check runs at admission: a Deployment without a team
	// label is admitted with its warning (warn defaults to medium).
	ws := &warningRecorder{}
	wcfg := rest.CopyConfig(c.Config)
	wcfg.WarningHandler = ws
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/app:1.0"}}}}}}
	if _, err := kubernetes.NewForConfigOrDie(wcfg).AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(ws.list, "\n"), "kubeward: workload-team-label (medium) at metadata.labels.team: Deployment web has no team label") {
		t.Errorf("custom check warning missing: %q", ws.list)
	}
	if err := denied("allowed"); err != nil {
		t.Errorf("the config suppression did not apply: %v", err)
	}
	if err := denied("other"); !apierrors.IsForbidden(err) {
		t.Errorf("other pod: %v", err)
	}

	if code := stop(); code != 0 {
		t.Errorf("serve: exit %d", code)
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"kubeward webhook starting"`, `"msg":"caBundle written"`, `"decision":"deny"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if strings.Contains(logs, "PRIVATE KEY") {
		t.Error("the CA key is in the log")
	}
}
