package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

type sink struct {
	mu    sync.Mutex
	users []string
	bad   int
	gate  chan struct{} // when set, each batch waits for a value
}

func (s *sink) Events(evs []*event.Event, _ event.Pos) error {
	if s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		s.users = append(s.users, e.User.Username)
	}
	return nil
}

func (s *sink) Malformed(*event.ReadError) { s.mu.Lock(); s.bad++; s.mu.Unlock() }

func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.users) }

type fixture struct {
	url      string
	ca       *kubetest.CA
	client   *http.Client // trusts the server, no client certificate
	certs    *http.Client // presents a client certificate
	srv      *Server
	events   *pipeline.Metrics
	stop     func()
	serveErr chan error
}

func start(t *testing.T, h event.Handler, tune func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	ca := kubetest.NewCA(t, dir)
	crt, key, _, _ := ca.Issue(t, "server", "kubeward", "127.0.0.1")
	_, _, ccrt, ckey := ca.Issue(t, "client", "kube-apiserver")
	o := Options{CertFile: crt, KeyFile: key, ClientCAFile: ca.File(), ClientNames: []string{"kube-apiserver"}, Tokens: []string{"s3cret-token"}}
	if tune != nil {
		tune(&o)
	}
	reg := prometheus.NewRegistry()
	em, _ := pipeline.NewMetrics(reg)
	sm, _ := NewMetrics(reg)
	srv, err := New(o, h, em, sm)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fixture{url: "https://" + ln.Addr().String() + "/", ca: ca, srv: srv, events: em, serveErr: make(chan error, 1)}
	go func() { f.serveErr <- srv.Serve(ctx, ln) }()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM())
	f.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	pair, err := tls.X509KeyPair(ccrt, ckey)
	if err != nil {
		t.Fatal(err)
	}
	f.certs = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-f.serveErr; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(f.stop)
	return f
}

func post(t *testing.T, c *http.Client, url, token string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func batchOf(n int) []byte {
	var es []*audittest.E
	for i := range n {
		es = append(es, audittest.New("u"+string(rune('a'+i%26)), "get"))
	}
	return audittest.List(es...)
}

func counter(t *testing.T, m *pipeline.Metrics, result string) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Events.WithLabelValues(Source, result).Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.Counter.GetValue()
}

func TestReceiverAuthenticates(t *testing.T) {
	s := &sink{}
	f := start(t, s, nil)
	for _, c := range []struct {
		name   string
		client *http.Client
		token  string
		want   int
	}{
		{"token", f.client, "s3cret-token", 200},
		{"client certificate", f.certs, "", 200},
		{"no credentials", f.client, "", 401},
		{"wrong token", f.client, "s3cret-tokeN", 401},
	} {
		if got := post(t, c.client, f.url, c.token, batchOf(2)).StatusCode; got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	// A certificate from the right CA but another name is refused.
	_, _, crt, key := f.ca.Issue(t, "other", "someone-else")
	pair, _ := tls.X509KeyPair(crt, key)
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.client.Transport.(*http.Transport).TLSClientConfig.RootCAs, Certificates: []tls.Certificate{pair}}}}
	if got := post(t, other, f.url, "", batchOf(1)).StatusCode; got != 401 {
		t.Errorf("other common name: %d", got)
	}
	f.stop()
	if s.count() != 4 {
		t.Errorf("processed %d events, want 4", s.count())
	}
}

func TestReceiverRejectsOldTLS(t *testing.T) {
	f := start(t, &sink{}, nil)
	pool := f.client.Transport.(*http.Transport).TLSClientConfig.RootCAs
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	req, _ := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(batchOf(1)))
	if _, err := old.Do(req); err == nil {
		t.Error("TLS 1.1 accepted")
	}
}

func TestReceiverRefusesBadRequests(t *testing.T) {
	s := &sink{}
	f := start(t, s, func(o *Options) { o.Limits.MaxDocBytes = 4096 })
	for _, c := range []struct {
		name   string
		method string
		path   string
		ctype  string
		body   []byte
		want   int
	}{
		{"malformed", "POST", "/", "application/json", []byte(`{"kind":"EventList","items":[{`), 400},
		{"too large", "POST", "/", "application/json", batchOf(20), 413},
		{"not json", "POST", "/", "application/x-protobuf", batchOf(1), 415},
		{"get", "GET", "/", "", nil, 405},
		{"other path", "POST", "/other", "application/json", batchOf(1), 404},
	} {
		req, _ := http.NewRequest(c.method, strings.TrimSuffix(f.url, "/")+c.path, bytes.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		req.Header.Set("Authorization", "Bearer s3cret-token")
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	f.stop()
	if s.bad != 2 || s.count() != 0 {
		t.Errorf("malformed %d, events %d", s.bad, s.count())
	}
}

// Under overload every event is either processed or refused with 429 (and
// counted as rejected): the sender keeps what was refused and retries.
func TestReceiverOverloadNeverAcknowledgesWhatItDrops(t *testing.T) {
	s := &sink{gate: make(chan struct{})}
	body := batchOf(10)
	f := start(t, s, func(o *Options) { o.QueueBytes = int64(len(body) * 3) })
	sent, ok, refused := 0, 0, 0
	for range 10 {
		resp := post(t, f.client, f.url, "s3cret-token", body)
		sent += 10
		switch resp.StatusCode {
		case 200:
			ok += 10
		case 429:
			refused += 10
			if resp.Header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if refused == 0 {
		t.Fatal("no batch refused with a queue of three batches and a blocked consumer")
	}
	close(s.gate)
	f.stop()
	if s.count() != ok || int(f.srv.Accepted()) != ok || int(counter(t, f.events, pipeline.Rejected)) != refused || ok+refused != sent {
		t.Errorf("sent %d: acknowledged %d, processed %d, rejected %v", sent, ok, s.count(), counter(t, f.events, pipeline.Rejected))
	}
}

func TestReceiverDrainsOnShutdown(t *testing.T) {
	s := &sink{gate: make(chan struct{})}
	f := start(t, s, nil)
	for range 3 {
		if post(t, f.certs, f.url, "", batchOf(5)).StatusCode != 200 {
			t.Fatal("not accepted")
		}
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		close(s.gate)
	}()
	f.stop()
	if s.count() != 15 {
		t.Errorf("processed %d of 15 acknowledged events", s.count())
	}
}

func TestReceiverDropDeadlineCounts(t *testing.T) {
	s := &sink{gate: make(chan struct{})}
	f := start(t, s, func(o *Options) { o.DrainTimeout = 200 * time.Millisecond })
	for range 3 {
		post(t, f.certs, f.url, "", batchOf(5))
	}
	go func() {
		s.gate <- struct{}{} // the first batch gets through, the second is stuck
		for !f.srv.expired.Load() {
			time.Sleep(10 * time.Millisecond)
		}
		close(s.gate) // the stuck batch finishes after the deadline
	}()
	f.stop()
	dropped := counter(t, f.events, pipeline.Dropped)
	if s.count() != 10 || dropped != 5 {
		t.Errorf("processed %d, dropped %v; want 10 and 5", s.count(), dropped)
	}
}

func TestNewRequiresAuthentication(t *testing.T) {
	if _, err := New(Options{CertFile: "x", KeyFile: "y"}, &sink{}, nil, nil); err == nil {
		t.Error("unauthenticated receiver allowed")
	}
}
