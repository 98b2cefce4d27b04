package admission

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/kubetest"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// loadResult is what a load run measured.
type loadResult struct {
	rps, p50, p99, p999 float64 // per second; microseconds
	cpuPerCall          float64 // process CPU microseconds per call
}

func (r loadResult) report(b *testing.B, unit string) {
	b.ReportMetric(r.p50, "p50-µs")
	b.ReportMetric(r.p99, "p99-µs")
	b.ReportMetric(r.p999, "p99.9-µs")
	b.ReportMetric(r.rps, unit+"/s")
	b.ReportMetric(r.cpuPerCall, "cpu-µs/"+unit)
}

// load runs n calls of do from clients goroutines, back to back.
func load(clients, n int, do func(i int) error) (loadResult, error) {
	return loadAt(clients, n, 0, do)
}

// loadAt runs n calls of do from clients goroutines. With rate > 0 the
// calls are scheduled at that total rate (open loop) and each latency is
// measured from the call's scheduled time, so a stall counts against every
// call it delays (no coordinated omission); with 0 they go back to back.
func loadAt(clients, n int, rate float64, do func(i int) error) (loadResult, error) {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	cpu0 := cpuSeconds()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(t0))
				}
				if err := do(i); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		return loadResult{}, fmt.Errorf("%d of %d calls failed; first: %v", f, n, firstErr.Load())
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(n-1))].Nanoseconds()) / 1000 }
	return loadResult{rps: float64(n) / elapsed.Seconds(), p50: q(0.5), p99: q(0.99), p999: q(0.999),
		cpuPerCall: (cpuSeconds() - cpu0) / float64(n) * 1e6}, nil
}

// BenchmarkLoadHTTPS is the webhook over HTTPS on loopback under 50
// concurrent clients posting the typical Pod review, load generator in the
// same process (both share the machine's cores). h1: 50 keep-alive TLS
// connections, as the API server calls a webhook referenced by a Service
// (the chart's), or by a URL on another host; h2: one connection with 50
// streams, as it calls a URL webhook on localhost or a loopback IP
// (TestAPIServerWebhookClientProtocol). "max": the clients send back to
// back (the most the machine gives); "5000rps": the clients send at 5,000
// reviews/s in total, latency from each review's scheduled time. Run with
// -benchtime Nx: N reviews per run.
//
// "h1-raw-50conns" is h1 with a client that costs the shared cores less:
// one goroutine per request writing the request bytes (made once) on its
// own TLS connection and reading the answer with http.ReadResponse, where
// net/http's client hands each request to two goroutines of its own. The
// webhook receives the same request; the client of a real webhook, the API
// server, runs on other machines, so the less the load generator takes of
// the two cores, the nearer the figure is to what the webhook alone does
// with them. docs/PERFORMANCE.md reports both clients. "h2-raw-50streams"
// is h2 with such a client (rawH2Conn).
func BenchmarkLoadHTTPS(b *testing.B) {
	TuneGC() // as webhook serve runs; the load generator shares the process
	for _, rate := range []float64{0, 5000} {
		for _, h2 := range []bool{false, true} {
			name := "h1-50conns"
			if h2 {
				name = "h2-50streams"
			}
			if rate == 0 {
				name += "/max"
			} else {
				name += fmt.Sprintf("/%.0frps", rate)
			}
			b.Run(name, func(b *testing.B) { benchLoad(b, loadCase{h2: h2, rate: rate}) })
		}
	}
	// The same at 5,000 reviews/s with images.policies on: every container
	// runs a signed image, verified once before the run (the warm cache).
	b.Run("h1-50conns/5000rps/verified-images", func(b *testing.B) { benchLoad(b, loadCase{rate: 5000, images: true}) })
	b.Run("h2-50streams/5000rps/verified-images", func(b *testing.B) { benchLoad(b, loadCase{h2: true, rate: 5000, images: true}) })
	b.Run("h1-raw-50conns/5000rps", func(b *testing.B) { benchLoad(b, loadCase{raw: true, rate: 5000}) })
	b.Run("h1-raw-50conns/5000rps/verified-images", func(b *testing.B) { benchLoad(b, loadCase{raw: true, rate: 5000, images: true}) })
	b.Run("h2-raw-50streams/5000rps", func(b *testing.B) { benchLoad(b, loadCase{h2: true, raw: true, rate: 5000}) })
	b.Run("h2-raw-50streams/5000rps/verified-images", func(b *testing.B) {
		benchLoad(b, loadCase{h2: true, raw: true, rate: 5000, images: true})
	})
	// The floor under the figures above, for ratios in the same run: a
	// server that does no review work (it reads the body and writes the
	// webhook's answer, made once) with the webhook's TLS configuration,
	// under the same load and client.
	b.Run("h1-raw-50conns/5000rps/canned-answer", func(b *testing.B) { benchLoad(b, loadCase{raw: true, rate: 5000, canned: true}) })
	b.Run("h2-50streams/5000rps/canned-answer", func(b *testing.B) { benchLoad(b, loadCase{h2: true, rate: 5000, canned: true}) })
	b.Run("h2-raw-50streams/5000rps/canned-answer", func(b *testing.B) {
		benchLoad(b, loadCase{h2: true, raw: true, rate: 5000, canned: true})
	})
	// The client apart, in another process at the lowest priority: the
	// webhook has the two cores first, as with the API server elsewhere.
	for _, h2 := range []bool{false, true} {
		base := "h1-raw-50conns/5000rps/client-apart"
		if h2 {
			base = "h2-50streams/5000rps/client-apart"
		}
		for _, v := range []struct {
			name           string
			images, canned bool
		}{{"", false, false}, {"/verified-images", true, false}, {"/canned-answer", false, true}} {
			b.Run(base+v.name, func(b *testing.B) {
				benchLoad(b, loadCase{h2: h2, raw: !h2, apart: true, rate: 5000, images: v.images, canned: v.canned})
			})
		}
	}
}

