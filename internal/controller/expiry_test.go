package controller

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// expiringProxy stands between the controller and the real API server.
// While it expires, it does what the API server does when a watch's
// resourceVersion has left its history (etcd compacted it, or the watch
// cache moved on): the watches open now end, and each new watch from a
// resourceVersion is answered 410 Gone, reason Expired: a resumed watch, and
// a watch-list (sendInitialEvents) not older than the version it held, as
// the API server answers both once that version is compacted. The
// informers must list again; lists, and watches from no version, pass.
type expiringProxy struct {
	rp       *httputil.ReverseProxy
	expiring atomic.Bool
	expired  atomic.Int64
	mu       sync.Mutex
	open     map[*http.Request]context.CancelFunc
}

func (p *expiringProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("watch") != "true" && q.Get("watch") != "1" {
		p.rp.ServeHTTP(w, r)
		return
	}
	if rv := q.Get("resourceVersion"); p.expiring.Load() && rv != "" && rv != "0" {
		p.expired.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusGone)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: %s","reason":"Expired","code":410}`, rv)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	r = r.WithContext(ctx)
	p.mu.Lock()
	p.open[r] = cancel
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.open, r)
		p.mu.Unlock()
		cancel()
	}()
	p.rp.ServeHTTP(w, r)
}

// expire ends every open watch and expires the resourceVersions they held.
func (p *expiringProxy) expire() {
	p.expiring.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cancel := range p.open {
		cancel()
	}
}

// proxied starts an expiringProxy to the cluster and returns a client
// configuration through it (the proxy holds the admin's credentials).
func proxied(t testing.TB, cl *kubetest.Cluster) (*expiringProxy, *rest.Config) {
	t.Helper()
	target, err := url.Parse(cl.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := rest.TransportFor(cl.Config)
	if err != nil {
		t.Fatal(err)
	}
	p := &expiringProxy{open: map[*http.Request]context.CancelFunc{}}
	p.rp = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }, Transport: tr, FlushInterval: -1}
	srv := httptest.NewTLSServer(p)
	t.Cleanup(srv.Close)
	cfg := &rest.Config{Host: srv.URL, QPS: 100, Burst: 200,
		TLSClientConfig: rest.TLSClientConfig{CAData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}}
	return p, cfg
}

// TestWatchExpiryRelists: the API server stays up, but every watch the
// controller holds expires (410 Gone) while a Deployment is deleted and
// another created. The informers list again; the report ends equal to
// `scan --cluster`, with no duplicated result, and the result of a
// Deployment nobody touched never leaves the report on the way (no flap).
func TestWatchExpiryRelists(t *testing.T) {
	kubetest.SkipIfShort(t)
	cl, cs := shop(t, kubetest.Options{}, reportsModuleCRDs(t), "old", "steady")
	ctx := context.Background()
	f := policyreport.OpenReports
	p, cfg := proxied(t, cl)
	start(t, cl, func(o *Options) { o.Config = cfg })
	steady := result{Policy: "pss-privileged", Name: "steady"}
	read := reportReader(t, cl, f, "shop")

	eventually(t, "the first report", func() error {
		if got, _ := read(); !has(got, result{Policy: "pss-privileged", Name: "old"}) || !has(got, steady) {
			return fmt.Errorf("not yet: %+v", got)
		}
		return nil
	})

	p.expire()
	if err := cs.AppsV1().Deployments("shop").Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, deployment("new", true, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Watches keep expiring for 3 s; the untouched Deployment's result
	// must stay in the report throughout.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if got, _ := read(); !has(got, steady) {
			t.Fatalf("the untouched Deployment's result left the report while the watches expired: %+v", got)
		}
	}
	p.expiring.Store(false)
	if p.expired.Load() == 0 {
		t.Fatal("no watch was answered 410 Gone: the test did not expire anything")
	}

	var settled string
	eventually(t, "converged after the watches expired", func() error {
		got, rv := read()
		want := scanResults(t, cl, "shop")
		if !has(got, result{Policy: "pss-privileged", Name: "new"}) || !has(got, steady) || !sameResults(got, want) {
			return fmt.Errorf("report:\n%+v\nscan:\n%+v", got, want)
		}
		settled = rv
		return nil
	})
	expectSettled(t, read, settled)
	t.Logf("%d watches answered 410 Gone", p.expired.Load())
}
