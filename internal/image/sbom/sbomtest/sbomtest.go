// Package sbomtest builds container images for tests with
// go-containerregistry: layers holding a dpkg status database, an apk
// installed database, a package-lock.json, a Go binary built by the test,
// real installed artefacts of other ecosystems (LanguageLayer), and
// whiteouts; and validates the SBOMs written of them against the formats'
// official JSON schemas.
package sbomtest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one file of a layer. A nil Data with Whiteout set deletes the
// path from lower layers (an OCI whiteout, .wh.<name>).
type File struct {
	Data     []byte
	Mode     int64
	Whiteout bool
}

// Layer makes an uncompressed-tar layer of the files (path -> file).
func Layer(t testing.TB, files map[string]File) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f := files[name]
		for d := filepath.Dir(name); d != "." && d != "/" && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
		if f.Whiteout {
			name = filepath.Join(filepath.Dir(name), ".wh."+filepath.Base(name))
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Image stacks the layers on an empty image.
func Image(t testing.TB, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// OSRelease is an /etc/os-release.
func OSRelease(id, versionID, codename string) File {
	s := fmt.Sprintf("ID=%s\nVERSION_ID=%q\n", id, versionID)
	if codename != "" {
		s += "VERSION_CODENAME=" + codename + "\n"
	}
	return File{Data: []byte(s)}
}

// Deb is one installed Debian package.
type Deb struct{ Name, Source, Version string }

// DpkgStatus is a /var/lib/dpkg/status listing the packages as installed.
func DpkgStatus(pkgs ...Deb) File {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 100\n"+
			"Maintainer: Debian <debian@example.org>\nArchitecture: amd64\n", p.Name)
		if p.Source != "" && p.Source != p.Name {
			fmt.Fprintf(&b, "Source: %s\n", p.Source)
		}
		fmt.Fprintf(&b, "Version: %s\nDescription: %s\n test package\n\n", p.Version, p.Name)
	}
	return File{Data: []byte(b.String())}
}

// APK is one installed Alpine package; License is its L: field (MIT when
// empty).
type APK struct{ Name, Origin, Version, License string }

// APKInstalled is a /lib/apk/db/installed listing the packages.
func APKInstalled(pkgs ...APK) File {
	var b strings.Builder
	for _, p := range pkgs {
		if p.License == "" {
			p.License = "MIT"
		}
		fmt.Fprintf(&b, "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:%s\nV:%s\nA:x86_64\nS:100\nI:200\nT:%s\nU:https://example.org\nL:%s\no:%s\nm:Alpine <alpine@example.org>\nt:1700000000\nc:0000000000000000000000000000000000000000\n\n",
			p.Name, p.Version, p.Name, p.License, p.Origin)
	}
	return File{Data: []byte(b.String())}
}

// PackageLock is a lockfileVersion 3 package-lock.json of an app with the
// dependencies (name -> version) installed under node_modules.
func PackageLock(deps map[string]string) File {
	var b strings.Builder
	b.WriteString(`{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"app","version":"1.0.0"}`)
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		fmt.Fprintf(&b, `,"node_modules/%s":{"version":%q,"resolved":"https://registry.npmjs.org/%s/-/x.tgz","integrity":"sha512-AAAA"}`, name, deps[name], name)
	}
	b.WriteString("}}\n")
	return File{Data: []byte(b.String())}
}

// GoBinary builds a tiny Go program whose build info records the module
// dependency (path, version) through a vendor directory, so the build needs
// no network and no module cache. The binary's Go version is the
// toolchain's (runtime.Version of the go command on PATH).
func GoBinary(t testing.TB, depPath, depVersion string) File {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", fmt.Sprintf("module example.com/app\n\ngo 1.22\n\nrequire %s %s\n", depPath, depVersion))
	write("main.go", fmt.Sprintf("package main\n\nimport dep %q\n\nfunc main() { dep.Hello() }\n", depPath))
	write("vendor/modules.txt", fmt.Sprintf("# %s %s\n## explicit\n%s\n", depPath, depVersion, depPath))
	write(filepath.Join("vendor", depPath, "dep.go"), "package dep\n\nfunc Hello() {}\n")
	out := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-mod=vendor", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=vendor", "GOPROXY=off", "GOWORK=off", "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return File{Data: data, Mode: 0o755}
}

// GoVersion is the version of the go command the binaries are built with,
// without "go" ("1.26.8").
func GoVersion(t testing.TB) string {
	t.Helper()
	b, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(strings.TrimSpace(string(b)), "go")
}
