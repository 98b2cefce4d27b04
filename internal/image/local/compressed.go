package local

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

// Bounds on a compressed archive once decompressed. A docker save tarball
// gzipped as a CI artifact decompresses to 2 to 5 times its size; 100
// times is content that is mostly zeros, or a bomb. The floor lets a small
// image of any content through; the ceiling bounds the disk and the time
// (about a minute of gzip) whatever the input.
const (
	decompressRatio = 100
	minDecompressed = 1 << 30
	maxDecompressed = 16 << 30
	// zstd's own command refuses frames whose window is over 128 MiB
	// unless told otherwise (--memory): the decoder's memory is bounded
	// as the tool's.
	maxZstdWindow = 128 << 20
)

// Options bound what reading a local source may cost.
type Options struct {
	// MaxDecompressedBytes bounds a compressed archive once decompressed
	// (0: 100 times its compressed size, at least 1 GiB, at most 16 GiB).
	MaxDecompressedBytes int64
}

// decompressLimit is the bound on an archive of compressed bytes, and how
// it was set, for messages.
func (o Options) decompressLimit(compressed int64) (int64, string) {
	if o.MaxDecompressedBytes > 0 {
		return o.MaxDecompressedBytes, "the limit set"
	}
	if compressed > maxDecompressed/decompressRatio {
		return maxDecompressed, "the limit of 16 GiB"
	}
	if n := compressed * decompressRatio; n > minDecompressed {
		return n, fmt.Sprintf("the limit of %d times its compressed size", decompressRatio)
	}
	return minDecompressed, "the limit of 1 GiB for an archive under 10 MiB compressed"
}

// compression names the compression of a stream that starts with magic,
// as docker load detects it (moby's archive/compression.Detect: gzip,
// bzip2, xz, zstd, a zstd stream possibly starting with a skippable
// frame), and opens a reader of it; "" when it is none of them, no opener
// for xz.
func compression(magic []byte) (string, func(io.Reader) (io.ReadCloser, error)) {
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b, 0x08}):
		return "gzip", func(r io.Reader) (io.ReadCloser, error) { return gzip.NewReader(r) }
	case len(magic) >= 4 && bytes.HasPrefix(magic, []byte("BZh")) && magic[3] >= '1' && magic[3] <= '9':
		return "bzip2", func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(bzip2.NewReader(r)), nil }
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		// Known, and refused: an xz stream states its own dictionary
		// size, up to 4 GiB, and the Go decoders (ulikunitz/xz) allocate
		// it with no cap, so a small hostile file would take gigabytes of
		// memory. gzip's window is 32 KiB, bzip2's blocks 900 kB, and
		// zstd's window is capped below.
		return "xz", nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}),
		len(magic) >= 4 && magic[0]&0xf0 == 0x50 && bytes.Equal(magic[1:4], []byte{0x2a, 0x4d, 0x18}):
		return "zstd", func(r io.Reader) (io.ReadCloser, error) {
			d, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(maxZstdWindow))
			if err != nil {
				return nil, err
			}
			return d.IOReadCloser(), nil
		}
	}
	return "", nil
}

// decompress writes the stream r, compressed with kind, into a private
// temporary file (mode 0600, in TMPDIR), at most limit bytes of it, and
// returns that file open at its start and its size. The caller removes it.
func decompress(where string, r io.Reader, kind string, open func(io.Reader) (io.ReadCloser, error), limit int64, why string) (*os.File, int64, error) {
	dec, err := open(r)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: damaged %s stream: %w", where, kind, err)
	}
	defer dec.Close()
	tmp, err := os.CreateTemp("", "kubeward-archive-*.tar")
	if err != nil {
		return nil, 0, fmt.Errorf("%s: a %s-compressed archive is decompressed into a temporary file: set TMPDIR to a writable directory: %w", where, kind, err)
	}
	fail := func(err error) (*os.File, int64, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, 0, err
	}
	w := &tempWriter{f: tmp}
	n, err := io.Copy(w, io.LimitReader(dec, limit+1))
	switch {
	case w.err != nil:
		return fail(fmt.Errorf("%s: decompressing into %s (set TMPDIR to a directory with room for the archive decompressed): %w", where, tmp.Name(), w.err))
	case err != nil:
		return fail(fmt.Errorf("%s: damaged %s stream after %d bytes: %w", where, kind, n, err))
	case n > limit:
		return fail(fmt.Errorf("%s: decompresses to more than %d bytes, %s (a bomb, or an archive to decompress first: a plain tar is read whatever its size)", where, limit, why))
	case n == 0:
		return fail(fmt.Errorf("%s: the %s stream holds nothing: not a tar archive, or an empty one", where, kind))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("%s: %w", where, err))
	}
	return tmp, n, nil
}

// tempWriter keeps the error of a write, to tell a full or read-only
// temporary directory from a damaged stream.
type tempWriter struct {
	f   *os.File
	err error
}

func (w *tempWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}
