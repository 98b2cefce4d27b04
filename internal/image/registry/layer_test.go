package registry_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
)

const (
	vulnerable = "3.0.11-1~deb12u2"
	fixed      = "3.0.13-1~deb12u1"
)

// dpkgLayer is a layer whose package database lists libssl3 at version.
func dpkgLayer(t *testing.T, version string) v1.Layer {
	return sbomtest.Layer(t, map[string]sbomtest.File{
		"var/lib/dpkg/status": sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: version}),
	})
}

func compressed(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tampered pushes good, an image whose layer lists libssl3 at a vulnerable
// version, and bad, the same image whose layer the registry replaces
// with one listing the fixed version (hiding the vulnerability) followed
// by bytes a tar reader never reaches: it stops at the archive's end
// marker, before the stream's end where go-containerregistry checks the
// digest.
func tampered(t *testing.T, reg *registrytest.Registry) (good, bad name.Digest, badLayer v1.Hash) {
	t.Helper()
	good = reg.Push(t, "acme/good:1", sbomtest.Image(t, dpkgLayer(t, vulnerable)))
	layer := dpkgLayer(t, vulnerable+"+bad") // another digest than good's
	bad = reg.Push(t, "acme/bad:1", sbomtest.Image(t, layer))
	badLayer, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	reg.Tamper(badLayer, append(compressed(t, dpkgLayer(t, fixed)), bytes.Repeat([]byte("junk"), 64<<10)...))
	return good, bad, badLayer
}

// dpkgStatus reads the image's layers as osv-scalibr does (a tar reader
// over each layer, up to the archive's end marker) and returns the
// package database it found.
func dpkgStatus(t *testing.T, c *registry.Client, reg *registrytest.Registry, d name.Digest) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	im, err := session(t, c, reg.Keychain()).Image(ctx, d, v1.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := im.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var status string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			return "", err
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rc.Close()
				return "", err
			}
			if h.Name == "var/lib/dpkg/status" {
				b, err := io.ReadAll(tr)
				if err != nil {
					rc.Close()
					return "", err
				}
				status = string(b)
			}
		}
		rc.Close()
	}
	return status, nil
}

