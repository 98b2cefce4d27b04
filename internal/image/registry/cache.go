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

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Cache is a content-addressed store on disk: blobs/sha256/<hex>. Content
// named by its digest cannot change, so an entry never expires; a file
// whose content does not match its name (a disk error, tampering) is
// removed and fetched again. Writes go to a temporary file renamed into
// place, so concurrent runs sharing the directory never read half a file.
type Cache struct {
	dir string
}

// OpenCache creates the directory (mode 0700: pull credentials are not
// stored, but what private images hold is nobody else's business).
func OpenCache(dir string) (*Cache, error) {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return nil, fmt.Errorf("image cache: %w", err)
	}
	return &Cache{dir: dir}, nil
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
	return tmp, n, nil
}
