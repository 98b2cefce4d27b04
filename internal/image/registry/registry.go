// Package registry reads container images and their signatures from OCI
// registries with go-containerregistry: credentials from a keychain (the
// Docker configuration and its credential helpers by default; a
// workload's pull secrets in cluster mode), a bound on every request,
// retries of transient failures, the proxy settings of the environment,
// and a content-addressed cache on disk so that content named by a digest
// is fetched once. Tags (an image's tag, cosign's signature tags, the
// referrers list) can move, so they are always asked again.
package registry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/semaphore"
)

// Options configure a client. Zero values take the defaults.
type Options struct {
	// Timeout bounds each registry operation (a tag lookup, a manifest, a
	// blob), retries included. Default 30s.
	Timeout time.Duration
	// Retries is how often a transient failure (a reset connection, 429,
	// 5xx) is retried, after 100ms, 300ms, 900ms... Default 2; negative
	// means none.
	Retries int
	// CacheDir holds manifests and blobs by digest. With none, layers are
	// verified in a private temporary directory (removed by Close) or,
	// where none can be made, in memory.
	CacheDir string
	// CacheMaxBytes bounds the total size of the cache's entries, and of
	// the private temporary directory's: past it the entries used longest
	// ago are removed (Cache). Default DefaultCacheMaxBytes.
	CacheMaxBytes int64
	// MemoryLayerBytes bounds the layer bytes held in memory at once when
	// there is neither a cache nor a temporary directory; a larger layer
	// is refused. Default 256 MiB.
	MemoryLayerBytes int64
	// RootCAs, when set, replaces the system roots (a private registry's
	// CA; tests).
	RootCAs *x509.CertPool
	// UserAgent is sent with every request.
	UserAgent string
}

// MaxManifestBytes bounds a manifest or index read from a registry; OCI
// registries refuse manifests over 4 MiB.
const MaxManifestBytes = 4 << 20

// DefaultCacheMaxBytes is Options.CacheMaxBytes's default: the layers
// of a few dozen images, a small share of a workstation's or CI runner's
// disk.
const DefaultCacheMaxBytes = 10 << 30

// DefaultMemoryLayerBytes is Options.MemoryLayerBytes's default: most
// images' largest compressed layer is well under it, and the scanner's
// and webhook's memory limits hold it beside their other work.
const DefaultMemoryLayerBytes = 256 << 20

// Client reads from registries. It is safe for concurrent use.
type Client struct {
	opts      Options
	transport http.RoundTripper
	cache     *Cache
	// scratch, with no cache, is the private temporary directory layers
	// are verified in, made at the first layer read (scratchTried); nil
	// where it could not be made (a read-only file system) or once the
	// client is closed, and layers are verified in memory, within
	// memory's bound.
	scratchMu    sync.Mutex
	scratchTried bool
	scratch      *Cache
	memory       *semaphore.Weighted
	mu           sync.RWMutex
	pullers      map[string]*remote.Puller // by keychain key, at most maxSessions
}

// maxSessions bounds the sessions a client keeps: a webhook meets a
// keychain per workload identity (and per reading of its secrets), which
// the pods it reviews name. Beyond it all are forgotten at once; the
// connections live in the shared transport, so forgetting costs only
// tokens asked again.
const maxSessions = 1024

// New prepares a client.
func New(opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 2
	}
	if opts.MemoryLayerBytes <= 0 {
		opts.MemoryLayerBytes = DefaultMemoryLayerBytes
	}
	if opts.CacheMaxBytes <= 0 {
		opts.CacheMaxBytes = DefaultCacheMaxBytes
	}
	c := &Client{opts: opts, pullers: map[string]*remote.Puller{}, memory: semaphore.NewWeighted(opts.MemoryLayerBytes)}
	// The default transport honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs}
	c.transport = t
	if opts.CacheDir != "" {
		cache, err := OpenCache(opts.CacheDir, opts.CacheMaxBytes)
		if err != nil {
			return nil, err
		}
		c.cache = cache
	}
	return c, nil
}

// Cache is the client's disk cache, or nil.
func (c *Client) Cache() *Cache { return c.cache }

