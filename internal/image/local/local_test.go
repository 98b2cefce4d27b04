package local

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/kubeward/kubeward/internal/image/local/localtest"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
)

func testImage(t testing.TB, pkgs map[string]string) v1.Image {
	return sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":        sbomtest.OSRelease("alpine", "3.19.1", ""),
		"lib/apk/db/installed":  sbomtest.APKInstalled(sbomtest.APK{Name: "busybox", Origin: "busybox", Version: "1.36.1-r9"}),
		"app/package-lock.json": sbomtest.PackageLock(pkgs),
	}))
}

func purls(t *testing.T, img v1.Image) []string {
	t.Helper()
	l, err := sbom.FromImage(t.Context(), img, sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range l.Packages {
		out = append(out, p.PURL().String())
	}
	return out
}

func digest(t *testing.T, img interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func open(t *testing.T, spec string, platform v1.Platform) *Image {
	t.Helper()
	img, err := Open(spec, platform)
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

// TestOpenForms: an image written as an OCI layout, an OCI archive and a
// docker save tarball reads back as the same image (digest, packages), and
// one of several is chosen by name, digest or platform.
func TestOpenForms(t *testing.T) {
	dir := t.TempDir()
	app, other := testImage(t, map[string]string{"lodash": "4.17.20"}), testImage(t, map[string]string{"minimist": "1.2.5"})
	want := purls(t, app)
	if len(want) != 2 {
		t.Fatalf("the test image lists %v", want)
	}
	lay := localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": app, "ghcr.io/acme/other:2": other})
	arch := localtest.Archive(t, lay, filepath.Join(dir, "oci.tar"))
	saved := localtest.DockerSave(t, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": app})
	cfg, err := app.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ spec, ref string }{
		{"oci-dir:" + lay + ":1.0", ""},
		{"oci-archive:" + arch + ":1.0", ""},
		{"docker-archive:" + saved, "ghcr.io/acme/app:1.0"},
		{"docker-archive:" + saved + ":ghcr.io/acme/app:1.0", "ghcr.io/acme/app:1.0"},
		{"docker-archive:" + saved + "@" + cfg.String(), "ghcr.io/acme/app:1.0"},
	} {
		img := open(t, tc.spec, v1.Platform{})
		if got := purls(t, img.Image); !slices.Equal(got, want) || img.Reference != tc.ref {
			t.Errorf("%s: packages %v, reference %q; want %v, %q", tc.spec, got, img.Reference, want, tc.ref)
		}
		// docker save keeps the layers uncompressed: another manifest.
		if strings.HasPrefix(tc.spec, "oci") && img.Digest != digest(t, app) {
			t.Errorf("%s: digest %s, want %s", tc.spec, img.Digest, digest(t, app))
		}
	}
	if img := open(t, "oci-dir:"+lay+"@"+digest(t, other).String(), v1.Platform{}); img.Reference != "ghcr.io/acme/other:2" || img.Digest != digest(t, other) {
		t.Errorf("by digest: %q %s", img.Reference, img.Digest)
	}
	for spec, msg := range map[string]string{
		"oci-dir:" + lay:          "holds 2 images (1.0, ghcr.io/acme/other:2)",
		"oci-dir:" + lay + ":2.0": "holds no image named 2.0",
		"oci-archive:" + arch + "@sha256:" + strings.Repeat("0", 64): "holds no image named sha256:",
		"docker-archive:" + saved + ":acme/nope:1":                   "holds no image tagged acme/nope:1",
		"oci-dir:" + saved:                      "not a directory",
		"oci-archive:" + saved:                  "not an OCI archive: it holds no index.json",
		"docker-archive:" + arch:                "no \"manifest.json\" in the archive",
		"oci-dir:" + filepath.Join(dir, "nope"): "no such file",
		"oci-dir:" + lay + "@sha256:12":         "not a digest",
	} {
		if _, err := Open(spec, v1.Platform{}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", spec, err, msg)
		}
	}

	// A multi-platform index: the platform's image; the digest is the index's.
	arm := testImage(t, map[string]string{"left-pad": "1.3.0"})
	idx := localtest.Index(t, map[string]v1.Image{"linux/amd64": app, "linux/arm64": arm})
	multi := localtest.LayoutIndex(t, filepath.Join(dir, "multi"), idx)
	img := open(t, "oci-dir:"+multi, v1.Platform{OS: "linux", Architecture: "arm64"})
	if img.Digest != digest(t, idx) || digest(t, img.Image) != digest(t, arm) {
		t.Errorf("arm64 of the index: %s, image %s", img.Digest, digest(t, img.Image))
	}
	if img := open(t, "oci-dir:"+multi, v1.Platform{}); digest(t, img.Image) != digest(t, app) {
		t.Errorf("default platform: image %s, want linux/amd64's", digest(t, img.Image))
	}
	if _, err := Open("oci-dir:"+multi, v1.Platform{OS: "linux", Architecture: "s390x"}); err == nil || !strings.Contains(err.Error(), "no image for linux/s390x") {
		t.Errorf("absent platform: %v", err)
	}
}

// tarOf writes entries as a tar.
func tarOf(t *testing.T, file string, entries ...tar.Header) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		body := h.Linkname
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeDir {
			body = ""
		} else {
			h.Linkname = ""
		}
		h.Size = int64(len(body))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestOpenHostile: archives and layouts that try to escape, explode, hang
// or confuse are refused with a message naming the file, or read without
// harm.
func TestOpenHostile(t *testing.T) {
	dir, tmp := withTempDir(t)
	app := testImage(t, map[string]string{"lodash": "4.17.20"})
	lay := localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": app})

	// Path traversal in an OCI archive: entries outside the layout's names
	// are not written anywhere; the image still reads.
	escape := filepath.Join(dir, "oci", "..", "escaped")
	arch := localtest.Archive(t, lay, filepath.Join(dir, "trav.tar"))
	b, _ := os.ReadFile(arch)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"../../escaped", "/escaped", "blobs/sha256/../../../escaped", "../tmp/escaped"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
		tw.Write([]byte("x"))
	}
	tw.Flush()
	// The hostile entries first, then the layout (its end-of-archive kept).
	if err := os.WriteFile(arch, append(buf.Bytes(), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	if img, err := Open("oci-archive:"+arch, v1.Platform{}); err != nil || digest(t, img.Image) != digest(t, app) {
		t.Errorf("traversal entries: %v", err)
	} else {
		img.Close()
	}
	for _, p := range []string{escape, filepath.Join(dir, "escaped"), filepath.Join(tmp, "escaped"), "/escaped"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	if left := tempFiles(t, tmp); len(left) != 0 {
		t.Errorf("the unpacked archive was left in %s: %v", tmp, left)
	}

	// A blob that is a symbolic link (to /etc/passwd) in an OCI archive.
	h := digest(t, app)
	link := tarOf(t, filepath.Join(dir, "link.tar"),
		tar.Header{Name: "oci-layout", Linkname: `{"imageLayoutVersion":"1.0.0"}`, Typeflag: tar.TypeReg, Mode: 0o644},
		tar.Header{Name: "index.json", Linkname: `{"schemaVersion":2,"manifests":[]}`, Typeflag: tar.TypeReg, Mode: 0o644},
		tar.Header{Name: "blobs/sha256/" + h.Hex, Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink, Mode: 0o777})
	if _, err := Open("oci-archive:"+link, v1.Platform{}); err == nil || !strings.Contains(err.Error(), "not a regular file in the archive") {
		t.Errorf("symlinked blob: %v", err)
	}
	// docker save: manifest.json links out of the archive.
	outLink := tarOf(t, filepath.Join(dir, "outlink.tar"), tar.Header{Name: "manifest.json", Linkname: "../../../etc/passwd", Typeflag: tar.TypeSymlink, Mode: 0o777})
	if _, err := Open("docker-archive:"+outLink, v1.Platform{}); err == nil || !strings.Contains(err.Error(), `no "../../../etc/passwd" in the archive`) {
		t.Errorf("manifest.json linked out: %v", err)
	}

	// A bomb: an entry that claims a terabyte (a sparse file) in a 1 KiB archive.
	buf.Reset()
	tw = tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: 1 << 40, Typeflag: tar.TypeReg})
	bomb := filepath.Join(dir, "bomb.tar")
	os.WriteFile(bomb, append(buf.Bytes(), make([]byte, 1024)...), 0o600)
	for _, scheme := range []string{"docker-archive:", "oci-archive:"} {
		if _, err := Open(scheme+bomb, v1.Platform{}); err == nil || !strings.Contains(err.Error(), "claims 1099511627776 bytes, more than the archive holds") {
			t.Errorf("%s bomb: %v", scheme, err)
		}
	}
	// manifest.json over the limit.
	big := tarOf(t, filepath.Join(dir, "big.tar"), tar.Header{Name: "manifest.json", Linkname: "[" + strings.Repeat(" ", 5<<20) + "]", Typeflag: tar.TypeReg, Mode: 0o644})
	if _, err := Open("docker-archive:"+big, v1.Platform{}); err == nil || !strings.Contains(err.Error(), "over the 4194304 limit") {
		t.Errorf("huge manifest.json: %v", err)
	}
	// No image at all.
	none := tarOf(t, filepath.Join(dir, "none.tar"), tar.Header{Name: "manifest.json", Linkname: "[]", Typeflag: tar.TypeReg, Mode: 0o644})
	if _, err := Open("docker-archive:"+none, v1.Platform{}); !errors.Is(err, ErrNoImage) {
		t.Errorf("empty manifest.json: %v", err)
	}
	if _, err := layout.Write(filepath.Join(dir, "empty"), empty.Index); err != nil {
		t.Fatal(err)
	}
	if _, err := Open("oci-dir:"+filepath.Join(dir, "empty"), v1.Platform{}); !errors.Is(err, ErrNoImage) {
		t.Errorf("empty layout: %v", err)
	}

	// Not a tar (plain or compressed), an empty file, a device, a directory.
	text := filepath.Join(dir, "text.tar")
	os.WriteFile(text, bytes.Repeat([]byte("not a tar\n"), 100), 0o600)
	gzf := localtest.Compress(t, text, "gzip")
	emptyFile := filepath.Join(dir, "empty.tar")
	os.WriteFile(emptyFile, nil, 0o600)
	for spec, msg := range map[string]string{
		"docker-archive:" + text:      "not a tar archive",
		"oci-archive:" + text:         "not a tar archive",
		"oci-archive:" + gzf:          "not a tar archive",
		"docker-archive:" + emptyFile: "not a tar archive, or an empty one",
		"docker-archive:/dev/zero":    "/dev/zero: not a regular file",
		"oci-archive:/dev/null":       "/dev/null: not a regular file",
		"docker-archive:" + lay:       "not a regular file",
	} {
		if _, err := Open(spec, v1.Platform{}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", spec, err, msg)
		}
	}

	// A layout whose index.json is a device, or too large.
	dev := filepath.Join(dir, "dev")
	os.Mkdir(dev, 0o700)
	os.Symlink("/dev/zero", filepath.Join(dev, "index.json"))
	huge := filepath.Join(dir, "huge")
	os.Mkdir(huge, 0o700)
	os.WriteFile(filepath.Join(huge, "index.json"), make([]byte, 5<<20), 0o600)
	for spec, msg := range map[string]string{"oci-dir:" + dev: "not a regular file", "oci-dir:" + huge: "over the 4194304 limit"} {
		if _, err := Open(spec, v1.Platform{}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: %v, want %q", spec, err, msg)
		}
	}
}

func TestParse(t *testing.T) {
	for spec, want := range map[string]Source{
		"oci-dir:build/oci":                                        {Scheme: OCIDir, Path: "build/oci"},
		"oci-dir:build/oci:1.0":                                    {Scheme: OCIDir, Path: "build/oci", Name: "1.0"},
		"oci-archive:app.tar:ghcr.io/a/b:1.0":                      {Scheme: OCIArchive, Path: "app.tar", Name: "ghcr.io/a/b:1.0"},
		"docker-archive:app.tar@sha256:" + strings.Repeat("a", 64): {Scheme: DockerArchive, Path: "app.tar", Digest: "sha256:" + strings.Repeat("a", 64)},
		"oci-dir:with:colon":                                       {Scheme: OCIDir, Path: "with:colon"}, // exists
	} {
		got, err := Parse(spec, func(p string) bool { return p == "with:colon" })
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", spec, got, err)
		}
	}
	for _, bad := range []string{"oci-dir:", "oci-dir::1.0", "oci-dir:x:", "docker:x", "ghcr.io/a/b:1", "oci-dir:x@sha256:zz"} {
		if _, err := Parse(bad, nil); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"oci-dir:build/oci", "oci-archive:a.tar:1.0", "docker-archive:a.tar@sha256:" + strings.Repeat("a", 64), "oci-dir:x:y:z@w", "docker-archive:@", "oci-dir:::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec, nil)
		if err != nil {
			return
		}
		if s.Path == "" || !IsLocal(spec) {
			t.Fatalf("%q parsed to %+v", spec, s)
		}
		if again, err := Parse(s.String(), nil); err != nil || again != s {
			t.Fatalf("%q: %+v does not read back (%+v, %v)", spec, s, again, err)
		}
	})
}
