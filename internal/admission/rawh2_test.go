package admission

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	admissionv1 "k8s.io/api/admission/v1"
)

// rawH2Poster posts body to the webhook at addr over one HTTP/2 connection
// with 50 streams, as the API server's client multiplexes, from a client
// of its own (rawH2Conn) that costs the shared cores less than net/http's:
// the request's header block is encoded once, a request is written by the
// calling goroutine, and one goroutine reads every answer. The webhook
// receives the same frames net/http's client sends: HEADERS and DATA.
func rawH2Poster(t testing.TB, addr string, roots *x509.CertPool, body []byte) func(int) error {
	c, err := dialRawH2(addr, roots, body)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.close() })
	return c.post
}

// TestRawH2Client: the benchmark's HTTP/2 client is a real client of the
// webhook's server. Reviews from 50 streams at once, more than the server's
// first windows hold (a stream's body is 4 KB; the connection's window
// starts at 64 KB), are each answered and counted by the webhook; a denied
// review is an error, as is an answer the server never gives.
func TestRawH2Client(t *testing.T) {
	w := newTestWebhook(t, nil, nil, StaticNamespaces{"shop": {LabelEnforce: "high", LabelWarn: "low", LabelAudit: "low"}})
	pki, fc := servingPKI(t, w)
	addr := startServer(t, &Server{Webhook: w.Webhook, Certs: fc}).addr
	body := reviewBody(t, request(t, admissionv1.Create, typicalPod(), nil, alice))
	before := histogram(t, w.Metrics).GetSampleCount()
	const n = 2000
	if _, err := load(50, n, rawH2Poster(t, addr, pki.pool, body)); err != nil {
		t.Fatal(err)
	}
	if got := histogram(t, w.Metrics).GetSampleCount() - before; got != n {
		t.Errorf("the webhook counted %d reviews, want %d", got, n)
	}
	denied := reviewBody(t, request(t, admissionv1.Create, privilegedPod("p"), nil, alice))
	err := rawH2Poster(t, addr, pki.pool, denied)(0)
	if err == nil || !strings.Contains(err.Error(), `"allowed":false`) {
		t.Errorf("a denied review: %v", err)
	}
}

// rawH2Conn is an HTTP/2 client connection of the least work that still
// keeps the protocol: it answers the server's SETTINGS and PINGs, decodes
// every header block (the server's HPACK table depends on it), honours the
// server's flow-control windows and frame size when it sends, and returns
// the receive window it consumes.
type rawH2Conn struct {
	conn  *tls.Conn
	block []byte // the request's header block, encoded once
	body  []byte

	mu      sync.Mutex // guards everything below, and writes
	sendOK  *sync.Cond // signalled when a send window grows or the connection fails
	bw      *bufio.Writer
	fr      *http2.Framer
	nextID  uint32
	streams map[uint32]*rawH2Stream
	// The server's windows for what the client sends (connection, and its
	// initial window for a new stream), its largest frame and stream count.
	connWindow, initWindow int64
	maxFrame               int
	maxStreams             uint32
	unacked                int // bytes received since the last connection WINDOW_UPDATE
	err                    error
}

// rawH2Stream is one request in flight.
type rawH2Stream struct {
	window int64 // the server's send window for this stream
	status string
	answer bytes.Buffer
	done   chan error
}

// The receive windows the client announces: each answer is a few hundred
// bytes, so the windows only need refilling after many answers.
const (
	rawH2StreamWindow = 1 << 20
	rawH2ConnWindow   = 1 << 30
)

// dialRawH2 opens the connection, sends the preface, its SETTINGS and the
// connection's window, and starts the reader.
func dialRawH2(addr string, roots *x509.CertPool, body []byte) (*rawH2Conn, error) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, NextProtos: []string{"h2"}})
	if err != nil {
		return nil, err
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		conn.Close()
		return nil, fmt.Errorf("the server negotiated %q, not h2", p)
	}
	// The header block is the one net/http's client sends for the same
	// post, without the indexing a dynamic table would make it stateful
	// (a table of size 0 keeps every field literal or static).
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	enc.SetMaxDynamicTableSizeLimit(0)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", addr}, {":path", "/validate"},
		{"content-type", "application/json"}, {"content-length", strconv.Itoa(len(body))},
		{"user-agent", "Go-http-client/2.0"}} {
		if err := enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			conn.Close()
			return nil, err
		}
	}
	c := &rawH2Conn{conn: conn, block: hb.Bytes(), body: body, bw: bufio.NewWriterSize(conn, 64<<10), nextID: 1,
		streams: map[uint32]*rawH2Stream{}, connWindow: 65535, initWindow: 65535, maxFrame: 16384, maxStreams: 100}
	c.sendOK = sync.NewCond(&c.mu)
	c.fr = http2.NewFramer(c.bw, bufio.NewReaderSize(conn, 64<<10))
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.fr.MaxHeaderListSize = 1 << 20
	_, err = c.bw.WriteString(http2.ClientPreface)
	if err == nil {
		err = c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: rawH2StreamWindow},
			http2.Setting{ID: http2.SettingEnablePush, Val: 0})
	}
	if err == nil {
		err = c.fr.WriteWindowUpdate(0, rawH2ConnWindow-65535)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	go c.read()
	return c, nil
}