// loadCase is one BenchmarkLoadHTTPS case: HTTP/2 or HTTP/1.1 with
// net/http's client or a raw one (rawPoster, rawH2Poster), the rate (0: back to back), whether
// the pod's images are verified, whether a canned answer stands in for
// the webhook (the baseline), and whether the raw client runs apart, in
// another process at the lowest priority (loadApart).
type loadCase struct {
	h2, raw, images, canned, apart bool
	rate                           float64
}

func benchLoad(b *testing.B, lc loadCase) {
	h2, rate, images := lc.h2, lc.rate, lc.images
	w := newTestWebhook(b, nil, nil, StaticNamespaces{"shop": {LabelWarn: "low", LabelAudit: "low"}})
	pod := typicalPod()
	if images {
		h := newImageHook(b, "", 0)
		w.Eval = h.Eval
		runImage(pod, h.signed.Context().String()+":1.0")
	}
	// The JSON log line is formatted as in production, then dropped.
	w.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	pki, fc := servingPKI(b, w)
	body := reviewBody(b, request(b, admissionv1.Create, pod, nil, alice))
	addr := startServer(b, &Server{Webhook: w.Webhook, Certs: fc}).addr
	if lc.canned {
		addr = cannedServer(b, fc, w.Webhook, body)
	}
	before := histogram(b, w.Metrics)
	steal0 := stealSeconds()
	var res loadResult
	if lc.apart {
		b.ResetTimer()
		client, serverCPU := loadApart(b, addr, pki, body, b.N, rate, h2, func() {
			before, steal0 = histogram(b, w.Metrics), stealSeconds()
		})
		b.StopTimer()
		res = loadResult{rps: client.RPS, p50: client.P50, p99: client.P99, p999: client.P999, cpuPerCall: serverCPU + client.CPUPerCall}
		b.ReportMetric(serverCPU, "server-cpu-µs/review")
		b.ReportMetric(client.CPUPerCall, "client-cpu-µs/review")
	} else {
		var post func(int) error
		if lc.raw && h2 {
			post = rawH2Poster(b, addr, pki.pool, body)
		} else if lc.raw {
			post = rawPoster(b, addr, pki.pool, body)
		} else {
			post = httpPoster(b, addr, pki.pool, body, h2)
		}
		// Open the connections first.
		if _, err := load(50, 500, post); err != nil {
			b.Fatal(err)
		}
		before = histogram(b, w.Metrics)
		steal0 = stealSeconds()
		b.ResetTimer()
		var err error
		if res, err = loadAt(50, b.N, rate, post); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
	res.report(b, "review")
	// The time the hypervisor ran something else on this machine's CPUs
	// during the run: a stalled CPU stalls every review it holds, and
	// p99 cannot fall below the longest stalls once they add up to 1%.
	if s := stealSeconds(); s >= 0 && steal0 >= 0 {
		b.ReportMetric((s-steal0)*1000/(float64(b.N)/res.rps), "steal-ms/s")
	}
	if lc.canned {
		return // no webhook answered: its histogram is empty
	}
	// The server's own time, from its histogram: the bucket holding the
	// 99th percentile, to tell the webhook's latency from the client's.
	after := histogram(b, w.Metrics)
	total := after.GetSampleCount() - before.GetSampleCount()
	for i, bk := range after.GetBucket() {
		if n := bk.GetCumulativeCount() - before.GetBucket()[i].GetCumulativeCount(); float64(n) >= 0.99*float64(total) {
			b.ReportMetric(bk.GetUpperBound()*1000, "server-p99-le-ms")
			break
		}
	}
}

// cannedServer serves, on a loopback port it returns, the webhook's answer
// to body (made once) to every request, after reading the request's body:
// net/http's server with the webhook's TLS configuration and no review
// work, the floor of what the machine and the load generator allow.
func cannedServer(b *testing.B, certs Certificates, w *Webhook, body []byte) string {
	rec, req := httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("the webhook answered HTTP %d: %s", rec.Code, rec.Body)
	}
	answer, ctype := rec.Body.Bytes(), rec.Header().Get("Content-Type")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{TLSConfig: TLSConfig(certs), Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		rw.Header().Set("Content-Type", ctype)
		rw.Write(answer)
	})}
	go hs.ServeTLS(ln, "", "")
	b.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// stealSeconds is the CPU time the hypervisor gave to others, summed over
