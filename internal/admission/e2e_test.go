package admission

import (
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/kubetest"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// e2e is a real API server calling an in-process webhook over 127.0.0.1.
type e2e struct {
	cluster *kubetest.Cluster
	cs      kubernetes.Interface
	pki     *testPKI
	hook    *testWebhook
	srv     *running
	certs   *FileCertificate
}

// startE2E starts a cluster and the webhook, registers the webhook with
// failurePolicy Fail and waits until the API server calls it.
func startE2E(t testing.TB, labels map[string]map[string]string) *e2e {
	t.Helper()
	return startE2EWith(t, labels, newTestWebhook(t, nil, nil, nil))
}

// startE2EWith is startE2E with a webhook of the test's own.
func startE2EWith(t testing.TB, labels map[string]map[string]string, hook *testWebhook) *e2e {
	t.Helper()
	c := kubetest.Start(t, kubetest.Options{})
	cs := c.Client()
	ctx := context.Background()
	for _, ns := range []string{"shop", "warn-only", "kubeward"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels[ns]}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// No controller manager: make the service accounts pods name.
	for _, ns := range []string{"shop", "warn-only", "kube-system"} {
		for _, sa := range []string{"default", "app"} {
			_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
	}

	pki := newTestPKI(t)
	pki.write(t)
	nsCache := NewNamespaceCache(cs)
	cacheCtx, stopCache := context.WithCancel(ctx)
	t.Cleanup(stopCache)
	nsCache.Run(cacheCtx)
	hook.Namespaces = nsCache
	certs, err := NewFileCertificate(pki.certFile(), pki.keyFile(), hook.Metrics, hook.Log)
	if err != nil {
		t.Fatal(err)
	}
	certs.Interval = 0
	srv := startServer(t, &Server{Webhook: hook.Webhook, Certs: certs, Ready: func() error { return nil }})
	waitFor(t, 30*time.Second, "namespace cache", nsCache.Synced)

	vwc, err := WebhookConfiguration(ConfigOptions{URL: "https://" + srv.addr, CABundle: pki.ca.CertPEM, Namespace: "kubeward"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e := &e2e{cluster: c, cs: cs, pki: pki, hook: hook, srv: srv, certs: certs}
	// The API server picks the configuration up from a watch: wait until a
	// dry-run of a privileged pod is denied by kubeward.
	waitFor(t, 30*time.Second, "the API server to call the webhook", func() bool {
		_, err := cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err != nil && strings.Contains(err.Error(), "kubeward: Pod/shop/probe")
	})
	return e
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// warnings collects the Warning headers the API server returns.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

func TestE2E(t *testing.T) {
	kubetest.SkipIfShort(t)
	e := startE2E(t, map[string]map[string]string{"warn-only": {LabelEnforce: "none", LabelWarn: "medium"}})
	ctx := context.Background()

	t.Run("namespace labels from the watch", func(t *testing.T) {
		// Reviews in a watched namespace take the path without a lookup
		// (and its timer); a namespace not seen yet takes the other.
		c, ok := e.hook.Namespaces.(cachedNamespaceLabels)
		if !ok {
			t.Fatalf("%T answers no review from memory", e.hook.Namespaces)
		}
		if labels, ok := c.CachedLabels("warn-only"); !ok || labels[LabelWarn] != "medium" {
			t.Errorf("warn-only: %v, %v", labels, ok)
		}
		if labels, ok := c.CachedLabels("not-created"); ok {
			t.Errorf("a namespace that does not exist answered from memory: %v", labels)
		}
	})

	t.Run("privileged pod denied", func(t *testing.T) {
		_, err := e.cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("bad"), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("err = %v", err)
		}
		for _, want := range []string{
			`admission webhook "validate.kubeward.dev" denied the request: kubeward: Pod/shop/bad violates 1 check(s) at or above high`,
			"pss-privileged (critical) at spec.containers[0].securityContext.privileged",
			"Fix: Remove securityContext.privileged",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("denial lacks %q:\n%v", want, err)
			}
		}
	})

	t.Run("compliant pod admitted", func(t *testing.T) {
		if _, err := e.cs.CoreV1().Pods("shop").Create(ctx, hardenedPod("web"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("warn mode returns warnings", func(t *testing.T) {
		ws := &warnings{}
		cfg := rest.CopyConfig(e.cluster.Config)
		cfg.WarningHandler = ws
		cs := kubernetes.NewForConfigOrDie(cfg)
		p := privilegedPod("loud")
		p.Namespace = "warn-only"
		if _, err := cs.CoreV1().Pods("warn-only").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("warn-only namespace denied: %v", err)
		}
		if got := ws.all(); len(got) != 1 || !strings.HasPrefix(got[0], "kubeward: pss-privileged (critical) at spec.containers[0].securityContext.privileged: ") {
			t.Errorf("warnings = %q", got)
		}
	})

	t.Run("deployment with an insecure template denied", func(t *testing.T) {
		spec := hardenedSpec()
		spec.HostPID = true
		_, err := e.cs.AppsV1().Deployments("shop").Create(ctx, deployment("web", spec), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "kubeward: Deployment/shop/web violates 1 check(s)") ||
			!strings.Contains(err.Error(), "pss-host-namespaces (high) at spec.template.spec.hostPID") {
			t.Fatalf("err = %v", err)
		}
		if _, err := e.cs.AppsV1().Deployments("shop").Create(ctx, deployment("web", hardenedSpec()), metav1.CreateOptions{}); err != nil {
			t.Fatalf("hardened deployment: %v", err)
		}
	})

	t.Run("dry run honoured", func(t *testing.T) {
		before := value(e.hook.Metrics.Decisions.WithLabelValues("deny", "CREATE", "true"))
		_, err := e.cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("dry"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "pss-privileged") {
			t.Fatalf("dry run: %v", err)
		}
		if value(e.hook.Metrics.Decisions.WithLabelValues("deny", "CREATE", "true")) != before+1 {
			t.Error("dry-run denial not counted as a dry run")
		}
	})

	t.Run("suppressed on the template", func(t *testing.T) {
		d := deployment("agent", privilegedPod("x").Spec)
		d.Spec.Template.Annotations = map[string]string{check.AnnotationPrefix + "pss-privileged": "loads the eBPF probes"}
		if _, err := e.cs.AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("rotated certificate picked up without a restart", func(t *testing.T) {
		before := e.pki.served(t, e.srv.addr)
		rotated := e.pki.write(t)
		after := e.pki.served(t, e.srv.addr)
		if after.SerialNumber.Cmp(rotated.SerialNumber) != 0 || after.SerialNumber.Cmp(before.SerialNumber) == 0 {
			t.Fatalf("served serial %v, want the rotated %v (was %v)", after.SerialNumber, rotated.SerialNumber, before.SerialNumber)
		}
		// The API server still gets answers.
		_, err := e.cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("after-rotation"), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "kubeward: Pod/shop/after-rotation") {
			t.Fatalf("after rotation: %v", err)
		}

		// A new CA, as docs/webhook.md describes: trust both, rotate the
		// files, then trust only the new CA. The API server makes a new
		// client for a new caBundle, so an answer now proves it completed
		// a handshake with the certificate read from disk after the start.
		newCA := newTestPKI(t)
		newCA.dir = e.pki.dir
		setBundle := func(pem []byte) {
			vwc, err := e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, DefaultConfigName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			vwc.Webhooks[0].ClientConfig.CABundle = pem
			if _, err := e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, vwc, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		call := func() error {
			_, err := e.cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("new-ca"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		}
		setBundle(append(append([]byte(nil), e.pki.ca.CertPEM...), newCA.ca.CertPEM...))
		newCA.write(t)
		// First a bundle nothing matches, until calls fail: from then on
		// the API server uses the bundles written after it.
		setBundle(newTestPKI(t).ca.CertPEM)
		waitFor(t, 30*time.Second, "calls to fail with an unrelated CA", func() bool {
			err := call()
			return err != nil && strings.Contains(err.Error(), `failed calling webhook "validate.kubeward.dev"`)
		})
		setBundle(newCA.ca.CertPEM)
		waitFor(t, 30*time.Second, "answers through a handshake trusting only the new CA", func() bool {
			err := call()
			return err != nil && strings.Contains(err.Error(), "kubeward: Pod/shop/new-ca")
		})
	})

	t.Run("kube-system stays writable while the webhook is down", func(t *testing.T) {
		e.srv.cancel()
		if err := <-e.srv.done; err != nil {
			t.Fatal(err)
		}
		e.srv.done <- nil // for the cleanup
		if c, err := net.DialTimeout("tcp", e.srv.addr, time.Second); err == nil {
			c.Close()
			t.Fatal("the webhook still listens")
		}
		// A judged namespace fails closed (failurePolicy Fail)...
		_, err := e.cs.CoreV1().Pods("shop").Create(ctx, hardenedPod("while-down"), metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), `failed calling webhook "validate.kubeward.dev"`) {
			t.Fatalf("shop while the webhook is down: %v", err)
		}
		// ...while kube-system is never sent to the webhook: even a
		// privileged pod is created.
		p := privilegedPod("node-agent")
		p.Namespace = "kube-system"
		if _, err := e.cs.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("kube-system while the webhook is down: %v", err)
		}
		// Break glass: with the configuration deleted, everything goes.
		if err := e.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, DefaultConfigName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the configuration's removal to reach the API server", func() bool {
			_, err := e.cs.CoreV1().Pods("shop").Create(ctx, hardenedPod("after-break-glass"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err == nil
		})
	})
}

// TestE2EFailurePolicyIgnore: with Ignore, an unreachable webhook admits.
func TestE2EFailurePolicyIgnore(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	cs := c.Client()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, sa := range []string{"default", "app"} {
		if _, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	pki := newTestPKI(t)
	vwc, err := WebhookConfiguration(ConfigOptions{URL: "https://" + addr, CABundle: pki.ca.CertPEM, FailurePolicy: admissionregv1.Ignore})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Wait for the configuration to be in force: with Ignore the only sign
	// is the API server's warning-free success, so look at the
	// configuration having been read by creating objects until the
	// webhook call failure shows in the API server's log.
	waitFor(t, 30*time.Second, "the API server to try the webhook", func() bool {
		_, err := cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("p"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatalf("Ignore denied: %v", err)
		}
		return logContains(t, c, `Failed calling webhook, failing open validate.kubeward.dev`)
	})
}

func logContains(t testing.TB, c *kubetest.Cluster, s string) bool {
	t.Helper()
	data, err := os.ReadFile(c.Dir + "/logs/kube-apiserver.log")
	return err == nil && strings.Contains(string(data), s)
}

// TestE2EControllers: with the controller manager running, a Deployment
// admitted by the webhook gets its ReplicaSet and Pods, which the webhook
// admits on the Deployment's judgement (owner), even when the Deployment's
// own metadata carries the suppression its Pods do not.
func TestE2EControllers(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true, ControllerManagerFlags: []string{
		"--controllers=" + strings.Join(append(kubetest.DefaultControllers, "deployment-controller", "replicaset-controller"), ",")}})
	cs := c.Client()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pki := newTestPKI(t)
	pki.write(t)
	hook := newTestWebhook(t, nil, nil, nil)
	certs, err := NewFileCertificate(pki.certFile(), pki.keyFile(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, &Server{Webhook: hook.Webhook, Certs: certs})
	vwc, err := WebhookConfiguration(ConfigOptions{URL: "https://" + srv.addr, CABundle: pki.ca.CertPEM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the API server to call the webhook", func() bool {
		_, err := cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err != nil && strings.Contains(err.Error(), "kubeward: Pod/shop/probe")
	})

	d := deployment("agent", privilegedPod("x").Spec)
	d.Annotations = map[string]string{check.AnnotationPrefix + "pss-privileged": "loads the eBPF probes"}
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the Deployment's two Pods", func() bool {
		pods, err := cs.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
		return err == nil && len(pods.Items) == 2
	})
	if got := value(hook.Metrics.Decisions.WithLabelValues("owner", "CREATE", "false")); got < 3 {
		t.Errorf("%v objects judged through their owner, want the ReplicaSet and two Pods", got)
	}
	if !strings.Contains(hook.logs.String(), `"user":"system:serviceaccount:kube-system:replicaset-controller"`) {
		t.Errorf("the Pods did not come from the replicaset controller's account:\n%s", hook.logs.String())
	}
}
