package respond

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func podAlert(rule, ns, name string) detect.Alert {
	return detect.Alert{Time: time.Now(), Rule: rule, AuditID: "a-1", Object: &detect.Object{Resource: "pods", Namespace: ns, Name: name}}
}

// run sends alerts through a quarantiner and returns its action log.
func run(t *testing.T, cs kubernetes.Interface, o Options, alerts ...detect.Alert) []Action {
	t.Helper()
	var log bytes.Buffer
	o.Log = &log
	if o.Rules == nil {
		o.Rules = []string{"privileged-pod", "pod-exec"}
	}
	q, err := New(cs, o, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	q.Consume(alerts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var acts []Action
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if l == "" {
			continue
		}
		var a Action
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("action log line %q: %v", l, err)
		}
		acts = append(acts, a)
	}
	return acts
}

func TestQuarantineWithoutCluster(t *testing.T) {
	acts := run(t, nil, Options{DryRun: true},
		podAlert("privileged-pod", "dev", "p"),
		podAlert("secret-read", "dev", "p"), // not a quarantining rule
		podAlert("pod-exec", "kube-system", "etcd"),
		podAlert("privileged-pod", "dev", "web-*"),
		detect.Alert{Rule: "pod-exec", Object: &detect.Object{Resource: "secrets", Namespace: "dev", Name: "s"}})
	want := []string{"dry-run", "skipped", "skipped", "skipped"}
	if len(acts) != len(want) {
		t.Fatalf("actions %+v", acts)
	}
	for i, w := range want {
		if acts[i].Result != w {
			t.Errorf("action %d: %s (%s), want %s", i, acts[i].Result, acts[i].Reason, w)
		}
	}
	if !strings.Contains(acts[0].Reason, "no cluster connection") || !strings.Contains(acts[1].Reason, "excluded") ||
		!strings.Contains(acts[2].Reason, "not known") {
		t.Errorf("reasons %+v", acts)
	}
	if _, err := New(nil, Options{}, nil); err == nil {
		t.Error("a real quarantiner without a cluster connection was allowed")
	}
}

func TestQuarantineAgainstAPIServer(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{})
	cs := c.Client()
	ctx := t.Context()
	const ns = "shop"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"victim", "other"} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// Dry run: validated by the API server, nothing stored.
	acts := run(t, cs, Options{DryRun: true}, podAlert("privileged-pod", ns, "other"))
	if len(acts) != 1 || acts[0].Result != "dry-run" || len(acts[0].Steps) != 2 || acts[0].Steps[1].Result != "labelled" {
		t.Fatalf("dry run: %+v", acts)
	}
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Get(ctx, DefaultPolicyName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("dry run stored the policy: %v", err)
	}
	if p, _ := cs.CoreV1().Pods(ns).Get(ctx, "other", metav1.GetOptions{}); p.Labels[DefaultLabel] != "" {
		t.Fatal("dry run labelled the pod")
	}

	// For real; the duplicate is skipped.
	acts = run(t, cs, Options{}, podAlert("pod-exec", ns, "victim"), podAlert("pod-exec", ns, "victim"))
	if len(acts) != 2 || acts[0].Result != "done" || acts[1].Result != "skipped" {
		t.Fatalf("actions %+v", acts)
	}
	p, err := cs.CoreV1().Pods(ns).Get(ctx, "victim", metav1.GetOptions{})
	if err != nil || p.Labels[DefaultLabel] != "true" || !strings.Contains(p.Annotations[reasonAnnotation], "pod-exec") || p.Labels["app"] != "victim" {
		t.Fatalf("pod after quarantine: %v %v", p.Labels, err)
	}
	np, err := cs.NetworkingV1().NetworkPolicies(ns).Get(ctx, DefaultPolicyName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if np.Spec.PodSelector.MatchLabels[DefaultLabel] != "true" || len(np.Spec.Ingress) != 0 || len(np.Spec.Egress) != 0 || len(np.Spec.PolicyTypes) != 2 {
		t.Errorf("policy is not deny-all for the label: %+v", np.Spec)
	}

	// A tampered policy is restored to deny-all.
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{}}
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Update(ctx, np, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	acts = run(t, cs, Options{}, podAlert("privileged-pod", ns, "other"))
	if len(acts) != 1 || acts[0].Result != "done" || acts[0].Steps[0].Result != "restored to deny-all" {
		t.Fatalf("actions %+v", acts)
	}
	np, _ = cs.NetworkingV1().NetworkPolicies(ns).Get(ctx, DefaultPolicyName, metav1.GetOptions{})
	if len(np.Spec.Ingress) != 0 {
		t.Error("policy not restored")
	}

	// Without permission the action fails, and says why.
	weak := kubernetes.NewForConfigOrDie(c.UserConfig("responder"))
	acts = run(t, weak, Options{}, podAlert("privileged-pod", ns, "victim"))
	if len(acts) != 1 || acts[0].Result != "failed" || !strings.Contains(acts[0].Steps[0].Error, "forbidden") {
		t.Fatalf("actions %+v", acts)
	}
}
