// Package registrytest runs a real OCI registry (go-containerregistry's
// pkg/registry, with the referrers API) in the test process, on loopback,
// behind TLS and basic authentication, and pushes images to it. Tests only.
package registrytest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The credentials the registry accepts.
const (
	User     = "kubeward"
	Password = "s3cret-test-password"
)

// Registry is a running registry.
type Registry struct {
	// Host is host:port, the registry part of image references.
	Host string
	// CAs trusts the registry's certificate.
	CAs    *x509.CertPool
	server *httptest.Server

	delay    atomic.Int64 // nanoseconds added to every request
	requests atomic.Int64
	mu       sync.Mutex
	paths    []string          // request paths, for tests that count fetches
	tampered map[string][]byte // blob digest -> what is served instead
}

// New starts a registry that stops with the test.
func New(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	inner := ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(discard()))
	r.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if d := time.Duration(r.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-req.Context().Done():
				return
			}
		}
		r.requests.Add(1)
		r.mu.Lock()
		r.paths = append(r.paths, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		if u, p, ok := req.BasicAuth(); !ok || u != User || p != Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		if body, ok := r.tamperedBlob(req); ok {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Header().Set("Docker-Content-Digest", req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:])
			w.WriteHeader(http.StatusOK)
			if req.Method == http.MethodGet {
				_, _ = w.Write(body)
			}
			return
		}
		inner.ServeHTTP(w, req)
	}))
	// Clients dropped mid-handshake when a test ends are not news.
	r.server.Config.ErrorLog = discard()
	r.server.EnableHTTP2 = true
	r.server.StartTLS()
	t.Cleanup(r.server.Close)
	r.Host = strings.TrimPrefix(r.server.URL, "https://")
	r.CAs = x509.NewCertPool()
	r.CAs.AddCert(r.server.Certificate())
	return r
}

// CAFile writes the registry's certificate as PEM, for commands that take
// a certificate authority file.
func (r *Registry) CAFile(t testing.TB) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "registry-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.server.Certificate().Raw})
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// Close stops the registry: later requests find nothing listening.
func (r *Registry) Close() { r.server.Close() }

// SetDelay makes every request wait d before it is answered.
func (r *Registry) SetDelay(d time.Duration) { r.delay.Store(int64(d)) }

// Tamper serves content instead of the blob h from now on, under h's
// name: a registry, or a man in the middle of a plain-HTTP connection to
// one, lying about a layer.
func (r *Registry) Tamper(h v1.Hash, content []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tampered == nil {
		r.tampered = map[string][]byte{}
	}
	r.tampered[h.String()] = content
}

func (r *Registry) tamperedBlob(req *http.Request) ([]byte, bool) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return nil, false
	}
	i := strings.LastIndex(req.URL.Path, "/blobs/")
	if i < 0 {
		return nil, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.tampered[req.URL.Path[i+len("/blobs/"):]]
	return b, ok
}

// Requests counts the authenticated and unauthenticated requests served.
func (r *Registry) Requests() int64 { return r.requests.Load() }

// Paths returns the requests served so far ("GET /v2/app/blobs/sha256:...").
func (r *Registry) Paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

// Auth is the registry's credentials.
func (r *Registry) Auth() authn.Authenticator {
	return &authn.Basic{Username: User, Password: Password}
}

// Keychain returns the registry's credentials for any registry.
func (r *Registry) Keychain() authn.Keychain { return staticKeychain{r.Auth()} }

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

// DockerConfig writes a Docker configuration holding the registry's
// credentials and points HOME and DOCKER_CONFIG at it for the test, as a
// developer's machine or a CI job after `docker login` would be.
func (r *Registry) DockerConfig(t testing.TB) {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{"auths": map[string]any{r.Host: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(User + ":" + Password)),
	}}}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(home, "no-such-auth.json"))
}

// Transport trusts the registry's certificate.
func (r *Registry) Transport() http.RoundTripper {
	t := remote.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: r.CAs}
	return t
}

// Options are the remote options that write to the registry.
func (r *Registry) Options() []remote.Option {
	return []remote.Option{remote.WithAuth(r.Auth()), remote.WithTransport(r.Transport())}
}

// Ref parses a reference to repo (a path, or path:tag, path@digest) in
// the registry.
func (r *Registry) Ref(t testing.TB, repo string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// Push writes an image under repo:tag and returns its digest reference.
func (r *Registry) Push(t testing.TB, repoTag string, img v1.Image) name.Digest {
	t.Helper()
	ref := r.Ref(t, repoTag)
	if err := remote.Write(ref, img, r.Options()...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(h.String())
}

// PushIndex writes an index under repo:tag and returns its digest reference.
func (r *Registry) PushIndex(t testing.TB, repoTag string, idx v1.ImageIndex) name.Digest {
	t.Helper()
	ref := r.Ref(t, repoTag)
	if err := remote.WriteIndex(ref, idx, r.Options()...); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	h, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(h.String())
}

func discard() *log.Logger { return log.New(io.Discard, "", 0) }
