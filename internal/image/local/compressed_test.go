package local

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/local/localtest"
)

// withTempDir gives the test a directory, and a temporary directory of its
// own (TMPDIR) in it, to see what reading leaves there.
func withTempDir(t *testing.T) (dir, tmp string) {
	t.Helper()
	dir = t.TempDir()
	tmp = filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	return dir, tmp
}

// tempFiles lists what reading left in the temporary directory dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestOpenCompressed: an OCI archive and a docker save tarball compressed
// as docker load accepts them (gzip, bzip2, zstd; known by their bytes,
// whatever the file is named) read as the same image as the plain archive
// (digest, reference, packages). The decompressed copy is a private file
// in TMPDIR, gone once the image is closed (an OCI archive's as soon as it
// is unpacked).
func TestOpenCompressed(t *testing.T) {
	dir, tmp := withTempDir(t)
	app := testImage(t, map[string]string{"lodash": "4.17.20"})
	lay := localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": app})
	plain := map[string]string{
		OCIArchive:    localtest.Archive(t, lay, filepath.Join(dir, "oci.tar")),
		DockerArchive: localtest.DockerSave(t, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": app}),
	}
	for _, scheme := range []string{OCIArchive, DockerArchive} {
		want, err := Open(scheme+":"+plain[scheme], v1.Platform{})
		if err != nil {
			t.Fatal(err)
		}
		wantPurls := purls(t, want.Image)
		want.Close()
		for _, kind := range localtest.Compressions() {
			// Named .tar: the bytes tell the compression, not the name.
			file := filepath.Join(dir, kind+"-"+scheme+".tar")
			if err := os.Rename(localtest.Compress(t, plain[scheme], kind), file); err != nil {
				t.Fatal(err)
			}
			spec := scheme + ":" + file
			img, err := Open(spec, v1.Platform{})
			if err != nil {
				t.Errorf("%s: %v", spec, err)
				continue
			}
			if img.Digest != want.Digest || img.Reference != want.Reference || !slices.Equal(purls(t, img.Image), wantPurls) {
				t.Errorf("%s: digest %s, reference %q, packages %v; the plain archive: %s, %q, %v", spec, img.Digest, img.Reference, purls(t, img.Image), want.Digest, want.Reference, wantPurls)
			}
			left := tempFiles(t, tmp)
			if scheme == DockerArchive {
				// Its layers are read from the decompressed copy until closed.
				if len(left) != 1 || !strings.HasPrefix(left[0], "kubeward-archive-") {
					t.Errorf("%s: the temporary directory holds %v, want the decompressed copy", spec, left)
				} else if st, err := os.Stat(filepath.Join(tmp, left[0])); err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("%s: the decompressed copy: %v %v, want mode 0600", spec, st.Mode(), err)
				}
			} else if slices.ContainsFunc(left, func(n string) bool { return strings.HasPrefix(n, "kubeward-archive-") }) {
				t.Errorf("%s: the decompressed copy was kept once unpacked: %v", spec, left)
			}
			if err := img.Close(); err != nil {
				t.Errorf("%s: close: %v", spec, err)
			}
			if left := tempFiles(t, tmp); len(left) != 0 {
				t.Errorf("%s: left in the temporary directory once closed: %v", spec, left)
			}
		}
	}
	// Choosing one image of several works the same.
	gz := localtest.Compress(t, plain[DockerArchive], "gzip")
	cfg, err := app.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{DockerArchive + ":" + gz + ":ghcr.io/acme/app:1.0", DockerArchive + ":" + gz + "@" + cfg.String()} {
		if img := open(t, spec, v1.Platform{}); img.Reference != "ghcr.io/acme/app:1.0" {
			t.Errorf("%s: reference %q", spec, img.Reference)
		}
	}
}