// layerCache is where layers are verified before they are read: the disk
// cache, else the private temporary directory, else nil (memory).
func (c *Client) layerCache() *Cache {
	if c.cache != nil {
		return c.cache
	}
	c.scratchMu.Lock()
	defer c.scratchMu.Unlock()
	if !c.scratchTried {
		c.scratchTried = true
		if dir, err := os.MkdirTemp("", "kubeward-images-*"); err == nil {
			if c.scratch, err = OpenCache(dir, c.opts.CacheMaxBytes); err != nil {
				_ = os.RemoveAll(dir)
			}
		}
	}
	return c.scratch
}

// Close removes the private temporary directory of a client without a
// cache; layers read after it are verified in memory. Readers of layers
// already open stay readable where the system allows it (Unix).
func (c *Client) Close() error {
	c.scratchMu.Lock()
	scratch := c.scratch
	c.scratchTried, c.scratch = true, nil
	c.scratchMu.Unlock()
	if scratch == nil {
		return nil
	}
	if err := os.RemoveAll(scratch.dir); err != nil {
		return fmt.Errorf("image scratch directory: %w", err)
	}
	return nil
}

// Timeout is the bound on one registry operation.
func (c *Client) Timeout() time.Duration { return c.opts.Timeout }

// Session reads with one keychain's credentials, reusing its connections
// and tokens across calls. Callers keep one per keychain.
type Session struct {
	c      *Client
	puller *remote.Puller
}

// Session returns the session of a keychain, kc nil meaning
// authn.DefaultKeychain (the Docker configuration, $DOCKER_CONFIG,
// $REGISTRY_AUTH_FILE and credential helpers). key names the keychain
// among those the caller uses: a second call with the key returns the same
// connections and tokens, so a keychain that changes (a rotated secret)
// needs a key of its own.
func (c *Client) Session(key string, kc authn.Keychain) (*Session, error) {
	// Read-locked: every review asks for its session, and reviews on
	// both cores must not wait for each other to find one that exists.
	c.mu.RLock()
	p, ok := c.pullers[key]
	c.mu.RUnlock()
	if ok {
		return &Session{c: c, puller: p}, nil
	}
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	steps := max(c.opts.Retries, 0) + 1
	opts := []remote.Option{
		remote.WithTransport(c.transport),
		remote.WithAuthFromKeychain(kc),
		// The retry transport's sleeps do not watch the context: keep them short.
		remote.WithRetryBackoff(remote.Backoff{Duration: 100 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: steps}),
		remote.WithRetryPredicate(transient),
	}
	if c.opts.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(c.opts.UserAgent))
	}
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.pullers[key]; ok {
		return &Session{c: c, puller: had}, nil
	}
	if len(c.pullers) >= maxSessions {
		clear(c.pullers)
	}
	c.pullers[key] = p
	return &Session{c: c, puller: p}, nil
}

// transient reports errors worth retrying: a reset or refused connection
// may be a registry restarting; a deadline is not retried.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	var te interface{ Temporary() bool }
	if errors.As(err, &te) && te.Temporary() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// Resolve returns the digest a reference names, looked up in the registry
// (a HEAD request, a GET where the registry does not answer HEAD). A
// reference with a digest is looked up too: what is learnt of a digest is
// shared by every session that reads it, so a session must show that its
// credentials may read the digest before it is given what others learnt.
func (s *Session) Resolve(ctx context.Context, ref name.Reference) (name.Digest, error) {
	h, found, err := s.Lookup(ctx, ref)
	if err != nil {
		return name.Digest{}, err
	}
	if !found {
		what := "tag"
		if _, ok := ref.(name.Digest); ok {
			what = "manifest"
		}
		return name.Digest{}, fmt.Errorf("%s: no such %s in the registry", ref, what)
	}
	return ref.Context().Digest(h.String()), nil
}

// Lookup asks the registry for the digest of a tag (or a digest); found is
// false when the registry says it does not exist.
func (s *Session) Lookup(ctx context.Context, ref name.Reference) (h v1.Hash, found bool, err error) {
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	desc, err := s.puller.Head(ctx, ref)
	if err == nil {
		return desc.Digest, true, nil
	}
	if notFound(err) {
		return v1.Hash{}, false, nil
	}
	// Some registries answer HEAD wrongly; GET is the reference behaviour.
	got, gerr := s.puller.Get(ctx, ref)
	if gerr != nil {
		if notFound(gerr) {
			return v1.Hash{}, false, nil
		}
		return v1.Hash{}, false, s.c.explain(ctx, ref.Context().RegistryStr(), gerr)
	}
	if s.c.cache != nil {
		_ = s.c.cache.Put(got.Digest, got.Manifest)
	}
	return got.Digest, true, nil
}

