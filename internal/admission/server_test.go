package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// testPKI is a CA and a directory for serving certificates.
type testPKI struct {
	ca   *CA
	dir  string
	pool *x509.CertPool
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	ca, err := NewCA("test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &testPKI{ca: ca, dir: t.TempDir(), pool: pool}
}

// write issues a certificate for 127.0.0.1 and writes it as the kubelet
// updates a Secret volume: new files, then renames over the old ones.
func (p *testPKI) write(t testing.TB) *x509.Certificate {
	t.Helper()
	cert, err := p.ca.Issue([]string{"127.0.0.1", "localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	p.writeFiles(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return cert.Leaf
}

func (p *testPKI) writeFiles(t testing.TB, certPEM, keyPEM []byte) {
	t.Helper()
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		tmp := filepath.Join(p.dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(p.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func (p *testPKI) certFile() string { return filepath.Join(p.dir, "tls.crt") }
func (p *testPKI) keyFile() string  { return filepath.Join(p.dir, "tls.key") }

// served is the certificate a new TLS connection to addr is given.
func (p *testPKI) served(t testing.TB, addr string) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// running is a Server on 127.0.0.1 ports, stopped by the test's cleanup.
type running struct {
	addr, healthAddr string
	cancel           context.CancelFunc
	done             chan error
}

func startServer(t testing.TB, s *Server) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{addr: ln.Addr().String(), healthAddr: hln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Serve(ctx, ln, hln) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func TestFileCertificateRotation(t *testing.T) {
	pki := newTestPKI(t)
	first := pki.write(t)
	w := newTestWebhook(t, nil, nil, nil)
	fc, err := NewFileCertificate(pki.certFile(), pki.keyFile(), w.Metrics, w.Log)
	if err != nil {
		t.Fatal(err)
	}
	fc.Interval = 0 // look at the files on every handshake
	srv := startServer(t, &Server{Webhook: w.Webhook, Certs: fc})
	if got := pki.served(t, srv.addr); got.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Fatalf("serving serial %v, want %v", got.SerialNumber, first.SerialNumber)
	}
	if got := value(w.Metrics.CertExpiry); got != float64(first.NotAfter.Unix()) {
		t.Errorf("expiry gauge %v, want %v", got, first.NotAfter.Unix())
	}

	second := pki.write(t)
	if got := pki.served(t, srv.addr); got.SerialNumber.Cmp(second.SerialNumber) != 0 {
		t.Fatalf("after rotation: serial %v, want the new %v", got.SerialNumber, second.SerialNumber)
	}

	// A half-written update (the certificate of a new pair, the old key)
	// does not load: the last good pair stays in use.
	cert3, err := pki.ca.Issue([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, err := os.ReadFile(pki.keyFile())
	if err != nil {
		t.Fatal(err)
	}
	pki.writeFiles(t, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert3.Certificate[0]}), oldKey)
	if got := pki.served(t, srv.addr); got.SerialNumber.Cmp(second.SerialNumber) != 0 {
		t.Fatalf("a mismatched pair replaced the certificate in use")
	}
	if value(w.Metrics.CertReloads.WithLabelValues("error")) < 1 {
		t.Error("failed reload not counted")
	}
	if strings.Contains(w.logs.String(), "PRIVATE KEY") {
		t.Error("key material in the log")
	}
	third := pki.write(t)
	if got := pki.served(t, srv.addr); got.SerialNumber.Cmp(third.SerialNumber) != 0 {
		t.Fatalf("after a good write: serial %v, want %v", got.SerialNumber, third.SerialNumber)
	}

	// TLS 1.1 and older are refused.
	_, err = tls.Dial("tcp", srv.addr, &tls.Config{RootCAs: pki.pool, ServerName: "127.0.0.1", MaxVersion: tls.VersionTLS11})
	if err == nil {
		t.Error("a TLS 1.1 handshake succeeded")
	}
}

func TestFileCertificateErrors(t *testing.T) {
	pki := newTestPKI(t)
	if _, err := NewFileCertificate(pki.certFile(), pki.keyFile(), nil, nil); err == nil {
		t.Error("missing files accepted")
	}
	pki.writeFiles(t, []byte("not a certificate"), []byte("-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"))
	_, err := NewFileCertificate(pki.certFile(), pki.keyFile(), nil, nil)
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("err = %v", err)
	}
}

func TestSelfManagedRenews(t *testing.T) {
	pki := newTestPKI(t)
	sm, err := NewSelfManaged(pki.ca, []string{"kubeward-webhook.kubeward.svc", "127.0.0.1"}, time.Hour, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := sm.GetCertificate(nil)
	if first.Leaf.DNSNames[0] != "kubeward-webhook.kubeward.svc" || !first.Leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("names %v %v", first.Leaf.DNSNames, first.Leaf.IPAddresses)
	}
	if _, err := first.Leaf.Verify(x509.VerifyOptions{Roots: pki.pool, DNSName: "kubeward-webhook.kubeward.svc"}); err != nil {
		t.Error(err)
	}
	if again, _ := sm.GetCertificate(nil); again != first {
		t.Error("renewed before two thirds of its life")
	}
	sm.renewAt = time.Now().Add(-time.Second)
	if renewed, _ := sm.GetCertificate(nil); renewed == first {
		t.Error("not renewed after two thirds of its life")
	}
}

func TestCARoundTrip(t *testing.T) {
	pki := newTestPKI(t)
	keyPEM, err := pki.ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ParseCA(pki.ca.CertPEM, keyPEM)
	if err != nil || !ca.Cert.Equal(pki.ca.Cert) {
		t.Fatalf("ParseCA: %v", err)
	}
	leaf, err := pki.ca.Issue([]string{"x"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if _, err := ParseCA(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: leafKey})); err == nil {
		t.Error("a serving certificate was accepted as a CA")
	}
}

// blockingNamespaces holds every lookup until release is closed.
type blockingNamespaces struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingNamespaces) Labels(ctx context.Context, _ string) (map[string]string, error) {
	b.entered <- struct{}{}
	<-b.release
	return nil, nil
}

func TestGracefulShutdown(t *testing.T) {
	pki := newTestPKI(t)
	pki.write(t)
	w := newTestWebhook(t, nil, nil, nil)
	block := &blockingNamespaces{entered: make(chan struct{}, 1), release: make(chan struct{})}
	w.Namespaces = block
	w.LookupTimeout = time.Minute
	fc, err := NewFileCertificate(pki.certFile(), pki.keyFile(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, &Server{Webhook: w.Webhook, Certs: fc, Gatherer: w.reg, ShutdownDelay: 200 * time.Millisecond})
	health := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.healthAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := health("/readyz"); code != 200 {
		t.Fatalf("readyz %d", code)
	}

	// A review in flight when the stop signal comes is answered.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool}}}
	answered := make(chan error, 1)
	go func() {
		resp, err := client.Post("https://"+srv.addr+"/validate", "application/json",
			bytes.NewReader(reviewBody(t, request(t, admissionv1.Create, hardenedPod("p"), nil, alice))))
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				err = errors.New(resp.Status)
			}
		}
		answered <- err
	}()
	<-block.entered
	srv.cancel()
	// Unready while the delay lets endpoints drop this replica.
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := health("/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, "shutting down") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz still %d %q after the stop signal", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(block.release)
	if err := <-answered; err != nil {
		t.Fatalf("the review in flight was not answered: %v", err)
	}
	if err := <-srv.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	srv.done <- nil // for the cleanup
}

// servingPKI makes a PKI whose certificate for 127.0.0.1 is on disk and
// the webhook's certificate reading it.
func servingPKI(t testing.TB, w *testWebhook) (*testPKI, *FileCertificate) {
	t.Helper()
	pki := newTestPKI(t)
	pki.write(t)
	fc, err := NewFileCertificate(pki.certFile(), pki.keyFile(), w.Metrics, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pki, fc
}

func TestHealthAndMetrics(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	pki, fc := servingPKI(t, w)
	notReady := errors.New("namespace cache not synced")
	ready := notReady
	srv := startServer(t, &Server{Webhook: w.Webhook, Certs: fc, Gatherer: w.reg, Ready: func() error { return ready }})
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.healthAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "namespace cache not synced") {
		t.Errorf("readyz before sync: %d %q", code, body)
	}
	ready = nil
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz after sync: %d", code)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool}}}
	resp, err := client.Post("https://"+srv.addr+"/validate", "application/json",
		bytes.NewReader(reviewBody(t, request(t, admissionv1.Create, privilegedPod("p"), nil, alice))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, metrics := get("/metrics")
	for _, want := range []string{
		`kubeward_webhook_requests_total{code="200"} 1`,
		`kubeward_webhook_decisions_total{decision="deny",dry_run="false",operation="CREATE"} 1`,
		`kubeward_webhook_findings_total{check="pss-privileged",mode="enforce"} 1`,
		`kubeward_webhook_request_duration_seconds_count 1`,
		`kubeward_webhook_certificate_expiry_timestamp_seconds`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