// TestOpenXZRefused: an xz-compressed archive, which docker load takes, is
// refused before it is decompressed, saying why and what to do: the xz
// decoder would allocate the dictionary the stream states, up to 4 GiB.
// Nothing is left in the temporary directory.
func TestOpenXZRefused(t *testing.T) {
	dir, tmp := withTempDir(t)
	app := testImage(t, map[string]string{"lodash": "4.17.20"})
	saved := localtest.DockerSave(t, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": app})
	xz := localtest.Compress(t, saved, "xz")
	for _, scheme := range []string{OCIArchive, DockerArchive} {
		_, err := Open(scheme+":"+xz, v1.Platform{})
		if err == nil || !strings.Contains(err.Error(), "compressed with xz, which is not read") || !strings.Contains(err.Error(), "xz -d") {
			t.Errorf("%s: %v", scheme, err)
		}
	}
	if left := tempFiles(t, tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}

// TestOpenCompressedHostile: a decompression bomb stops at the bound,
// naming it, with nothing left behind; a truncated or damaged stream, an
// empty one and a temporary directory that cannot be written are errors
// that say so.
func TestOpenCompressedHostile(t *testing.T) {
	dir, tmp := withTempDir(t)
	zeros := filepath.Join(dir, "zeros")
	if err := os.WriteFile(zeros, make([]byte, 8<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	app := testImage(t, map[string]string{"lodash": "4.17.20"})
	saved := localtest.DockerSave(t, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": app})
	plain, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range localtest.Compressions() {
		// 8 MiB of zeros against a bound of 1 MiB: a few KiB that would
		// decompress past it.
		bomb := localtest.Compress(t, zeros, kind)
		for _, scheme := range []string{OCIArchive, DockerArchive} {
			_, err := OpenWith(scheme+":"+bomb, v1.Platform{}, Options{MaxDecompressedBytes: 1 << 20})
			if err == nil || !strings.Contains(err.Error(), "decompresses to more than 1048576 bytes, the limit set") {
				t.Errorf("%s %s bomb: %v", scheme, kind, err)
			}
		}
		// The same archive within a bound it fits in reads.
		gz := localtest.Compress(t, saved, kind)
		if img, err := OpenWith(DockerArchive+":"+gz, v1.Platform{}, Options{MaxDecompressedBytes: int64(len(plain))}); err != nil {
			t.Errorf("%s archive within the bound: %v", kind, err)
		} else {
			img.Close()
		}
		if _, err := OpenWith(DockerArchive+":"+gz, v1.Platform{}, Options{MaxDecompressedBytes: int64(len(plain)) - 1}); err == nil || !strings.Contains(err.Error(), "the limit set") {
			t.Errorf("%s archive a byte over the bound: %v", kind, err)
		}

		// Truncated, or a run of bytes changed in the middle of the stream.
		comp, err := os.ReadFile(gz)
		if err != nil {
			t.Fatal(err)
		}
		cut := filepath.Join(dir, "cut."+kind)
		os.WriteFile(cut, comp[:len(comp)/2], 0o600)
		if _, err := Open(DockerArchive+":"+cut, v1.Platform{}); err == nil || !strings.Contains(err.Error(), "damaged "+kind+" stream") {
			t.Errorf("truncated %s: %v", kind, err)
		}
		bad := slices.Clone(comp)
		for i := len(bad) / 2; i < len(bad)/2+64; i++ {
			bad[i] ^= 0x55
		}
		corrupt := filepath.Join(dir, "corrupt."+kind)
		os.WriteFile(corrupt, bad, 0o600)
		for _, scheme := range []string{OCIArchive, DockerArchive} {
			if img, err := Open(scheme+":"+corrupt, v1.Platform{}); err == nil {
				img.Close()
				t.Errorf("%s: damaged %s read", scheme, kind)
			}
		}
		// Nothing compressed.
		empty := filepath.Join(dir, "empty")
		os.WriteFile(empty, nil, 0o600)
		if _, err := Open(DockerArchive+":"+localtest.Compress(t, empty, kind), v1.Platform{}); err == nil || !strings.Contains(err.Error(), "holds nothing") {
			t.Errorf("empty %s stream: %v", kind, err)
		}
	}
	if left := tempFiles(t, tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}

	// The default bound grows with the archive, within 1 and 16 GiB.
	for compressed, want := range map[int64]int64{0: 1 << 30, 1 << 20: 1 << 30, 100 << 20: 100 * 100 << 20, 1 << 30: 16 << 30, 1 << 62: 16 << 30} {
		if got, _ := (Options{}).decompressLimit(compressed); got != want {
			t.Errorf("bound on %d compressed bytes: %d, want %d", compressed, got, want)
		}
	}

	// A temporary directory that is not there (or cannot be written).
	gz := localtest.Compress(t, saved, "gzip")
	t.Setenv("TMPDIR", filepath.Join(dir, "nope"))
	if _, err := Open(DockerArchive+":"+gz, v1.Platform{}); err == nil || !strings.Contains(err.Error(), "set TMPDIR to a writable directory") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no temporary directory: %v", err)
	}
}
