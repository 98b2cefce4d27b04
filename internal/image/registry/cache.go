package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Cache is a content-addressed store on disk: blobs/sha256/<hex>. Content
// named by its digest cannot change, so an entry never expires; a file
// whose content does not match its name (a disk error, tampering) is
// removed and fetched again. Writes go to a temporary file renamed into
// place, so concurrent runs sharing the directory never read half a file.
//
// The entries' total size is bounded: once a store takes it over the
// budget, the entries used longest ago (by modification time, which
// Get, Open and Store set) are removed until it is back under, the entry
// just stored excepted. A removed entry that a reader has open stays
// readable (Unix), and its space is freed when the reader closes it.
type Cache struct {
	dir      string
	maxBytes int64 // <= 0: unbounded

	mu sync.Mutex
	// size is the entries' total, counted at open and when entries are
	// evicted, kept up to date by this process's stores in between
	// (other processes sharing the directory are counted at eviction).
	size int64
}

// OpenCache creates the directory (mode 0700: pull credentials are not
// stored, but what private images hold is nobody else's business).
// maxBytes bounds the entries' total size; <= 0 leaves it unbounded.
func OpenCache(dir string, maxBytes int64) (*Cache, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return nil, fmt.Errorf("image cache: %w", err)
	}
	c := &Cache{dir: dir, maxBytes: maxBytes}
	if maxBytes > 0 {
		es, _, err := c.entries()
		if err != nil {
			return nil, fmt.Errorf("image cache: %w", err)
		}
		for _, e := range es {
			c.size += e.size
		}
	}
	return c, nil
}

// entry is one cached blob as its directory lists it.
type entry struct {
	name  string
	size  int64
	mtime time.Time
}

// staleTemp is how old a temporary file of a store must be to be taken
// for one a killed process left (a container restarted keeps its
// emptyDir); no store of this process takes that long.
const staleTemp = 24 * time.Hour

// entries lists the cache's entries, and the temporary files of stores
// older than staleTemp.
func (c *Cache) entries() (es []entry, stale []string, err error) {
	blobs := filepath.Join(c.dir, "blobs", "sha256")
	des, err := os.ReadDir(blobs)
	if err != nil {
		return nil, nil, err
	}
	for _, de := range des {
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue // removed since it was listed
		}
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if time.Since(info.ModTime()) > staleTemp {
				stale = append(stale, filepath.Join(blobs, de.Name()))
			}
			continue
		}
		es = append(es, entry{name: de.Name(), size: info.Size(), mtime: info.ModTime()})
	}
	return es, stale, nil
}

