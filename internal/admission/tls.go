package admission

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Certificates serve the webhook's TLS certificate: GetCertificate goes in
// tls.Config, Ready reports whether one is loaded.
type Certificates interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// TLSConfig is the webhook's server TLS configuration: TLS 1.2 at least,
// the certificate from certs on every handshake.
func TLSConfig(certs Certificates) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
}

// FileCertificate serves a certificate and key from PEM files and picks up
// a new pair without a restart: at most once per Interval, a handshake
// looks at the files' size and modification time (which the kubelet's
// atomic symlink swap of a Secret volume changes) and loads them again if
// they changed. A pair that does not load (a half-written update) is
// retried at the next look; the previous certificate stays in use.
type FileCertificate struct {
	CertFile, KeyFile string
	Interval          time.Duration

	cur       atomic.Pointer[tls.Certificate]
	lastCheck atomic.Int64 // unix nanos
	mu        sync.Mutex   // one reload at a time
	stamp     [2]fileStamp
	certPEM   []byte
	keyPEM    []byte
	metrics   *Metrics
	log       *slog.Logger
}

type fileStamp struct {
	size int64
	mod  time.Time
}

// NewFileCertificate loads the pair; it fails if it does not load.
func NewFileCertificate(certFile, keyFile string, m *Metrics, log *slog.Logger) (*FileCertificate, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &FileCertificate{CertFile: certFile, KeyFile: keyFile, Interval: time.Second, metrics: m, log: log}
	if _, err := c.reload(); err != nil {
		return nil, err
	}
	c.lastCheck.Store(time.Now().UnixNano())
	return c, nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (c *FileCertificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	now := time.Now().UnixNano()
	last := c.lastCheck.Load()
	if now-last >= int64(c.Interval) && c.lastCheck.CompareAndSwap(last, now) {
		if changed, err := c.reload(); err != nil {
			c.count("error")
			c.log.Error("serving certificate not reloaded; still serving the previous one",
				"certFile", c.CertFile, "keyFile", c.KeyFile, "error", err.Error())
		} else if changed {
			c.count("ok")
		}
	}
	return c.cur.Load(), nil
}

func (c *FileCertificate) count(result string) {
	if c.metrics != nil {
		c.metrics.CertReloads.WithLabelValues(result).Inc()
	}
}

// reload loads the pair if the files changed since the last load.
func (c *FileCertificate) reload() (changed bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var st [2]fileStamp
	for i, name := range []string{c.CertFile, c.KeyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return false, err
		}
		st[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	if c.cur.Load() != nil && st == c.stamp {
		return false, nil
	}
	certPEM, err := os.ReadFile(c.CertFile)
	if err != nil {
		return false, err
	}
	keyPEM, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return false, err
	}
	if c.cur.Load() != nil && bytes.Equal(certPEM, c.certPEM) && bytes.Equal(keyPEM, c.keyPEM) {
		c.stamp = st // touched, not changed
		return false, nil
	}
	cert, err := parsePair(certPEM, keyPEM)
	if err != nil {
		// The key's file name only: never its contents.
		return false, fmt.Errorf("%s and %s: %w", c.CertFile, c.KeyFile, err)
	}
	c.cur.Store(cert)
	c.stamp, c.certPEM, c.keyPEM = st, certPEM, keyPEM
	c.published(cert)
	return true, nil
}

func (c *FileCertificate) published(cert *tls.Certificate) {
	if c.metrics != nil {
		c.metrics.CertExpiry.Set(float64(cert.Leaf.NotAfter.Unix()))
	}
	c.log.Info("serving certificate loaded", "subject", cert.Leaf.Subject.String(),
		"dnsNames", cert.Leaf.DNSNames, "notAfter", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
}

// parsePair loads a key pair and checks that the leaf is in force.
func parsePair(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err // crypto/tls names the problem, never the key
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, err
		}
	}
	if time.Now().After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("the certificate expired on %s", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return &cert, nil
}
