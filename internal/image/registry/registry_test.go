package registry_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
)

func client(t *testing.T, reg *registrytest.Registry, opts registry.Options) *registry.Client {
	t.Helper()
	opts.RootCAs = reg.CAs
	c, err := registry.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func session(t *testing.T, c *registry.Client, kc authn.Keychain) *registry.Session {
	t.Helper()
	s, err := c.Session("test", kc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The default keychain reads the Docker configuration: after a docker
// login, a tag resolves to the digest that was pushed.
func TestResolveWithDockerConfig(t *testing.T) {
	reg := registrytest.New(t)
	want := reg.Push(t, "team/app:v1", randomImage(t))
	reg.DockerConfig(t)
	s := session(t, client(t, reg, registry.Options{}), nil)
	got, err := s.Resolve(context.Background(), reg.Ref(t, "team/app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("resolved %s, want %s", got, want)
	}
	// A digest reference is looked up too (one request), with the
	// session's credentials: they must be allowed to read it.
	before := reg.Requests()
	if d, err := s.Resolve(context.Background(), want); err != nil || d != want || reg.Requests() != before+1 {
		t.Fatalf("digest reference: %s, %v, %d requests", d, err, reg.Requests()-before)
	}
	if _, err := s.Resolve(context.Background(), want.Context().Digest("sha256:"+strings.Repeat("0", 64))); err == nil || !strings.Contains(err.Error(), "no such manifest") {
		t.Fatalf("missing digest: %v", err)
	}
	if _, err := s.Resolve(context.Background(), reg.Ref(t, "team/app:nope")); err == nil || !strings.Contains(err.Error(), "no such tag") {
		t.Fatalf("missing tag: %v", err)
	}
}

func TestResolveWithoutCredentialsSaysSo(t *testing.T) {
	reg := registrytest.New(t)
	reg.Push(t, "team/app:v1", randomImage(t))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	s := session(t, client(t, reg, registry.Options{}), nil)
	_, err := s.Resolve(context.Background(), reg.Ref(t, "team/app:v1"))
	if err == nil || !strings.Contains(err.Error(), "refused access (401)") || !strings.Contains(err.Error(), reg.Host) {
		t.Fatalf("err = %v, want a refusal naming the registry", err)
	}
}

// What a digest names is fetched once: again from the same client, and
// from another client sharing the cache directory, it comes from disk.
func TestCacheFetchesContentOnce(t *testing.T) {
	reg := registrytest.New(t)
	img := randomImage(t)
	d := reg.Push(t, "app:v1", img)
	dir := t.TempDir()
	read := func() {
		t.Helper()
		s := session(t, client(t, reg, registry.Options{CacheDir: dir}), reg.Keychain())
		im, err := s.Image(context.Background(), d, v1.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		layers, err := im.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Fatal(err)
			}
			rc.Close()
		}
		if _, err := im.ConfigFile(); err != nil {
			t.Fatal(err)
		}
	}
	read()
	cold := reg.Requests()
	if cold < 4 { // manifest, config, two layers
		t.Fatalf("a cold read made %d requests", cold)
	}
	read()
	if n := reg.Requests() - cold; n != 0 {
		t.Fatalf("a warm read made %d requests: %v", n, reg.Paths()[cold:])
	}
}

// A cache entry that does not match its digest is dropped and fetched again.
func TestCorruptCacheEntryIsFetchedAgain(t *testing.T) {
	reg := registrytest.New(t)
	d := reg.Push(t, "app:v1", randomImage(t))
	dir := t.TempDir()
	s := session(t, client(t, reg, registry.Options{CacheDir: dir}), reg.Keychain())
	want, _, err := s.Manifest(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(d.DigestStr())
	path := filepath.Join(dir, "blobs", "sha256", h.Hex)
	if err := os.WriteFile(path, []byte(`{"tampered":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	before := reg.Requests()
	got, _, err := s.Manifest(context.Background(), d)
	if err != nil || string(got) != string(want) {
		t.Fatalf("manifest after tampering: %q, %v", got, err)
	}
	if reg.Requests() == before {
		t.Fatal("the tampered entry was served from the cache")
	}
}

func TestSlowRegistryTimesOutClearly(t *testing.T) {
	reg := registrytest.New(t)
	reg.Push(t, "app:v1", randomImage(t))
	reg.SetDelay(5 * time.Second)
	s := session(t, client(t, reg, registry.Options{Timeout: 300 * time.Millisecond}), reg.Keychain())
	start := time.Now()
	_, err := s.Resolve(context.Background(), reg.Ref(t, "app:v1"))
	if err == nil || !strings.Contains(err.Error(), "did not answer within 300ms") || !strings.Contains(err.Error(), reg.Host) {
		t.Fatalf("err = %v", err)
	}
	// HEAD then GET, each bounded: well under the registry's delay.
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("gave up after %s", el)
	}
}

func TestDownRegistryFailsClearly(t *testing.T) {
	reg := registrytest.New(t)
	ref := reg.Ref(t, "app:v1")
	reg.Close()
	s := session(t, client(t, reg, registry.Options{Timeout: 2 * time.Second}), reg.Keychain())
	start := time.Now()
	_, err := s.Resolve(context.Background(), ref)
	if err == nil || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), reg.Host) {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("gave up after %s", el)
	}
}

func TestImageChoosesPlatformFromIndex(t *testing.T) {
	reg := registrytest.New(t)
	amd, arm := randomImage(t), randomImage(t)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	d := reg.PushIndex(t, "multi:v1", idx)
	s := session(t, client(t, reg, registry.Options{}), reg.Keychain())
	for _, tc := range []struct {
		platform v1.Platform
		want     v1.Image
	}{{v1.Platform{}, amd}, {v1.Platform{OS: "linux", Architecture: "arm64"}, arm}} {
		im, err := s.Image(context.Background(), d, tc.platform)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := im.Digest()
		want, _ := tc.want.Digest()
		if got != want {
			t.Errorf("platform %v: image %s, want %s", tc.platform, got, want)
		}
	}
	if _, err := s.Image(context.Background(), d, v1.Platform{OS: "windows", Architecture: "amd64"}); err == nil {
		t.Error("no windows image, yet one was chosen")
	}
}

func TestReferrers(t *testing.T) {
	reg := registrytest.New(t)
	subject := reg.Push(t, "app:v1", randomImage(t))
	s := session(t, client(t, reg, registry.Options{}), reg.Keychain())
	got, err := s.Referrers(context.Background(), subject)
	if err != nil || len(got) != 0 {
		t.Fatalf("referrers of a fresh image: %v, %v", got, err)
	}
	desc, err := remoteDescriptor(subject, reg)
	if err != nil {
		t.Fatal(err)
	}
	art := mutate.Subject(mutate.ConfigMediaType(randomImage(t), "application/example"), *desc).(v1.Image)
	h, _ := art.Digest()
	reg.Push(t, "app@"+h.String(), art)
	got, err = s.Referrers(context.Background(), subject)
	if err != nil || len(got) != 1 || got[0].Digest != h || got[0].ArtifactType != "application/example" {
		t.Fatalf("referrers = %+v, %v", got, err)
	}
}

func remoteDescriptor(d name.Digest, reg *registrytest.Registry) (*v1.Descriptor, error) {
	c, err := registry.New(registry.Options{RootCAs: reg.CAs})
	if err != nil {
		return nil, err
	}
	s, err := c.Session("x", reg.Keychain())
	if err != nil {
		return nil, err
	}
	raw, mt, err := s.Manifest(context.Background(), d)
	if err != nil {
		return nil, err
	}
	h, _ := v1.NewHash(d.DigestStr())
	return &v1.Descriptor{MediaType: mt, Digest: h, Size: int64(len(raw))}, nil
}

// A layer's DiffID is the configuration's record, as remote images give
// it: asking it does not download and decompress the layer (osv-scalibr
// asks each layer's DiffID before reading it, which decompressed every
// layer twice).
func TestLayerDiffIDFromConfig(t *testing.T) {
	reg := registrytest.New(t)
	img := randomImage(t)
	d := reg.Push(t, "app:v1", img)
	s := session(t, client(t, reg, registry.Options{CacheDir: t.TempDir()}), reg.Keychain())
	im, err := s.Image(context.Background(), d, v1.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := im.Layers()
	if err != nil || len(layers) != len(want) {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	before := len(reg.Paths())
	for i, l := range layers {
		got, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		if w, _ := want[i].DiffID(); got != w {
			t.Errorf("layer %d: DiffID %s, want %s", i, got, w)
		}
	}
	for _, p := range reg.Paths()[before:] {
		for _, l := range want {
			if h, _ := l.Digest(); strings.HasSuffix(p, h.String()) {
				t.Errorf("asking the DiffIDs fetched layer %s", p)
			}
		}
	}
}
