package local

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kubeward/kubeward/internal/image/local/localtest"
	"github.com/kubeward/kubeward/internal/image/sbom"
)

// uncompressedImage is testImage with its layer stored as a plain tar
// (what docker save writes), so that a byte of a file in it can be
// changed in place, and MODE=aaaa in its configuration.
func uncompressedImage(t *testing.T) v1.Image {
	t.Helper()
	rc, err := testImage(t, map[string]string{"lodash": "4.17.20"}).Layers()
	if err != nil {
		t.Fatal(err)
	}
	r, err := rc[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(withMode(t), static.NewLayer(data, types.OCIUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func withMode(t *testing.T) v1.Image {
	t.Helper()
	img, err := mutate.Config(empty.Image, v1.Config{Env: []string{"MODE=aaaa"}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// patch replaces old by new (of the same length) in the one file under
// root that holds it: a blob changed after it was written.
func patch(t *testing.T, root, old, new string) {
	t.Helper()
	found := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if n := bytes.Count(b, []byte(old)); n > 0 {
			found += n
			return os.WriteFile(p, bytes.ReplaceAll(b, []byte(old), []byte(new)), 0o600)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found != 1 {
		t.Fatalf("%q found %d times under %s, want once", old, found, root)
	}
}

// TestTampered changes one byte of a layer, or of the configuration, of
// each kind of source after it was written (an archive also compressed
// after the change): reading it fails, naming the source and the blob,
// instead of judging other content under the image's digest.
func TestTampered(t *testing.T) {
	img := uncompressedImage(t)
	if got := purls(t, img); !strings.Contains(strings.Join(got, " "), "lodash@4.17.20") {
		t.Fatalf("the untouched image lists %v", got)
	}
	for _, blob := range []struct{ what, old, new string }{
		{"layer", `"4.17.20"`, `"4.17.21"`},
		{"configuration", "MODE=aaaa", "MODE=bbbb"},
	} {
		for _, scheme := range Schemes {
			t.Run(scheme+"/"+blob.what, func(t *testing.T) {
				dir := t.TempDir()
				var spec string
				switch scheme {
				case OCIDir:
					spec = OCIDir + ":" + localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": img})
					patch(t, filepath.Join(dir, "oci", "blobs"), blob.old, blob.new)
				case OCIArchive:
					lay := localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": img})
					arch := filepath.Join(dir, "tar", "oci.tar")
					os.Mkdir(filepath.Dir(arch), 0o700)
					spec = OCIArchive + ":" + localtest.Archive(t, lay, arch)
					patch(t, filepath.Dir(arch), blob.old, blob.new)
				default:
					saved := filepath.Join(dir, "tar", "saved.tar")
					os.Mkdir(filepath.Dir(saved), 0o700)
					spec = DockerArchive + ":" + localtest.DockerSave(t, saved, map[string]v1.Image{"ghcr.io/acme/app:1.0": img})
					patch(t, filepath.Dir(saved), blob.old, blob.new)
				}
				// A compressed archive is verified as strongly as the plain one.
				specs := []string{spec}
				if scheme != OCIDir {
					for _, kind := range localtest.Compressions() {
						specs = append(specs, scheme+":"+localtest.Compress(t, strings.TrimPrefix(spec, scheme+":"), kind))
					}
				}
				for _, spec := range specs {
					li, err := Open(spec, v1.Platform{})
					if err == nil {
						defer li.Close()
						var l *sbom.List
						l, err = sbom.FromImage(t.Context(), li.Image, sbom.Options{})
						if err == nil {
							t.Fatalf("%s with a changed %s read: %v", spec, blob.what, l.Packages)
						}
					}
					if msg := err.Error(); !strings.Contains(msg, scheme+":") || !strings.Contains(msg, blob.what+" sha256:") || !strings.Contains(msg, "changed") {
						t.Errorf("%s: %v, want the source, the %s's digest and that it was changed", spec, err, blob.what)
					}
				}
			})
		}
	}
}
