// Package httpguard hardens kubeward's servers (the admission webhook, the
// audit receiver, and the health and metrics server of the webhook and the
// controller) against hostile clients: a cap on open connections, HTTP/2
// stream and buffer limits, log lines that a client cannot multiply, and
// bounded attacker-controlled strings in logs.
package httpguard

import (
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/netutil"
)

// Limits bound what clients can make a server hold. Zero fields take the
// defaults.
type Limits struct {
	// MaxConns is the most connections open at once (default 128). Past
	// it, the server stops accepting: new connections wait in the kernel's
	// backlog, costing the process nothing, until one closes.
	MaxConns int
	// MaxConcurrentStreams is the most requests in progress on one HTTP/2
	// connection (default 100).
	MaxConcurrentStreams int
	// MaxHeaderBytes bounds a request's header (default 64 KiB; for HTTP/2
	// it is the header list size).
	MaxHeaderBytes int
	// ReceiveBufferPerConn and ReceiveBufferPerStream are the HTTP/2 flow
	// control windows: the request body a client may send before a handler
	// reads it (defaults 512 KiB and 256 KiB).
	ReceiveBufferPerConn, ReceiveBufferPerStream int
}

// Defaults of Limits.
const (
	DefaultMaxConns               = 128
	DefaultMaxConcurrentStreams   = 100
	DefaultMaxHeaderBytes         = 64 << 10
	DefaultReceiveBufferPerConn   = 512 << 10
	DefaultReceiveBufferPerStream = 256 << 10
)

// WithDefaults fills zero fields.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxConns, DefaultMaxConns)
	def(&l.MaxConcurrentStreams, DefaultMaxConcurrentStreams)
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	def(&l.ReceiveBufferPerConn, DefaultReceiveBufferPerConn)
	def(&l.ReceiveBufferPerStream, DefaultReceiveBufferPerStream)
	return l
}

// PerConnBytes is about what one open connection can make the server hold
// at most besides the requests its handlers read: TLS record and bufio
// buffers, and the HTTP/2 receive window with its header tables. It sizes
// memory in the docs: MaxConns × PerConnBytes.
func (l Limits) PerConnBytes() int {
	l = l.WithDefaults()
	return l.ReceiveBufferPerConn + 64<<10 + l.MaxHeaderBytes
}

// Apply sets hs's header and HTTP/2 limits and returns ln capped at
// MaxConns open connections. open, when not nil, follows the number of
// open connections.
func (l Limits) Apply(hs *http.Server, ln net.Listener, open prometheus.Gauge) net.Listener {
	l = l.WithDefaults()
	hs.MaxHeaderBytes = l.MaxHeaderBytes
	hs.HTTP2 = &http.HTTP2Config{
		MaxConcurrentStreams:          l.MaxConcurrentStreams,
		MaxReceiveBufferPerConnection: l.ReceiveBufferPerConn,
		MaxReceiveBufferPerStream:     l.ReceiveBufferPerStream,
		// The review path needs no more; a large frame is a large buffer.
		MaxReadFrameSize: 16 << 10,
		// A stuck peer (or one that stops reading) frees its connection.
		WriteByteTimeout: 15 * time.Second,
	}
	if open != nil {
		prev := hs.ConnState
		hs.ConnState = func(c net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				open.Inc()
			case http.StateClosed, http.StateHijacked:
				open.Dec()
			}
			if prev != nil {
				prev(c, s)
			}
		}
	}
	return netutil.LimitListener(ln, l.MaxConns)
}
