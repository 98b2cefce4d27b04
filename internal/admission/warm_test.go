package admission

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
)

// waiting is how many goroutines wait in p once those that finished a call
// have put themselves back (just after the caller was answered).
func waiting(t *testing.T, p *warmPool, want func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !want(len(p.idle)) && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	return len(p.idle)
}

func TestWarmPoolKeepsItsGoroutines(t *testing.T) {
	p := newWarmPool(4)
	ran := 0
	for range 100 {
		p.do(func() { ran++ })
		// The goroutine that ran it waits for the next call: one, not one
		// per call (a pool that let them go would leave none waiting).
		if n := waiting(t, p, func(n int) bool { return n == 1 }); n != 1 {
			t.Fatalf("%d goroutines waiting after a call, want 1", n)
		}
	}
	if ran != 100 {
		t.Fatalf("ran %d of 100 calls", ran)
	}
	// Many at once: those beyond the pool's room end when done.
	var wg sync.WaitGroup
	release := make(chan struct{})
	for range 20 {
		wg.Go(func() { p.do(func() { <-release }) })
	}
	close(release)
	wg.Wait()
	if n := waiting(t, p, func(n int) bool { return n > 0 }); n > cap(p.idle) || n == 0 {
		t.Fatalf("%d goroutines waiting, want 1 to %d", n, cap(p.idle))
	}
}

func TestWarmPoolRaisesPanicsInTheCaller(t *testing.T) {
	p := newWarmPool(2)
	got := func() (v any) {
		defer func() { v = recover() }()
		p.do(func() { panic("boom") })
		return nil
	}()
	if got != "boom" {
		t.Fatalf("recovered %v, want boom", got)
	}
	// The goroutine that panicked serves the next call.
	ok := false
	p.do(func() { ok = true })
	if n := waiting(t, p, func(n int) bool { return n == 1 }); !ok || n != 1 {
		t.Fatalf("after a panic: ran %v, %d waiting", ok, n)
	}
}

func TestNilWarmPoolRunsInPlace(t *testing.T) {
	var p *warmPool
	ran := false
	p.do(func() { ran = true })
	if !ran {
		t.Fatal("not run")
	}
}

// deep uses about n KiB of stack, as decoding a review does.
//
//go:noinline
func deep(n int) int {
	var pad [1024]byte
	pad[n%len(pad)] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return deep(n-1) + int(pad[n%len(pad)])
}

// BenchmarkStackGrowth is a function needing 32 KiB of stack run on a new
// goroutine per call, as the HTTP/2 server runs a handler, against the same
// on a warmPool goroutine.
func BenchmarkStackGrowth(b *testing.B) {
	b.Run("new-goroutine", func(b *testing.B) {
		for b.Loop() {
			done := make(chan struct{})
			go func() { deep(32); close(done) }()
			<-done
		}
	})
	b.Run("warm-pool", func(b *testing.B) {
		p := newWarmPool(warmIdle)
		for b.Loop() {
			p.do(func() { deep(32) })
		}
	})
}

// TestHTTP2ReviewsRunOnWarmGoroutines: over HTTP/2 the review runs on the
// webhook's warmPool, over HTTP/1.1 on the connection's goroutine.
func TestHTTP2ReviewsRunOnWarmGoroutines(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	pki, fc := servingPKI(t, w)
	srv := startServer(t, &Server{Webhook: w.Webhook, Certs: fc})
	body := reviewBody(t, request(t, admissionv1.Create, typicalPod(), nil, alice))
	post := func(h2 bool) {
		t.Helper()
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.pool}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Post("https://"+srv.addr+"/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != map[bool]int{false: 1, true: 2}[h2] {
			t.Fatalf("answered over %s", resp.Proto)
		}
		if err := allowed(resp); err != nil {
			t.Fatal(err)
		}
	}
	post(false)
	if n := len(w.warm.idle); n != 0 {
		t.Fatalf("HTTP/1.1: %d pool goroutines, want none", n)
	}
	post(true)
	if n := waiting(t, w.warm, func(n int) bool { return n == 1 }); n != 1 {
		t.Fatalf("HTTP/2: %d pool goroutines waiting, want 1", n)
	}
}