// this machine's CPUs (/proc/stat's steal column, in 1/100 s); -1 where
// it cannot be read.
func stealSeconds() float64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return -1
	}
	var ticks float64
	if _, err := fmt.Sscan(f[8], &ticks); err != nil {
		return -1
	}
	return ticks / 100
}

// httpPoster posts body to the webhook at addr with net/http's client over
// 50 connections (HTTP/1.1) or one (HTTP/2), and checks it was allowed.
func httpPoster(b *testing.B, addr string, roots *x509.CertPool, body []byte, h2 bool) func(int) error {
	post, closeAll := newHTTPPoster(addr, roots, body, h2)
	b.Cleanup(closeAll)
	return post
}

// newHTTPPoster is httpPoster; closeAll closes its idle connections.
func newHTTPPoster(addr string, roots *x509.CertPool, body []byte, h2 bool) (post func(int) error, closeAll func()) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, MaxIdleConnsPerHost: 50, MaxConnsPerHost: 50,
		ForceAttemptHTTP2: h2, DisableCompression: true}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "https://" + addr + "/validate"
	return func(int) error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return allowed(resp)
	}, tr.CloseIdleConnections
}

// rawPoster posts body over 50 HTTP/1.1 TLS connections of its own, each
// used by one request at a time from the caller's goroutine.
func rawPoster(b *testing.B, addr string, roots *x509.CertPool, body []byte) func(int) error {
	post, closeAll, err := dialRaw(addr, roots, body)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeAll)
	return post
}

// dialRaw opens rawPoster's 50 connections; closeAll closes them.
func dialRaw(addr string, roots *x509.CertPool, body []byte) (post func(int) error, closeAll func(), err error) {
	type conn struct {
		c *tls.Conn
		r *bufio.Reader
	}
	idle := make(chan conn, 50)
	var all []*tls.Conn
	closeAll = func() {
		for _, c := range all {
			c.Close()
		}
	}
	for range 50 {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, NextProtos: []string{"http/1.1"}})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		all = append(all, c)
		idle <- conn{c, bufio.NewReader(c)}
	}
	req := fmt.Appendf(nil, "POST /validate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
	return func(int) error {
		c := <-idle
		defer func() { idle <- c }()
		// As net/http's client above: no request waits forever.
		if err := c.c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			return err
		}
		if _, err := c.c.Write(req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(c.r, nil)
		if err != nil {
			return err
		}
		return allowed(resp)
	}, closeAll, nil
}

// loadClientEnv, when set in the environment of this test binary, makes it
// the load generator of a "client-apart" case (see TestMain): its value is
// the JSON of a loadClientConfig.
const loadClientEnv = "KUBEWARD_LOAD_CLIENT"

// loadClientConfig is what the client process is told: where to post what,
// how many times and at what rate.
type loadClientConfig struct {
	Addr  string
	CAPEM []byte
	Body  []byte
	N     int
	Rate  float64
	H2    bool // net/http's HTTP/2 client instead of the raw HTTP/1.1 one
}

