package admission

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	webhookutil "k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/rest"
)

// TestAPIServerWebhookClientProtocol: which protocol the API server speaks
// to kubeward's webhook server, which offers both h2 and HTTP/1.1. The
// client is the API server's own (k8s.io/apiserver's webhook ClientManager,
// as kube-apiserver builds it for admission webhooks), with only the
// service's address and the TLS server name resolved to the loopback
// server. A webhook referenced by a Service, as the chart and
// deploy/webhook.yaml register it, is called over HTTP/1.1 (the client
// asks for nothing else: kubernetes/kubernetes#75791, HTTP/2 would not
// spread the reviews over the service's endpoints); a URL webhook is too,
// except on localhost or a loopback IP, which gets HTTP/2. So the load
// benchmarks' HTTP/1.1 figures are those of a webhook in a cluster, and
// the HTTP/2 ones those of a URL webhook on the API server's own host
// (docs/PERFORMANCE.md). If a Kubernetes upgrade changes this, the
// benchmarks must follow.
func TestAPIServerWebhookClientProtocol(t *testing.T) {
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelWarn: "low", LabelAudit: "low"}})
	pki, fc := servingPKI(t, w)
	addr := startServer(t, &Server{Webhook: w.Webhook, Certs: fc}).addr
	sent := &admissionv1.AdmissionReview{Request: request(t, admissionv1.Create, typicalPod(), nil, alice)}
	for _, tc := range []struct {
		name  string
		cc    webhookutil.ClientConfig
		proto int
	}{
		{"service", webhookutil.ClientConfig{Name: "pods.kubeward.dev", CABundle: pki.ca.CertPEM,
			Service: &webhookutil.ClientConfigService{Name: "kubeward-webhook", Namespace: "kubeward", Path: "/validate", Port: 443}}, 1},
		{"loopback URL", webhookutil.ClientConfig{Name: "pods.kubeward.dev", CABundle: pki.ca.CertPEM, URL: "https://" + addr + "/validate"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var proto atomic.Int32
			// The API server's resolver gives its client the webhook's
			// credentials; here it gives the server name of the test's
			// certificate (127.0.0.1) and a wrapper that records what was
			// spoken.
			config := func() (*rest.Config, error) {
				cfg := &rest.Config{TLSClientConfig: rest.TLSClientConfig{ServerName: "127.0.0.1"}}
				cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
					return roundTripFunc(func(r *http.Request) (*http.Response, error) {
						resp, err := rt.RoundTrip(r)
						if err == nil {
							proto.Store(int32(resp.ProtoMajor))
						}
						return resp, err
					})
				})
				return cfg, nil
			}
			cm, err := webhookutil.NewClientManager([]schema.GroupVersion{admissionv1.SchemeGroupVersion}, admissionv1.AddToScheme)
			if err != nil {
				t.Fatal(err)
			}
			cm.SetAuthenticationInfoResolver(&webhookutil.AuthenticationInfoResolverDelegator{
				ClientConfigForFunc:        func(string) (*rest.Config, error) { return config() },
				ClientConfigForServiceFunc: func(string, string, int) (*rest.Config, error) { return config() },
			})
			cm.SetServiceResolver(loopbackService(addr))
			if err := cm.Validate(); err != nil {
				t.Fatal(err)
			}
			client, err := cm.HookClient(tc.cc)
			if err != nil {
				t.Fatal(err)
			}
			// As the API server's dispatcher sends it: the review object,
			// encoded by the client.
			var review admissionv1.AdmissionReview
			if err := client.Post().Body(sent).Do(context.Background()).Into(&review); err != nil {
				t.Fatal(err)
			}
			if review.Response == nil || !review.Response.Allowed {
				t.Fatalf("answer: %+v", review.Response)
			}
			if got := proto.Load(); got != int32(tc.proto) {
				t.Errorf("the API server's client spoke HTTP/%d, want HTTP/%d", got, tc.proto)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// loopbackService resolves every service to the test's server.
type loopbackService string

func (a loopbackService) ResolveEndpoint(namespace, name string, port int32) (*url.URL, error) {
	return &url.URL{Scheme: "https", Host: string(a)}, nil
}
