package server

// A flooding sender: every refused batch is counted (its events where they
// can be counted, the batch itself always), and memory stays near
// QueueBytes however small the events (heap compared in process; no
// timing assertions).

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/kubeward/kubeward/internal/httpguard/guardtest"
	dto "github.com/prometheus/client_model/go"
)

func refused(t *testing.T, f *fixture, reason, events string) float64 {
	t.Helper()
	var d dto.Metric
	if err := f.srv.metrics.Refused.WithLabelValues(reason, events).Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.Counter.GetValue()
}

// tinyBatch is n small events: a few dozen bytes each, several hundred
// decoded (maps, lists, references).
func tinyBatch(n int) []byte {
	item := `{"user":{"username":"u"},"annotations":{"a":"b"},"sourceIPs":["x"],"objectRef":{},"responseStatus":{}}`
	return []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]}`)
}

// stall opens a request that announces a body and sends part of it, so
// its handler holds an in-flight slot until the connection closes.
func stall(t *testing.T, f *fixture) net.Conn {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(f.url, "https://"), "/"),
		f.client.Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	return conn
}

// Batches refused because every in-flight slot is taken are counted, with
// their events, though they are never decoded.
func TestBusyRefusalsCountTheirEvents(t *testing.T) {
	s := &sink{}
	f := start(t, s, func(o *Options) { o.MaxInFlight = 1 })
	conn := stall(t, f)
	defer conn.Close()
	refusedEvents := 0
	for i := 0; i < 20; {
		resp := post(t, f.client, f.url, "s3cret-token", batchOf(10))
		switch resp.StatusCode {
		case 200: // the stalled request had not taken the slot yet
			continue
		case 429:
			refusedEvents += 10
			i++
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	// A body without a length, sent in pieces, is counted as well.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(batchOf(3)[:50])
		pw.Write(batchOf(3)[50:])
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, f.url, pr)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 429 {
		refusedEvents += 3
	}
	if got := counter(t, f.events, pipeline.Rejected); got != float64(refusedEvents) {
		t.Errorf("rejected events %v, want %d", got, refusedEvents)
	}
	if got := refused(t, f, RefusedBusy, "counted"); got != float64(refusedEvents/10) && got != float64(refusedEvents/10+1) {
		t.Errorf("refused batches %v for %d events", got, refusedEvents)
	}
}

// Many senders flood a receiver whose consumer is stuck: small events cost
// several times their bytes decoded, and the receiver holds about
// QueueBytes for them, not a multiple. Every event is acknowledged,
// counted as rejected, or in a batch counted as uncounted. Over HTTP/1.1
// (a connection per sender) and HTTP/2 (one connection, as the API
// server's client sends).
func TestFloodStaysNearQueueBytes(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "http1", true: "http2"}[h2], func(t *testing.T) { flood(t, h2) })
	}
}

func flood(t *testing.T, h2 bool) {
	const queue = 8 << 20
	const perBatch, senders, rounds = 2000, 16, 12
	s := &sink{gate: make(chan struct{})}
	f := start(t, s, func(o *Options) { o.QueueBytes = queue })
	if h2 {
		tr := f.client.Transport.(*http.Transport)
		tr.ForceAttemptHTTP2 = true
	}
	body := tinyBatch(perBatch)
	base := guardtest.LiveHeap()
	var ok, refusedN atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				req, _ := http.NewRequest(http.MethodPost, f.url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer s3cret-token")
				resp, err := f.client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if h2 && resp.ProtoMajor != 2 {
					t.Errorf("protocol %s", resp.Proto)
				}
				switch resp.StatusCode {
				case 200:
					ok.Add(perBatch)
				case 429:
					refusedN.Add(perBatch)
				default:
					t.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	// Every sender is done; the queue is full and its consumer stuck.
	held := guardtest.LiveHeap() - base
	f.client.CloseIdleConnections()
	sent := int64(perBatch * senders * rounds)
	rejected := counter(t, f.events, pipeline.Rejected)
	uncounted := refused(t, f, RefusedBusy, "uncounted") + refused(t, f, RefusedQueueFull, "uncounted")
	t.Logf("%d events of %d bytes each sent (%d KiB a batch): %d acknowledged, %v counted rejected, %v batches uncounted; heap held %d KiB for a queue of %d KiB",
		sent, len(body)/perBatch, len(body)>>10, ok.Load(), rejected, uncounted, held>>10, queue>>10)
	if ok.Load()+refusedN.Load() != sent || float64(ok.Load())+rejected+uncounted*perBatch != float64(sent) {
		t.Errorf("sent %d: %d acknowledged, %v counted rejected, %v batches uncounted", sent, ok.Load(), rejected, uncounted)
	}
	if held > queue*3/2+8<<20 {
		t.Errorf("the receiver holds %d KiB for a queue of %d KiB", held>>10, queue>>10)
	}
	close(s.gate)
	time.Sleep(10 * time.Millisecond)
	f.stop()
	if int64(s.count()) != ok.Load() {
		t.Errorf("processed %d of %d acknowledged events", s.count(), ok.Load())
	}
}
