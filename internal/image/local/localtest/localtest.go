// Package localtest writes images as the tools that build them leave them
// on disk, for tests: an OCI image layout (layout.Write), the same layout
// as a tar (an OCI archive), a docker save tarball (tarball.Write), and
// either archive compressed as CI keeps it (docker save IMAGE | gzip).
package localtest

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// RefName is the org.opencontainers.image.ref.name annotation.
const RefName = "org.opencontainers.image.ref.name"

// Layout writes an OCI image layout in dir holding each image under its
// reference name (the annotation skopeo and buildah write), in the order
// of the names, and returns dir.
func Layout(t testing.TB, dir string, images map[string]v1.Image) string {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range slices.Sorted(maps.Keys(images)) {
		if err := p.AppendImage(images[ref], layout.WithAnnotations(map[string]string{RefName: ref})); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// LayoutIndex writes an OCI image layout holding one multi-platform index.
func LayoutIndex(t testing.TB, dir string, idx v1.ImageIndex) string {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Index is a multi-platform index of the images, by platform.
func Index(t testing.TB, images map[string]v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for plat, img := range images {
		p, err := v1.ParsePlatform(plat)
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: p}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

// Archive writes the directory dir as a tar at file: an OCI archive when
// dir is a layout.
func Archive(t testing.TB, dir, file string) string {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return file
}

// DockerSave writes a docker save tarball of the images by tag at file.
func DockerSave(t testing.TB, file string, images map[string]v1.Image) string {
	t.Helper()
	refs := map[name.Reference]v1.Image{}
	for tag, img := range images {
		ref, err := name.NewTag(tag)
		if err != nil {
			t.Fatal(err)
		}
		refs[ref] = img
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := tarball.MultiRefWrite(refs, f); err != nil {
		t.Fatal(err)
	}
	return file
}

// Compressions are the compressions of docker load's that kubeward reads
// an archive in: all but xz, which it refuses.
func Compressions() []string { return []string{"gzip", "bzip2", "zstd"} }

// Compress writes file compressed with kind (one of Compressions(), or xz) beside
// it, named with the usual extension, and returns that name. bzip2 is the
// bzip2 command's (the Go standard library only reads it); without the
// command the test is skipped, or fails when CI is set.
func Compress(t testing.TB, file, kind string) string {
	t.Helper()
	in, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ext := map[string]string{"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}[kind]
	if ext == "" {
		t.Fatalf("no compression %q", kind)
	}
	out, err := os.Create(file + ext)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var w io.WriteCloser
	switch kind {
	case "gzip":
		w = gzip.NewWriter(out)
	case "xz":
		w, err = xz.NewWriter(out)
	case "zstd":
		w, err = zstd.NewWriter(out)
	case "bzip2":
		if _, err := exec.LookPath("bzip2"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("bzip2 compresses the test archive: %v", err)
			}
			t.Skipf("bzip2 compresses the test archive: %v", err)
		}
		cmd := exec.Command("bzip2", "-c")
		cmd.Stdin, cmd.Stdout = in, out
		if err := cmd.Run(); err != nil {
			t.Fatalf("bzip2: %v", err)
		}
		return out.Name()
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Name()
}
