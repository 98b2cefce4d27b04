package admission

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/image/verify"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
	"github.com/kubeward/kubeward/internal/kubetest"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	imgIssuer   = "https://token.actions.githubusercontent.com"
	imgReleaser = "release@acme.example"
)

// imageHook is a webhook whose image checks verify images of acme/** in
// an in-process registry: signed carries a trusted signature, unsigned none.
type imageHook struct {
	*testWebhook
	reg              *registrytest.Registry
	signed, unsigned name.Digest
}

func newImageHook(t testing.TB, onError string, budget time.Duration) *imageHook {
	t.Helper()
	reg, ss := registrytest.New(t), sigtest.New(t)
	push := func(tag string) name.Digest {
		img, err := random.Image(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		return reg.Push(t, tag, img)
	}
	h := &imageHook{reg: reg, signed: push("acme/web:1.0"), unsigned: push("acme/api:1.0")}
	sigtest.PushLayers(t, reg, h.signed, ".sig", ss.SignKeyless(t, sigtest.Payload(h.signed), imgReleaser, imgIssuer))
	v, err := verify.New([]config.ImagePolicy{{Name: "acme-release", Images: []string{reg.Host + "/acme/**"},
		Signers: []config.ImageSigner{{Keyless: &config.KeylessIdentity{Issuer: imgIssuer, Subject: imgReleaser}}}}},
		verify.Options{Trusted: ss.TrustedRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := registry.New(registry.Options{RootCAs: reg.CAs, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rs := resolve.New(resolve.Options{Client: c, Verifier: v, Keychains: func(context.Context, resolve.Use) (string, authn.Keychain, error) {
		return "test", reg.Keychain(), nil
	}})
	opts := check.DefaultOptions()
	opts.ImagePolicies, opts.ImageOnRegistryError = true, onError
	h.testWebhook = newTestWebhook(t, nil, nil, nil)
	// The default checks, as webhook serve runs them: the opt-in ones
	// (run-as-high-uid-gid, image-pull-policy-not-always) would add findings
	// of their own to every review and to the benchmarks built on this hook,
	// which compare with the default set without images.
	eval := NewEvaluator(check.Defaults(), opts, nil)
	eval.WithImages(rs, budget)
	h.Eval = eval
	return h
}

func (h *imageHook) deployment(name string, d name.Digest) *appsv1.Deployment {
	spec := hardenedSpec()
	spec.Containers[0].Image = d.Context().String() + ":1.0"
	return deployment(name, spec)
}

func TestAdmissionVerifiesImages(t *testing.T) {
	h := newImageHook(t, "", 0)
	resp := h.review(t, request(t, admissionv1.Create, h.deployment("api", h.unsigned), nil, alice))
	if resp.Allowed || !strings.Contains(resp.Result.Message, "image-unsigned") {
		t.Fatalf("unsigned image: %+v", resp.Result)
	}
	if resp := h.review(t, request(t, admissionv1.Create, h.deployment("web", h.signed), nil, alice)); !resp.Allowed {
		t.Fatalf("signed image denied: %+v", resp.Result)
	}
	// Scaling a workload admitted with the unsigned image before the policy
	// is not blocked; changing its image to another unsigned one is.
	old := h.deployment("api", h.unsigned)
	scaled := h.deployment("api", h.unsigned)
	scaled.Spec.Replicas = new(int32)
	if resp := h.review(t, request(t, admissionv1.Update, scaled, old, alice)); !resp.Allowed {
		t.Fatalf("scaling denied: %+v", resp.Result)
	}
	changed := h.deployment("api", h.unsigned)
	changed.Spec.Template.Spec.Containers[0].Image = h.unsigned.String()
	if resp := h.review(t, request(t, admissionv1.Update, changed, old, alice)); resp.Allowed {
		t.Fatal("an update to another unsigned reference was admitted")
	}
	if got := h.Eval.Checks(); !strings.Contains(strings.Join(got, " "), "image-unsigned") {
		t.Fatalf("the image checks do not run at admission: %v", got)
	}
}

// An ephemeral container (kubectl debug) runs its image like any other:
// adding one with an unsigned image through pods/ephemeralcontainers is
// denied, as Kyverno's verifyImages and policy-controller deny it; else
// anyone allowed to debug pods would run what the policy keeps out.
func TestAdmissionVerifiesEphemeralImages(t *testing.T) {
	h := newImageHook(t, "", 0)
	pod := func(debug name.Digest) *corev1.Pod {
		p := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"}, Spec: hardenedSpec()}
		p.Spec.Containers[0].Image = h.signed.String()
		if debug.Context().RepositoryStr() != "" {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debugger", Image: debug.String(), SecurityContext: p.Spec.Containers[0].SecurityContext}}}
		}
		return p
	}
	debug := func(d name.Digest) *admissionv1.AdmissionResponse {
		req := request(t, admissionv1.Update, pod(d), pod(name.Digest{}), alice)
		req.SubResource = "ephemeralcontainers"
		return h.review(t, req)
	}
	if resp := debug(h.unsigned); resp.Allowed || !strings.Contains(resp.Result.Message, "image-unsigned") {
		t.Errorf("an ephemeral container with an unsigned image: allowed %v, %+v", resp.Allowed, resp.Result)
	}
	if resp := debug(h.signed); !resp.Allowed {
		t.Errorf("an ephemeral container with a signed image denied: %+v", resp.Result)
	}
}

// The registry down: deny by default, warn when configured; either way
// within the budget, and never an unjudged pass.
func TestAdmissionRegistryDown(t *testing.T) {
	for _, tc := range []struct {
		onError string
		allowed bool
	}{{"", false}, {"warn", true}} {
		h := newImageHook(t, tc.onError, 300*time.Millisecond)
		h.reg.SetDelay(5 * time.Second)
		start := time.Now()
		resp := h.review(t, request(t, admissionv1.Create, h.deployment("web", h.signed), nil, alice))
		el := time.Since(start)
		text := strings.Join(resp.Warnings, "\n")
		if resp.Result != nil {
			text += resp.Result.Message
		}
		if resp.Allowed != tc.allowed || !strings.Contains(text, "image-unverified") || !strings.Contains(text, "time budget") {
			t.Errorf("onError %q: allowed %v, %s", tc.onError, resp.Allowed, text)
		}
		if el > 2*time.Second {
			t.Errorf("onError %q: answered after %s with a 300ms budget", tc.onError, el)
		}
	}
}

// TestE2EImages: the real API server calls the webhook, which denies a
// Deployment with an unsigned image and admits one with a signed image.
func TestE2EImages(t *testing.T) {
	kubetest.SkipIfShort(t)
	h := newImageHook(t, "", 0)
	e := startE2EWith(t, nil, h.testWebhook)
	ctx := context.Background()
	_, err := e.cs.AppsV1().Deployments("shop").Create(ctx, h.deployment("api", h.unsigned), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "image-unsigned") || !strings.Contains(err.Error(), h.reg.Host+"/acme/api:1.0") {
		t.Fatalf("unsigned image: err = %v", err)
	}
	if _, err := e.cs.AppsV1().Deployments("shop").Create(ctx, h.deployment("web", h.signed), metav1.CreateOptions{}); err != nil {
		t.Fatalf("signed image: %v", err)
	}
}