// Manifest returns the manifest or index a digest names, from the cache
// when it holds it.
func (s *Session) Manifest(ctx context.Context, d name.Digest) ([]byte, types.MediaType, error) {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return nil, "", err
	}
	if s.c.cache != nil {
		if b, ok := s.c.cache.Get(h); ok {
			return b, mediaType(b), nil
		}
	}
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	desc, err := s.puller.Get(ctx, d)
	if err != nil {
		return nil, "", s.c.explain(ctx, d.RegistryStr(), err)
	}
	if len(desc.Manifest) > MaxManifestBytes {
		return nil, "", fmt.Errorf("%s: manifest of %d bytes is over the %d limit", d, len(desc.Manifest), MaxManifestBytes)
	}
	if s.c.cache != nil {
		if err := s.c.cache.Put(h, desc.Manifest); err != nil {
			return nil, "", err
		}
	}
	return desc.Manifest, desc.MediaType, nil
}

// ErrTooLarge is a blob over the size its caller allows: the content is
// refused, the registry did not fail.
var ErrTooLarge = errors.New("over the size limit")

// Blob returns a blob of at most max bytes, from the cache when it holds
// it. Its digest is verified either way.
func (s *Session) Blob(ctx context.Context, repo name.Repository, h v1.Hash, max int64) ([]byte, error) {
	if s.c.cache != nil {
		if b, ok := s.c.cache.Get(h); ok {
			return b, nil
		}
	}
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	l, err := s.puller.Layer(ctx, repo.Digest(h.String()))
	if err != nil {
		return nil, s.c.explain(ctx, repo.RegistryStr(), err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, s.c.explain(ctx, repo.RegistryStr(), err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, s.c.explain(ctx, repo.RegistryStr(), err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s@%s: blob is %w of %d bytes", repo, h, ErrTooLarge, max)
	}
	if got, _, _ := v1.SHA256(bytes.NewReader(b)); got != h {
		return nil, fmt.Errorf("%s@%s: blob content has digest %s", repo, h, got)
	}
	if s.c.cache != nil {
		if err := s.c.cache.Put(h, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Referrers lists the manifests that name d as their subject, through the
// OCI 1.1 referrers API or, where the registry lacks it, the referrers tag
// (sha256-<hex>).
func (s *Session) Referrers(ctx context.Context, d name.Digest) ([]v1.Descriptor, error) {
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	idx, err := remote.Referrers(d, remote.Reuse(s.puller), remote.WithContext(ctx))
	if err != nil {
		if notFound(err) {
			return nil, nil
		}
		return nil, s.c.explain(ctx, d.RegistryStr(), err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, s.c.explain(ctx, d.RegistryStr(), err)
	}
	return m.Manifests, nil
}

func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.opts.Timeout)
}

// Refused reports a registry's answer that the credentials may not read
// (401, 403): other credentials may.
func Refused(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden)
}

// notFound reports a registry's answer that the thing does not exist.
func notFound(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return true
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode || d.Code == transport.BlobUnknownErrorCode {
				return true
			}
		}
	}
	return false
}

// explain turns transport errors into messages that name the registry and
// say what happened: it did not answer in time, could not be reached, or
// refused the credentials.
func (c *Client) explain(ctx context.Context, registry string, err error) error {
	var te *transport.Error
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Errorf("registry %s did not answer within %s", registry, c.opts.Timeout)
	case errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden):
		return fmt.Errorf("registry %s refused access (%d): check the pull credentials: %w", registry, te.StatusCode, err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("registry %s is unreachable: connection refused", registry)
	case errors.As(err, &ue):
		return fmt.Errorf("registry %s: %w", registry, ue.Err)
	}
	return fmt.Errorf("registry %s: %w", registry, err)
}

// mediaType reads the mediaType field of a manifest or index.
func mediaType(b []byte) types.MediaType {
	m, err := v1.ParseManifest(bytes.NewReader(b))
	if err == nil && m.MediaType != "" {
		return m.MediaType
	}
	return ""
}
