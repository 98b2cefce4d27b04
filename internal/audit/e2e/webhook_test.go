package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/kubeward/kubeward/internal/audit/server"
	"github.com/kubeward/kubeward/internal/kubetest"
)

// TestWebhookEndToEnd runs the real kube-apiserver with the recommended
// audit policy and a webhook backend pointing at kubeward's receiver on
// 127.0.0.1, authenticated by a client certificate; a client then attacks
// and the alerts must arrive.
func TestWebhookEndToEnd(t *testing.T) {
	kubetest.SkipIfShort(t)
	r := newRig(t, server.Source)
	dir := t.TempDir()
	ca := kubetest.NewCA(t, dir)
	crt, key, _, _ := ca.Issue(t, "receiver", "kubeward", "127.0.0.1")
	_, _, clientCrt, clientKey := ca.Issue(t, "apiserver", "kube-apiserver-audit")
	srv, err := server.New(server.Options{CertFile: crt, KeyFile: key, ClientCAFile: ca.File(), ClientNames: []string{"kube-apiserver-audit"}}, r, r.events, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	b64 := base64.StdEncoding.EncodeToString
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubeward
  cluster:
    server: https://%s/
    certificate-authority-data: %s
users:
- name: apiserver
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kubeward
  context: {cluster: kubeward, user: apiserver}
current-context: kubeward
`, ln.Addr(), b64(ca.PEM()), b64(clientCrt), b64(clientKey))

	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{
			"--audit-policy-file={{DIR}}/audit/policy.yaml",
			"--audit-webhook-config-file={{DIR}}/audit/webhook.kubeconfig",
			"--audit-webhook-batch-max-wait=250ms",
			"--audit-webhook-initial-backoff=1s",
		},
		Files: map[string][]byte{"audit/policy.yaml": recommendedPolicy(t), "audit/webhook.kubeconfig": []byte(kubeconfig)},
	})
	cs := c.Client()
	tctx := t.Context()
	setup(t, tctx, cs)
	done := attack(t, tctx, cs)
	expectAlerts(t, r, done)

	// Stop the API server first (it flushes its last batch), then the
	// receiver, which processes all it acknowledged.
	c.Stop()
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	processed := r.count(t, server.Source, pipeline.Processed)
	if accepted := srv.Accepted(); float64(accepted) != processed || processed == 0 {
		t.Errorf("acknowledged %d events, processed %v", accepted, processed)
	}
	if bad := r.count(t, server.Source, pipeline.Malformed); bad != 0 {
		t.Errorf("%v malformed batches from the API server", bad)
	}
	t.Logf("events processed: %v", processed)
	time.Sleep(0)
}