// loadClientResult is what the client process measured over its run.
type loadClientResult struct {
	RPS, P50, P99, P999 float64 // per second; microseconds
	CPUPerCall          float64 // the client's own CPU microseconds per call
}

// TestMain runs the tests, or, with loadClientEnv set, the load generator
// of a client-apart case and nothing else.
func TestMain(m *testing.M) {
	if cfg := os.Getenv(loadClientEnv); cfg != "" {
		if err := runLoadClient(cfg, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "load client:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runLoadClient opens the connections, warms them with 500 reviews, says
// "warm" and waits for a line on in, then runs the load and writes its
// loadClientResult as JSON.
func runLoadClient(cfgJSON string, in io.Reader, out io.Writer) error {
	var cfg loadClientConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return fmt.Errorf("the configuration: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(cfg.CAPEM) {
		return errors.New("no CA certificate")
	}
	var post func(int) error
	var closeAll func()
	var err error
	if cfg.H2 {
		post, closeAll = newHTTPPoster(cfg.Addr, roots, cfg.Body, true)
	} else if post, closeAll, err = dialRaw(cfg.Addr, roots, cfg.Body); err != nil {
		return err
	}
	defer closeAll()
	if _, err := load(50, 500, post); err != nil {
		return err
	}
	fmt.Fprintln(out, "warm")
	if _, err := bufio.NewReader(in).ReadString('\n'); err != nil {
		return err
	}
	res, err := loadAt(50, cfg.N, cfg.Rate, post)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(loadClientResult{res.rps, res.p50, res.p99, res.p999, res.cpuPerCall})
}

// loadApart runs rawPoster's load (httpPoster's over HTTP/2 with h2) from another process of this binary at
// the lowest CPU priority (nice 19): the webhook has the machine's cores
// first, as it has with its client, the API server, on other machines.
// Latency is still measured by the client from each review's scheduled
// time, so a delay of the starved client counts against the webhook: an
// upper bound of the webhook's own. serverCPU is this process's CPU
// microseconds per review during the run; warm is called once the client
// is warm, just before the run.
func loadApart(b testing.TB, addr string, pki *testPKI, body []byte, n int, rate float64, h2 bool, warm func()) (res loadClientResult, serverCPU float64) {
	cfg, err := json.Marshal(loadClientConfig{Addr: addr, CAPEM: pki.ca.CertPEM, Body: body, N: n, Rate: rate, H2: h2})
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command("nice", "-n", "19", os.Args[0])
	cmd.Env = append(os.Environ(), loadClientEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	waited := false
	defer func() { // on a failure, the client must not outlive the run
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	lines := bufio.NewReader(stdout)
	if line, err := lines.ReadString('\n'); err != nil || line != "warm\n" {
		b.Fatalf("the load client did not warm up: %q %v", line, err)
	}
	warm()
	cpu0 := cpuSeconds()
	fmt.Fprintln(stdin, "go")
	if err := json.NewDecoder(lines).Decode(&res); err != nil {
		b.Fatalf("the load client gave no result: %v", err)
	}
	serverCPU = (cpuSeconds() - cpu0) / float64(n) * 1e6
	waited = true
	if err := cmd.Wait(); err != nil {
		b.Fatalf("the load client: %v", err)
	}
	return res, serverCPU
}

// allowed reads an answer to its end and checks the review was allowed.
func allowed(resp *http.Response) error {
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || !bytes.Contains(data, []byte(`"allowed":true`)) {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	return nil
}

func histogram(b testing.TB, m *Metrics) *dto.Histogram {
	var out dto.Metric
	if err := m.Duration.Write(&out); err != nil {
		b.Fatal(err)
	}
	return out.GetHistogram()
}

// BenchmarkE2EOverhead is what the webhook adds to the API server: the same
// create-pod load (the typical Pod, compliant, 50 and 200 concurrent
// clients) against a real kube-apiserver without the webhook, with it
// (failurePolicy Fail, the webhook in process at a URL on 127.0.0.1, which
// the API server calls over HTTP/2; a Service's webhook gets HTTP/1.1,
// TestAPIServerWebhookClientProtocol), and without it
// again; the baseline is the mean of the two runs without, which cancels
// the drift of a growing etcd and of the machine's load. Reported:
// throughput and latency of each, their ratios, and the CPU time per
// creation of kube-apiserver, etcd and this process (load generator and,
// in the middle phase, the webhook). Run with -benchtime Nx: N creations
// per phase.
func BenchmarkE2EOverhead(b *testing.B) {
	kubetest.SkipIfShort(b)
	for _, clients := range []int{50, 200} {
		b.Run(fmt.Sprintf("clients-%d", clients), func(b *testing.B) {
			e := startE2E(b, nil)
			n := b.N
			ctx := context.Background()
			cfg := rest.CopyConfig(e.cluster.Config)
			cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit
			cs := kubernetes.NewForConfigOrDie(cfg)
			allowed := func() float64 { return value(e.hook.Metrics.Decisions.WithLabelValues("allow", "CREATE", "false")) }
			probe := func() error {
				_, err := cs.CoreV1().Pods("shop").Create(ctx, privilegedPod("probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				return err
			}
			type phaseResult struct {
				loadResult
				apiserverCPU, etcdCPU float64 // µs per creation
			}
			phase := func(ns string) phaseResult {
				if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				for _, sa := range []string{"default", "app"} {
					if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				cpu0 := childCPU(e.cluster.Dir)
				res, err := load(clients, n, func(i int) error {
					p := typicalPod()
					p.Namespace, p.GenerateName, p.Name = ns, "", fmt.Sprintf("p-%d", i)
					p.OwnerReferences = nil
					_, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				cpu1 := childCPU(e.cluster.Dir)
				per := func(bin string) float64 { return (cpu1[bin] - cpu0[bin]) / float64(n) * 1e6 }
				return phaseResult{res, per("kube-apiserver"), per("etcd")}
			}
			without := func(ns string) phaseResult {
				if err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, DefaultConfigName, metav1.DeleteOptions{}); err != nil {
					b.Fatal(err)
				}
				waitFor(b, 30*time.Second, "the webhook to be out of the way", func() bool { return probe() == nil })
				before := allowed()
				r := phase(ns)
				if allowed() != before {
					b.Fatal("the webhook was called in a phase without it")
				}
				return r
			}
			b.ResetTimer()
			base1 := without("without-1")
			vwc, err := WebhookConfiguration(ConfigOptions{URL: "https://" + e.srv.addr, CABundle: e.pki.ca.CertPEM, Namespace: "kubeward"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			waitFor(b, 30*time.Second, "the webhook to be called", func() bool {
				err := probe()
				return err != nil && strings.Contains(err.Error(), "kubeward")
			})
			before := allowed()
			hook := phase("with")
			if got := allowed() - before; got != float64(n) {
				b.Fatalf("the webhook allowed %v creations, want %d", got, n)
			}
			base2 := without("without-2")
			b.StopTimer()
			mean := func(f func(phaseResult) float64) float64 { return (f(base1) + f(base2)) / 2 }
			baseRPS := mean(func(r phaseResult) float64 { return r.rps })
			baseP50 := mean(func(r phaseResult) float64 { return r.p50 })
			baseP99 := mean(func(r phaseResult) float64 { return r.p99 })
			b.ReportMetric(baseRPS, "base-creates/s")
			b.ReportMetric(hook.rps, "webhook-creates/s")
			b.ReportMetric(hook.rps/baseRPS, "throughput-ratio")
			b.ReportMetric(baseP50/1000, "base-p50-ms")
			b.ReportMetric(hook.p50/1000, "webhook-p50-ms")
			b.ReportMetric(baseP99/1000, "base-p99-ms")
			b.ReportMetric(hook.p99/1000, "webhook-p99-ms")
			b.ReportMetric(hook.p99/baseP99, "p99-ratio")
			b.ReportMetric(mean(func(r phaseResult) float64 { return r.apiserverCPU }), "base-apiserver-cpu-µs/create")
			b.ReportMetric(hook.apiserverCPU, "webhook-apiserver-cpu-µs/create")
			b.ReportMetric(mean(func(r phaseResult) float64 { return r.etcdCPU }), "base-etcd-cpu-µs/create")
			b.ReportMetric(hook.etcdCPU, "webhook-etcd-cpu-µs/create")
			b.ReportMetric(mean(func(r phaseResult) float64 { return r.cpuPerCall }), "base-client-cpu-µs/create")
			b.ReportMetric(hook.cpuPerCall, "webhook+client-cpu-µs/create")
			b.Logf("runs without the webhook: %.0f and %.0f creates/s, p99 %.0f and %.0f ms", base1.rps, base2.rps, base1.p99/1000, base2.p99/1000)
		})
	}
}

// childCPU is the CPU time (user+system, seconds) of the processes whose
// command line names dir (the cluster's etcd and kube-apiserver), by
// program name.
func childCPU(dir string) map[string]float64 {
	out := map[string]float64{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, err := os.ReadFile(p + "/cmdline")
		if err != nil || !bytes.Contains(cmd, []byte(dir)) {
			continue
		}
		stat, err := os.ReadFile(p + "/stat")
		if err != nil {
			continue
		}
		// Fields after the parenthesised name: utime and stime are the
		// 12th and 13th (clock ticks of 1/100 s on Linux).
		rest := stat[bytes.LastIndexByte(stat, ')')+2:]
		f := strings.Fields(string(rest))
		if len(f) < 13 {
			continue
		}
		var ut, st float64
		fmt.Sscan(f[11], &ut)
		fmt.Sscan(f[12], &st)
		name := filepath.Base(strings.SplitN(string(cmd), "\x00", 2)[0])
		out[name] += (ut + st) / 100
	}
	return out
}

// TestLoadClientApart runs the client-apart harness of BenchmarkLoadHTTPS
// small: the client process must post every review, warm-up and run, and
// report what it measured, or the benchmark's figures mean nothing.
func TestLoadClientApart(t *testing.T) {
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelWarn: "low", LabelAudit: "low"}})
	w.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	pki, fc := servingPKI(t, w)
	addr := startServer(t, &Server{Webhook: w.Webhook, Certs: fc}).addr
	body := reviewBody(t, request(t, admissionv1.Create, typicalPod(), nil, alice))
	allowed := func() float64 { return value(w.Metrics.Decisions.WithLabelValues("allow", "CREATE", "false")) }
	for _, h2 := range []bool{false, true} {
		var warm float64
		before := allowed()
		const n = 300
		res, serverCPU := loadApart(t, addr, pki, body, n, 1000, h2, func() { warm = allowed() - before })
		if warm != 500 {
			t.Errorf("h2 %v: %v reviews before the run, want the 500 of the warm-up", h2, warm)
		}
		if got := allowed() - before - warm; got != n {
			t.Errorf("h2 %v: %v reviews allowed in the run, want %d", h2, got, n)
		}
		if res.RPS <= 0 || res.P50 <= 0 || res.P99 < res.P50 || res.P999 < res.P99 || res.CPUPerCall <= 0 || serverCPU <= 0 {
			t.Errorf("h2 %v: implausible measurement: %+v, server CPU %v µs per review", h2, res, serverCPU)
		}
	}
}

// BenchmarkMachineStalls measures what the machine itself takes from a
// process, the floor under every latency percentile above: one goroutine
// per CPU (GOMAXPROCS), each on its own thread, reads the clock in a loop
// for b.N milliseconds; a gap between two reads longer than 200 µs is time
// its CPU did not run it (the hypervisor's steal, kernel work). Reported:
// the share of time lost, the gaps over 1 ms and over 5 ms per second and
// the longest. A load run cannot have a p99 below the stalls that add up
// to 1% of its time.
func BenchmarkMachineStalls(b *testing.B) {
	type result struct {
		lost, longest time.Duration
		over1, over5  int
	}
	procs := runtime.GOMAXPROCS(0)
	results := make([]result, procs)
	d := time.Duration(b.N) * time.Millisecond
	var wg sync.WaitGroup
	b.ResetTimer()
	for p := range procs {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r := &results[p]
			last := time.Now()
			for end := last.Add(d); last.Before(end); {
				now := time.Now()
				if g := now.Sub(last); g > 200*time.Microsecond {
					r.lost += g
					r.longest = max(r.longest, g)
					if g > time.Millisecond {
						r.over1++
					}
					if g > 5*time.Millisecond {
						r.over5++
					}
				}
				last = now
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	var total result
	for _, r := range results {
		total.lost += r.lost
		total.longest = max(total.longest, r.longest)
		total.over1 += r.over1
		total.over5 += r.over5
	}
	secs := d.Seconds() * float64(procs)
	b.ReportMetric(100*total.lost.Seconds()/secs, "lost-%")
	b.ReportMetric(float64(total.over1)/d.Seconds(), "stalls>1ms/s")
	b.ReportMetric(float64(total.over5)/d.Seconds(), "stalls>5ms/s")
	b.ReportMetric(float64(total.longest.Microseconds())/1000, "longest-ms")
	b.ReportMetric(0, "ns/op")
}
