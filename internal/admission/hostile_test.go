package admission

// A hostile client against the webhook's port: each test reproduces an
// attack and asserts bounded label sets, log output and memory (heap
// compared in process; no timing assertions).

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/kubeward/kubeward/internal/httpguard/guardtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/types"
)

// lineCounter counts the lines and bytes written to it, keeping none.
type lineCounter struct {
	mu           sync.Mutex
	lines, bytes int
	longest      int
	sample       []string // the first lines
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range bytes.SplitAfter(p, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		c.lines++
		c.longest = max(c.longest, len(l))
		if len(c.sample) < 5 {
			c.sample = append(c.sample, string(l[:min(len(l), 300)]))
		}
	}
	c.bytes += len(p)
	return len(p), nil
}

func (c *lineCounter) counts() (lines, bytes, longest int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.bytes, c.longest
}

// liveHeap is the heap in use after a full collection.
func scrape(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// 100 reviews with distinct 2 MB operations (and 2 MB uids, names,
// namespaces, kinds and user names): the operation label takes known
// values only, every log line stays short, and nothing of the requests
// stays in memory.
func TestHostileOperationsAreBounded(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	var logs lineCounter
	w.Log = httpguard.Logger(slog.New(slog.NewJSONHandler(&logs, nil)))
	pod := mustJSON(t, hardenedPod("web"))
	const n, size = 100, 2 << 20
	filler := strings.Repeat("A", size-10)
	base := guardtest.LiveHeap()
	for i := range n {
		req := request(t, admissionv1.Create, hardenedPod("web"), nil, alice)
		req.Object.Raw = pod
		req.Operation = admissionv1.Operation(fmt.Sprintf("%08d%s", i, filler))
		switch i % 4 {
		case 1:
			req.UID = types.UID(fmt.Sprintf("%08d", i) + filler[:size/4])
			req.Name = filler[:size/4]
			req.Namespace = filler[:size/4]
		case 2:
			req.Kind.Kind = filler[:size/4]
			req.UserInfo = authnv1.UserInfo{Username: filler[:size/4]}
		case 3:
			req.Operation = admissionv1.Create
			req.Name = filler[:size/4] // a valid operation, a huge name
		}
		code, out := w.post(t, reviewBody(t, req))
		if code != 200 {
			t.Fatalf("review %d: HTTP %d", i, code)
		}
		if d := out.Response.AuditAnnotations["decision"]; len(d) > 1024 {
			t.Fatalf("review %d: audit annotation of %d bytes", i, len(d))
		}
	}
	grown := int64(guardtest.LiveHeap()) - int64(base)

	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "kubeward_webhook_decisions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" && !map[string]bool{"CREATE": true, "UPDATE": true, "DELETE": true, "CONNECT": true, "other": true}[l.GetValue()] {
					t.Errorf("operation label of %d bytes", len(l.GetValue()))
				}
			}
		}
		if len(mf.GetMetric()) > 10 {
			t.Errorf("%d decision series after %d reviews", len(mf.GetMetric()), n)
		}
	}
	if m := scrape(t, w.reg); len(m) > 64<<10 {
		t.Errorf("/metrics is %d bytes", len(m))
	}
	lines, logBytes, longest := logs.counts()
	t.Logf("%d reviews of 2 MB: heap grew %d KiB; %d log lines, %d bytes, the longest %d", n, grown>>10, lines, logBytes, longest)
	if longest > 8<<10 || logBytes > n*8<<10 {
		t.Errorf("log lines up to %d bytes, %d in all, for %d reviews", longest, logBytes, n)
	}
	if grown > 16<<20 {
		t.Errorf("the heap grew by %d MiB and stayed", grown>>20)
	}
}