// Size is the entries' total size as this process counts it.
func (c *Cache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// stored counts an entry of n bytes just written at p and, when that
// takes the total over the budget, evicts the entries used longest ago
// (never p) until the total is under nine tenths of it: one eviction
// makes room for several stores, rather than a listing of the directory
// at each.
func (c *Cache) stored(p string, n int64) {
	if c.maxBytes <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size += n
	if c.size <= c.maxBytes {
		return
	}
	es, stale, err := c.entries()
	if err != nil {
		return // counted again at the next store over the budget
	}
	for _, s := range stale {
		_ = os.Remove(s)
	}
	c.size = 0
	for _, e := range es {
		c.size += e.size
	}
	slices.SortFunc(es, func(a, b entry) int { return a.mtime.Compare(b.mtime) })
	target := c.maxBytes - c.maxBytes/10
	for _, e := range es {
		if c.size <= target {
			break
		}
		q := filepath.Join(c.dir, "blobs", "sha256", e.name)
		if q == p {
			continue
		}
		if err := os.Remove(q); err == nil || errors.Is(err, fs.ErrNotExist) {
			c.size -= e.size
		}
	}
}

// touch marks an entry used now, so that eviction keeps it longest.
func touch(p string) {
	now := time.Now()
	_ = os.Chtimes(p, now, now)
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(h v1.Hash) (string, bool) {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(h.Hex); err != nil {
		return "", false
	}
	return filepath.Join(c.dir, "blobs", "sha256", h.Hex), true
}

// Get returns a small entry (a manifest, a signature) whose content
// matches its digest.
func (c *Cache) Get(h v1.Hash) ([]byte, bool) {
	p, ok := c.path(h)
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != h.Hex {
		_ = os.Remove(p)
		return nil, false
	}
	touch(p)
	return b, true
}

// Put stores content under its digest.
func (c *Cache) Put(h v1.Hash, b []byte) error {
	_, err := c.PutStream(h, bytes.NewReader(b))
	return err
}

// Has reports whether an entry exists, without reading it (large layers
// are verified when they are written and when they are read).
func (c *Cache) Has(h v1.Hash) bool {
	p, ok := c.path(h)
	if !ok {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

// Open opens an entry for reading once its whole content has been
// checked against the digest: a reader of a layer (a tar reader over it)
// stops at the archive's end marker, so a check at the end of the stream
// would never run on what follows it, nor on an entry changed since it
// was written (a shared or restored cache directory). An entry that does
// not match is removed, so it is fetched again. Hashing costs one read
// of the compressed bytes, from the page cache once they were written.
func (c *Cache) Open(h v1.Hash) (io.ReadCloser, error) {
	p, ok := c.path(h)
	if !ok {
		return nil, fmt.Errorf("image cache: %s is not a sha256 digest", h)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		f.Close()
		return nil, fmt.Errorf("image cache: %w", err)
	}
	if hex.EncodeToString(sum.Sum(nil)) != h.Hex {
		f.Close()
		_ = os.Remove(p)
		return nil, fmt.Errorf("image cache: %s is corrupt (removed): %w", p, fs.ErrInvalid)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("image cache: %w", err)
	}
	touch(p)
	return f, nil
}

// PutStream writes r to the entry for h, verifying the digest before the
// entry appears, and returns the number of bytes written.
func (c *Cache) PutStream(h v1.Hash, r io.Reader) (int64, error) {
	f, n, err := c.store(h, -1, r)
	if err == nil {
		f.Close()
	}
	return n, err
}

// Store writes r, of size bytes, to the entry for h, as PutStream does,
// and returns the entry open at its start: the file whose content was
// just verified, not a second opening of its name. It reads at most one
// byte more than size: a registry that streams without end (no
// Content-Length) fills no disk.
func (c *Cache) Store(h v1.Hash, size int64, r io.Reader) (io.ReadCloser, error) {
	if size < 0 {
		return nil, fmt.Errorf("content of %s has no size", h)
	}
	f, _, err := c.store(h, size, r)
	return f, err
}

// store reads r (at most max+1 bytes when max is not negative) into the
// entry for h.
func (c *Cache) store(h v1.Hash, max int64, r io.Reader) (*os.File, int64, error) {
	p, ok := c.path(h)
	if !ok {
		return nil, 0, fmt.Errorf("image cache: %s is not a sha256 digest", h)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return nil, 0, fmt.Errorf("image cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if max >= 0 {
		r = io.LimitReader(r, max+1)
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum), r)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		var pe *fs.PathError
		if errors.As(err, &pe) { // the disk's, not the content's
			err = fmt.Errorf("image cache: %w", err)
		}
		return nil, n, err
	}
	if max >= 0 && n != max {
		tmp.Close()
		if n > max {
			return nil, n, fmt.Errorf("content of %s is over the %d bytes its descriptor states", h, max)
		}
		return nil, n, fmt.Errorf("content of %s has %d bytes, its descriptor states %d", h, n, max)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != h.Hex {
		tmp.Close()
		return nil, n, fmt.Errorf("content has digest sha256:%s, not %s", got, h)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		tmp.Close()
		return nil, n, fmt.Errorf("image cache: %w", err)
	}
	c.stored(p, n)
	return tmp, n, nil
}