// post sends one review on a new stream and waits for its answer, which
// must be HTTP 200 and allowed.
func (c *rawH2Conn) post(int) error {
	st := &rawH2Stream{done: make(chan error, 1)}
	c.mu.Lock()
	if err := c.send(st); err != nil {
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	// As the other clients: no request waits forever.
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case err := <-st.done:
		if err != nil {
			return err
		}
	case <-t.C:
		return errors.New("no answer in 10 s")
	}
	if st.status != "200" || !bytes.Contains(st.answer.Bytes(), []byte(`"allowed":true`)) {
		return fmt.Errorf("HTTP %s: %s", st.status, st.answer.Bytes())
	}
	return nil
}

// send writes st's HEADERS and DATA frames, within the server's windows
// and frame size; c.mu is held.
func (c *rawH2Conn) send(st *rawH2Stream) error {
	if c.err != nil {
		return c.err
	}
	if uint32(len(c.streams)) >= c.maxStreams {
		return fmt.Errorf("%d streams open, the server allows %d", len(c.streams), c.maxStreams)
	}
	id := c.nextID
	c.nextID += 2
	st.window = c.initWindow
	c.streams[id] = st
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block, EndHeaders: true}); err != nil {
		return c.fail(err)
	}
	for rest := c.body; len(rest) > 0; {
		for c.err == nil && (c.connWindow <= 0 || st.window <= 0) {
			// Wait for the server's WINDOW_UPDATE; what is written so
			// far must reach it first.
			if err := c.bw.Flush(); err != nil {
				return c.fail(err)
			}
			c.sendOK.Wait()
		}
		if c.err != nil {
			return c.err
		}
		n := int(min(int64(len(rest)), int64(c.maxFrame), c.connWindow, st.window))
		if err := c.fr.WriteData(id, n == len(rest), rest[:n]); err != nil {
			return c.fail(err)
		}
		c.connWindow -= int64(n)
		st.window -= int64(n)
		rest = rest[n:]
	}
	if err := c.bw.Flush(); err != nil {
		return c.fail(err)
	}
	return nil
}

// fail ends the connection with err: every stream in flight gets it; c.mu
// is held.
func (c *rawH2Conn) fail(err error) error {
	if c.err == nil {
		c.err = err
		for id, st := range c.streams {
			st.done <- err
			delete(c.streams, id)
		}
		c.sendOK.Broadcast()
		c.conn.Close()
	}
	return c.err
}

func (c *rawH2Conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail(errors.New("closed"))
}

// read reads every frame the server sends until the connection fails.
func (c *rawH2Conn) read() {
	for {
		f, err := c.fr.ReadFrame()
		c.mu.Lock()
		if err == nil {
			err = c.handle(f)
		}
		if err != nil {
			c.fail(err)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// handle acts on one frame from the server; c.mu is held.
func (c *rawH2Conn) handle(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if f.IsAck() {
			return nil
		}
		err := f.ForeachSetting(func(s http2.Setting) error {
			switch s.ID {
			case http2.SettingInitialWindowSize:
				delta := int64(s.Val) - c.initWindow
				c.initWindow = int64(s.Val)
				for _, st := range c.streams {
					st.window += delta
				}
			case http2.SettingMaxFrameSize:
				c.maxFrame = int(s.Val)
			case http2.SettingMaxConcurrentStreams:
				c.maxStreams = s.Val
			}
			return nil
		})
		if err == nil {
			err = c.fr.WriteSettingsAck()
		}
		if err == nil {
			err = c.bw.Flush()
		}
		c.sendOK.Broadcast()
		return err
	case *http2.WindowUpdateFrame:
		if f.StreamID == 0 {
			c.connWindow += int64(f.Increment)
		} else if st := c.streams[f.StreamID]; st != nil {
			st.window += int64(f.Increment)
		}
		c.sendOK.Broadcast()
	case *http2.PingFrame:
		if !f.IsAck() {
			if err := c.fr.WritePing(true, f.Data); err != nil {
				return err
			}
			return c.bw.Flush()
		}
	case *http2.MetaHeadersFrame:
		st := c.streams[f.StreamID]
		if st == nil {
			return nil
		}
		if st.status == "" {
			st.status = f.PseudoValue("status")
		}
		if f.StreamEnded() {
			c.end(f.StreamID, st)
		}
	case *http2.DataFrame:
		if n := int(f.Length); n > 0 {
			c.unacked += n
			// Each answer is small: hand the connection's window back
			// once half of it is used. Streams end before theirs runs out.
			if c.unacked >= rawH2ConnWindow/2 {
				if err := c.fr.WriteWindowUpdate(0, uint32(c.unacked)); err != nil {
					return err
				}
				if err := c.bw.Flush(); err != nil {
					return err
				}
				c.unacked = 0
			}
		}
		st := c.streams[f.StreamID]
		if st == nil {
			return nil
		}
		st.answer.Write(f.Data())
		if f.StreamEnded() {
			c.end(f.StreamID, st)
		}
	case *http2.RSTStreamFrame:
		if st := c.streams[f.StreamID]; st != nil {
			delete(c.streams, f.StreamID)
			st.done <- fmt.Errorf("stream reset: %v", f.ErrCode)
		}
	case *http2.GoAwayFrame:
		return fmt.Errorf("GOAWAY: %v %s", f.ErrCode, f.DebugData())
	}
	return nil
}

// end hands a finished stream's answer to its poster.
func (c *rawH2Conn) end(id uint32, st *rawH2Stream) {
	delete(c.streams, id)
	st.done <- nil
}