// A review is refused before it is decoded when its object has more JSON
// objects than any real one: three bytes each (`{},`), decoded they are
// containers of hundreds of bytes that every check visits.
func TestObjectOfEmptyContainersIsRefused(t *testing.T) {
	w := newTestWebhook(t, nil, nil, nil)
	n := (3<<20 - 200) / 3
	obj := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"shop"},"spec":{"containers":[` +
		strings.TrimSuffix(strings.Repeat("{},", n), ",") + `]}}`
	body := `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"group":"","version":"v1","kind":"Pod"},` +
		`"namespace":"shop","operation":"CREATE","userInfo":{"username":"alice"},"object":` + obj + `}}`
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, out := w.post(t, []byte(body))
	runtime.ReadMemStats(&after)
	if code != 200 || out.Response.Allowed || out.Response.Result == nil || out.Response.Result.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("HTTP %d: %+v", code, out.Response)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("a 3 MiB review allocated %d MiB", alloc>>20)
	}
	// A Grafana dashboard in a string (brackets in strings) is no node.
	s := `{"a":"` + strings.Repeat("{[", MaxObjectNodes) + `"}`
	if got := jsonNodes([]byte(s), 10); got != 1 {
		t.Errorf("jsonNodes counted %d", got)
	}
}

func startHostileServer(t *testing.T, lim httpguard.Limits, budget int64) (*testWebhook, *running, *lineCounter, *testPKI) {
	t.Helper()
	w := newTestWebhook(t, nil, nil, StaticNamespaces{})
	var logs lineCounter
	log := httpguard.Logger(slog.New(slog.NewJSONHandler(&logs, nil)))
	w.Log = log
	if budget > 0 {
		w.Budget = httpguard.NewBudget(budget)
	}
	pki, fc := servingPKI(t, w)
	srv := startServer(t, &Server{Webhook: w.Webhook, Certs: fc, Limits: lim, Log: log})
	return w, srv, &logs, pki
}

// Many clients open connections and start a large review each, then stall:
// the server holds at most MaxConns connections and the memory budget, not
// a buffer per client.
func TestManyConnectionsAreCapped(t *testing.T) {
	const maxConns, clients = 8, 60
	_, srv, _, pki := startHostileServer(t, httpguard.Limits{MaxConns: maxConns}, MaxReviewCost)
	base := guardtest.LiveHeap()
	// Clients count themselves open from their handshake until the server
	// closes their connection; peak is the most open at once.
	var open, peak, handshakes atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, err := net.Dial("tcp", srv.addr)
			if err != nil {
				return
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(5 * time.Second))
			conn := tls.Client(raw, &tls.Config{RootCAs: pki.pool, ServerName: "127.0.0.1"})
			if conn.Handshake() != nil {
				return // never accepted: waited in the backlog
			}
			handshakes.Add(1)
			n := open.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			defer open.Add(-1)
			raw.SetDeadline(time.Time{})
			fmt.Fprintf(conn, "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", MaxBodyBytes)
			conn.Write(bytes.Repeat([]byte(" "), 2<<20))
			closed := make(chan struct{})
			go func() { io.Copy(io.Discard, conn); close(closed) }()
			select {
			case <-stop:
			case <-closed: // refused (429) or timed out: the server hung up
			}
		}()
	}
	// Every client either had its handshake or gave up (5 s); the accepted
	// ones stall mid-body.
	time.Sleep(7 * time.Second)
	grown := int64(guardtest.LiveHeap()) - int64(base)
	close(stop)
	wg.Wait()
	t.Logf("%d clients: %d handshakes, at most %d connections open at once, heap grew %d MiB", clients, handshakes.Load(), peak.Load(), grown>>20)
	if peak.Load() > maxConns {
		t.Errorf("%d connections open at once; the cap is %d", peak.Load(), maxConns)
	}
	if grown > MaxReviewCost+16<<20 {
		t.Errorf("stalled clients hold %d MiB; the budget is %d MiB", grown>>20, MaxReviewCost>>20)
	}
}

// HTTP/2 rapid reset: streams opened and cancelled at once, tens of
// thousands a second on one connection. Each used to write a warning; the
// log now gets a few lines and a count.
func TestHTTP2RapidResetLogIsBounded(t *testing.T) {
	_, srv, logs, pki := startHostileServer(t, httpguard.Limits{}, 0)
	conn, err := tls.Dial("tcp", srv.addr, &tls.Config{RootCAs: pki.pool, ServerName: "127.0.0.1", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q", p)
	}
	bw := bufio.NewWriter(conn)
	if _, err := bw.WriteString(http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(bw, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, conn) // the server's settings, window updates, goaway
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", srv.addr}, {":path", "/validate"},
		{"content-type", "application/json"}, {"content-length", "4096"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	const streams = 20000
	sent := 0
	for id := uint32(1); sent < streams; id += 2 {
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true}); err != nil {
			break // the server closed the connection: fine
		}
		if err := fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
			break
		}
		sent++
		if sent%100 == 0 {
			if err := bw.Flush(); err != nil {
				break
			}
		}
	}
	bw.Flush()
	conn.Close()
	// Let handlers of the reset streams finish and their summaries (one
	// second after the first line left out) be written.
	time.Sleep(3 * time.Second)
	lines, _, _ := logs.counts()
	t.Logf("%d streams opened and reset: %d log lines; first: %q", sent, lines, logs.sample)
	if lines > 100 {
		t.Errorf("%d streams reset wrote %d log lines", sent, lines)
	}
}
