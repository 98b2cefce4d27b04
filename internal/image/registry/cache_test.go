package registry_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
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
)

func randomBlob(t *testing.T, size int) ([]byte, v1.Hash) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return b, h
}

// dirBytes is the total size of the cache's entries on disk.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The cache stays within its budget as entries are added: the entries
// used longest ago go first (an entry read is kept over an older one
// stored), and the entry just stored stays even when it alone is over
// the budget. Without the budget every layer ever fetched stayed, and
// the webhook's emptyDir filled until the kubelet evicted the pod.
func TestCacheBudgetEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	const kib = 1 << 10
	c, err := registry.OpenCache(dir, 100*kib)
	if err != nil {
		t.Fatal(err)
	}
	var hs []v1.Hash
	for i := range 4 { // 4 x 20 KiB: within the budget
		b, h := randomBlob(t, 20*kib)
		if err := c.Put(h, b); err != nil {
			t.Fatal(err)
		}
		// Modification times a minute apart: the order is not left to
		// the file system's timestamp resolution.
		old := time.Now().Add(time.Duration(i-10) * time.Minute)
		if err := os.Chtimes(filepath.Join(dir, "blobs", "sha256", h.Hex), old, old); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	// Using the oldest makes it the most recent.
	rc, err := c.Open(hs[0])
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	b, h := randomBlob(t, 30*kib) // 110 KiB: over; down to 90 KiB or less
	if err := c.Put(h, b); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true, true} {
		if got := c.Has(hs[i]); got != want {
			t.Errorf("entry %d (stored %d-th, used %v) kept: %v, want %v", i, i+1, i == 0, got, want)
		}
	}
	if !c.Has(h) {
		t.Error("the entry just stored was evicted")
	}
	if got := dirBytes(t, dir); got > 100*kib {
		t.Errorf("cache holds %d bytes, budget %d", got, 100*kib)
	}

	// An entry over the budget alone is kept once stored (its reader
	// needs it), all others go.
	huge, hh := randomBlob(t, 150*kib)
	rc, err = c.Store(hh, int64(len(huge)), bytes.NewReader(huge))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, huge) {
		t.Errorf("the entry over the budget reads %d bytes, %v", len(got), err)
	}
	rc.Close()
	if !c.Has(hh) {
		t.Error("the entry just stored, over the budget alone, was evicted")
	}
	if got := dirBytes(t, dir); got != 150*kib {
		t.Errorf("cache holds %d bytes, want only the last entry's %d", got, 150*kib)
	}
}

// Workers storing at once keep the cache within its budget, and a cache
// opened on a directory that holds more than its budget counts it.
func TestCacheBudgetConcurrentStores(t *testing.T) {
	dir := t.TempDir()
	const kib, budget = 1 << 10, 200 << 10
	filler, err := registry.OpenCache(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 30 { // 300 KiB left by an earlier run without a budget
		b, h := randomBlob(t, 10*kib)
		if err := filler.Put(h, b); err != nil {
			t.Fatal(err)
		}
	}
	c, err := registry.OpenCache(dir, budget)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size() != 300*kib {
		t.Errorf("size counted at open: %d, want %d", c.Size(), 300*kib)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for w := range 8 {
		wg.Go(func() {
			for i := range 20 {
				b, h := randomBlob(t, (1+(w+i)%7)*kib*3)
				if err := c.Put(h, b); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := dirBytes(t, dir); got > budget {
		t.Errorf("cache holds %d bytes after concurrent stores, budget %d", got, budget)
	}
}

// The client applies its budget to the cache directory and, without
// one, to its private temporary directory: layers read through either
// never hold more than CacheMaxBytes.
func TestClientCacheBudget(t *testing.T) {
	reg := registrytest.New(t)
	const layer, budget = 64 << 10, 200 << 10
	var refs []name.Digest
	for i := range 6 {
		content, _ := randomBlob(t, layer)
		img, err := mutate.AppendLayers(empty.Image, static.NewLayer(content, types.DockerLayer))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, reg.Push(t, fmt.Sprintf("acme/img%d:1", i), img))
	}
	for _, tc := range []struct {
		name string
		opts func(t *testing.T, dir string) registry.Options
	}{
		{"cache directory", func(_ *testing.T, dir string) registry.Options { return registry.Options{CacheDir: dir} }},
		{"temporary directory", func(t *testing.T, dir string) registry.Options {
			t.Setenv("TMPDIR", dir)
			return registry.Options{}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := tc.opts(t, dir)
			opts.CacheMaxBytes = budget
			c := client(t, reg, opts)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for _, ref := range refs {
				im, err := session(t, c, reg.Keychain()).Image(ctx, ref, v1.Platform{})
				if err != nil {
					t.Fatal(err)
				}
				ls, err := im.Layers()
				if err != nil {
					t.Fatal(err)
				}
				rc, err := ls[0].Compressed()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					t.Fatal(err)
				}
				rc.Close()
				if got := dirBytes(t, dir); got > budget {
					t.Fatalf("after %s the cache holds %d bytes, budget %d", ref, got, budget)
				}
			}
		})
	}
}