// entries lists dir's entries' names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// With no cache, a layer is verified in a private temporary directory
// before a byte of it is read: a layer the registry replaced is an error,
// not a package database; the good layer reads; the directory is removed
// when the client is closed.
func TestNoCacheLayerVerifiedInTemporaryDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	reg := registrytest.New(t)
	good, bad, badLayer := tampered(t, reg)
	c := client(t, reg, registry.Options{})

	got, err := dpkgStatus(t, c, reg, good)
	if err != nil || !strings.Contains(got, "Version: "+vulnerable) {
		t.Fatalf("good image: %v\n%s", err, got)
	}
	dirs := entries(t, tmp)
	if len(dirs) != 1 || !strings.HasPrefix(dirs[0], "kubeward-images-") {
		t.Fatalf("temporary directory: %v", dirs)
	}
	if fi, err := os.Stat(filepath.Join(tmp, dirs[0])); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("temporary directory mode: %v, %v", fi, err)
	}
	got, err = dpkgStatus(t, c, reg, bad)
	if err == nil || !strings.Contains(err.Error(), badLayer.String()) || strings.Contains(err.Error(), "image cache") {
		t.Fatalf("replaced layer: %v, package database %q", err, got)
	}
	if _, err := os.Stat(filepath.Join(tmp, dirs[0], "blobs", "sha256", badLayer.Hex)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the replaced layer was stored: %v", err)
	}
	// A layer read twice (a base layer two images share) is fetched once.
	before := reg.Requests()
	if _, err := dpkgStatus(t, c, reg, good); err != nil {
		t.Fatal(err)
	}
	for _, p := range reg.Paths()[before:] {
		if strings.Contains(p, "/blobs/") {
			t.Errorf("read again from the registry: %s", p)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if left := entries(t, tmp); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	// Closed, the client still reads, in memory, and leaves nothing.
	if got, err := dpkgStatus(t, c, reg, good); err != nil || !strings.Contains(got, vulnerable) {
		t.Errorf("after Close: %v", err)
	}
	if left := entries(t, tmp); len(left) != 0 {
		t.Errorf("left behind after Close: %v", left)
	}
}

// Where no temporary directory can be made (a read-only file system), a
// layer is read whole into memory and verified there; one over the bound
// is refused before it is fetched, saying what to do; the memory is given
// back when the layer is closed.
func TestNoCacheLayerVerifiedInMemory(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	reg := registrytest.New(t)
	good, bad, badLayer := tampered(t, reg)
	im, err := sbomtest.Image(t, dpkgLayer(t, vulnerable)).Layers()
	if err != nil {
		t.Fatal(err)
	}
	size, err := im[0].Size()
	if err != nil {
		t.Fatal(err)
	}
	// Room for exactly one layer: a layer whose memory was not given back
	// would leave the second read waiting until the deadline.
	c := client(t, reg, registry.Options{MemoryLayerBytes: size})
	for range 3 {
		got, err := dpkgStatus(t, c, reg, good)
		if err != nil || !strings.Contains(got, "Version: "+vulnerable) {
			t.Fatalf("good image: %v\n%s", err, got)
		}
	}
	got, err := dpkgStatus(t, c, reg, bad)
	if err == nil || !strings.Contains(err.Error(), badLayer.String()) {
		t.Fatalf("replaced layer: %v, package database %q", err, got)
	}
	if got, err := dpkgStatus(t, c, reg, good); err != nil || !strings.Contains(got, vulnerable) {
		t.Fatalf("good image after a refused one: %v", err)
	}

	small := client(t, reg, registry.Options{MemoryLayerBytes: size - 1})
	before := reg.Requests()
	_, err = dpkgStatus(t, small, reg, good)
	if err == nil {
		t.Fatal("a layer over the bound was read")
	}
	for _, want := range []string{"layer of " + strconv.FormatInt(size, 10) + " bytes", "images.registry.cache", "TMPDIR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	h, err := im[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range reg.Paths()[before:] {
		if strings.HasSuffix(p, h.String()) {
			t.Errorf("the layer over the bound was fetched: %s", p)
		}
	}
}

// A cache entry changed after it was written (a shared or restored cache
// directory) is checked before it is read, and fetched again: a tar
// reader would never reach the end where it used to be checked.
func TestChangedCachedLayerIsFetchedAgain(t *testing.T) {
	reg := registrytest.New(t)
	good, _, _ := tampered(t, reg)
	dir := t.TempDir()
	c := client(t, reg, registry.Options{CacheDir: dir})
	if _, err := dpkgStatus(t, c, reg, good); err != nil {
		t.Fatal(err)
	}
	layers, err := sbomtest.Image(t, dpkgLayer(t, vulnerable)).Layers()
	if err != nil {
		t.Fatal(err)
	}
	h, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(dir, "blobs", "sha256", h.Hex)
	if err := os.WriteFile(entry, append(compressed(t, dpkgLayer(t, fixed)), "junk"...), 0o600); err != nil {
		t.Fatal(err)
	}
	before := reg.Requests()
	got, err := dpkgStatus(t, c, reg, good)
	if err != nil || !strings.Contains(got, "Version: "+vulnerable) {
		t.Fatalf("changed entry: %v\n%s", err, got)
	}
	if reg.Requests() == before {
		t.Error("the changed entry was not fetched again")
	}
}

// A layer that starts as gzip does but whose header is not gzip's (an
// image's author's doing: its digest is right) fails to decompress
// before a byte is read: go-containerregistry's Uncompressed then drops
// the reader it opened without closing it. The memory that layer held
// must come back all the same, or every later layer read in memory (the
// webhook's, for its whole life) waits for it until its deadline.
func TestNoCacheBadGzipLayerGivesMemoryBack(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	reg := registrytest.New(t)
	good := sbomtest.Image(t, dpkgLayer(t, vulnerable))
	goodLayers, err := good.Layers()
	if err != nil {
		t.Fatal(err)
	}
	size, err := goodLayers[0].Size()
	if err != nil {
		t.Fatal(err)
	}
	notGzip := append([]byte{0x1f, 0x8b, 0x00}, bytes.Repeat([]byte{0}, int(size)-3)...)
	bad, err := mutate.AppendLayers(empty.Image, static.NewLayer(notGzip, types.DockerLayer))
	if err != nil {
		t.Fatal(err)
	}
	goodRef, badRef := reg.Push(t, "acme/good:1", good), reg.Push(t, "acme/notgzip:1", bad)
	c := client(t, reg, registry.Options{MemoryLayerBytes: size})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	im, err := session(t, c, reg.Keychain()).Image(ctx, badRef, v1.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := im.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if rc, err := ls[0].Uncompressed(); err == nil {
		rc.Close()
		t.Fatal("a layer with a broken gzip header decompressed")
	}
	// The good layer is exactly the bound: it can only be read once the
	// broken one's memory is back.
	short, cancelShort := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelShort()
	gi, err := session(t, c, reg.Keychain()).Image(short, goodRef, v1.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	gls, err := gi.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := gls[0].Uncompressed()
	if err != nil {
		t.Fatalf("the broken layer's memory was not given back: %v", err)
	}
	rc.Close()
}

// zeros is a stream of limit zero bytes that counts what was read from
// it.
type zeros struct{ read, limit int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.read >= z.limit {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.limit-z.read))
	clear(p[:n])
	z.read += int64(n)
	return n, nil
}

// A layer is stored reading no more than one byte past the size its
// descriptor states: a registry that streams without end (chunked, no
// Content-Length: go-containerregistry then bounds nothing) would
// otherwise fill the cache's or the temporary directory's disk until the
// image's deadline.
func TestStoreReadsNoMoreThanTheDescriptorsSize(t *testing.T) {
	c, err := registry.OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	const size = 4096
	h, _, err := v1.SHA256(bytes.NewReader(make([]byte, size)))
	if err != nil {
		t.Fatal(err)
	}
	endless := &zeros{limit: 64 << 20}
	if rc, err := c.Store(h, size, endless); err == nil {
		rc.Close()
		t.Fatal("an endless stream was stored")
	} else if !strings.Contains(err.Error(), "over the 4096 bytes") {
		t.Errorf("error: %v", err)
	}
	if endless.read > size+1 {
		t.Errorf("read %d bytes of a layer of %d", endless.read, size)
	}
	if c.Has(h) {
		t.Error("the endless stream left an entry")
	}
	if _, err := c.Store(h, size, &zeros{limit: size - 1}); err == nil || !strings.Contains(err.Error(), "has 4095 bytes") {
		t.Errorf("short content: %v", err)
	}
	rc, err := c.Store(h, size, &zeros{limit: size})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || len(b) != size {
		t.Errorf("stored content: %d bytes, %v", len(b), err)
	}
}

// A layer read into memory takes its size in memory, not the several
// times io.ReadAll's growing buffer allocates on the way: the bound
// counts a layer's size, and the webhook's memory limit holds the bound.
func TestNoCacheLayerInMemoryAllocatesItsSize(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	reg := registrytest.New(t)
	const size = 16 << 20
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i*7 + i>>8)
	}
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(content, types.DockerLayer))
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Push(t, "acme/big:1", img)
	c := client(t, reg, registry.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	im, err := session(t, c, reg.Keychain()).Image(ctx, ref, v1.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := im.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rc, err := ls[0].Compressed()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// The registry serving the layer, in this process, allocates a little
	// too.
	if got := after.TotalAlloc - before.TotalAlloc; got > size*3/2 {
		t.Errorf("reading a layer of %d bytes into memory allocated %d bytes", size, got)
	}
}
