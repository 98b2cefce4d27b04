package cli

// The repository's Dockerfile, built for real by buildah (no Docker engine
// needed) from base images served by a registry in the test process, and
// its result judged: the image's config and files, then kubeward's own scan
// of the chart running it.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
	"github.com/kubeward/kubeward/internal/kubetest"
)

// buildah finds Debian's buildah: the Dockerfile test skips without it
// when CI is unset and fails when it is set (.ci/run installs it).
func buildah(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("buildah"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("buildah is not installed (.ci/run installs Debian's buildah): the Dockerfile is unbuilt")
	}
	t.Skip("buildah is not installed: apt-get install buildah")
	return ""
}

// TestDockerfileImageScansClean builds the Dockerfile as written, with
// buildah in chroot isolation. Its FROM images come from the registry in
// the test process (CI reaches neither Docker Hub nor gcr.io): a builder
// made of this machine's Go toolchain where golang:1.26 has it, and a base
// with what gcr.io/distroless/static-debian12:nonroot holds (passwd and
// group with nonroot 65532, CA certificates, os-release, /tmp, no shell).
// Modules come from this machine's module cache (GOPROXY=off) and compiled
// packages from its build cache, both mounted into the build.
//
// The built image runs as 65532, holds no shell, and its one executable is
// static and runs; the chart with its defaults, pointed at the image by
// digest, scans clean with every check, image checks and known
// vulnerabilities included.
func TestDockerfileImageScansClean(t *testing.T) {
	kubetest.SkipIfShort(t)
	bud := buildah(t)
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the test's builder image is this machine's Go toolchain: %s/%s, not linux/amd64", runtime.GOOS, runtime.GOARCH)
	}
	start := time.Now()
	root := repoRoot(t)
	reg := registrytest.New(t)
	goImage := reg.Push(t, "mirror/golang:1.26", builderImage(t))
	baseImage := reg.Push(t, "mirror/distroless/static-debian12:nonroot", staticBaseImage(t))

	// GOPROXY=off in the build: the cache must hold every module it needs,
	// which is what `go mod download` here (through the proxy) makes sure of.
	goOutput(t, root, "mod", "download")
	modCache, buildCache := goOutput(t, root, "env", "GOMODCACHE"), goOutput(t, root, "env", "GOCACHE")

	work := t.TempDir()
	certs := filepath.Join(work, "certs")
	if err := os.Mkdir(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(reg.CAFile(t), filepath.Join(certs, "ca.crt")); err != nil {
		t.Fatal(err)
	}
	policy := writeTestFile(t, work, "policy.json", `{"default":[{"type":"insecureAcceptAnything"}]}`)
	// Neither the machine's registries.conf nor its storage.conf is used.
	t.Setenv("CONTAINERS_REGISTRIES_CONF", writeTestFile(t, work, "registries.conf", ""))
	t.Setenv("CONTAINERS_STORAGE_CONF", writeTestFile(t, work, "storage.conf", ""))
	storage := []string{"--root", filepath.Join(work, "storage"), "--runroot", filepath.Join(work, "run"), "--storage-driver", "vfs"}
	registry := []string{"--signature-policy", policy, "--cert-dir", certs, "--creds", registrytest.User + ":" + registrytest.Password}
	t.Cleanup(func() {
		// vfs storage holds files owned by other users and read-only
		// directories: buildah removes what it made.
		_ = exec.Command(bud, append(storage, "rm", "--all")...).Run()
		_ = exec.Command(bud, append(storage, "rmi", "--all", "--force")...).Run()
	})

	const tag = "kubeward/kubeward:0.1.0"
	args := append(append([]string{}, storage...), "bud", "--isolation", "chroot", "--pull-always")
	args = append(args, registry...)
	args = append(args, "--build-arg", "GO_IMAGE="+goImage.String(), "--build-arg", "BASE_IMAGE="+baseImage.String(),
		"--build-arg", "GOPROXY=off",
		"-v", modCache+":/go/pkg/mod:ro", "-v", buildCache+":/root/.cache/go-build",
		"-t", tag, root)
	runTool(t, bud, args...)
	digestFile := filepath.Join(work, "digest")
	args = append(append([]string{}, storage...), "push", "--digestfile", digestFile)
	runTool(t, bud, append(append(args, registry...), tag, "docker://"+reg.Host+"/"+tag)...)
	digest, err := os.ReadFile(digestFile)
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Ref(t, tag).Context().Digest(strings.TrimSpace(string(digest)))
	t.Logf("built and pushed %s in %s", ref, time.Since(start).Round(time.Second))

	img, err := remote.Image(ref, reg.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	checkKubewardImage(t, img)

	// The chart with its defaults, but the image pinned to what was built.
	db := filepath.Join(work, "osv")
	osvtest.DB(t, db, map[string][]byte{"Go": osvtest.Archive(t,
		// Advisories for what the binary holds, fixed long before the
		// versions it has: looked up, and not affecting it.
		`{"id":"GO-0000-0001","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.1"}]}]}]}`,
		`{"id":"GO-0000-0002","affected":[{"package":{"ecosystem":"Go","name":"github.com/spf13/cobra"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.0.2"}]}]}]}`)})
	cfg := writeTestFile(t, work, "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  registry: {caFile: "+filepath.Join(certs, "ca.crt")+", cache: cache}\n")
	reg.DockerConfig(t)
	set := "image.repository=" + ref.Context().String() + ",image.digest=" + ref.DigestStr()
	code, stderr, r := scanImages(t, "--config", cfg, "--images", "--vuln-db", db, "--set", set, kubewardChartDir(t))
	var findings []string
	for _, f := range r.Findings {
		if !f.Suppressed { // the chart's own reasoned exceptions stay
			findings = append(findings, f.Check+" "+f.Object.Name+": "+f.Message)
		}
	}
	if code != ExitClean || len(findings) != 0 || len(r.Coverage) != 0 {
		t.Errorf("scan --images of the chart running the built image: exit %d, findings %q, coverage %+v\n%s", code, findings, r.Coverage, stderr)
	}
	// The vulnerability analysis read the binary's modules, not nothing.
	code, out, stderr := runCLI(t, "images", "--config", cfg, "--resolve", "--vuln-db", db, "--set", set, "-o", "json", kubewardChartDir(t))
	var listing struct {
		Images []struct {
			Facts struct {
				Digest   string
				Analyses map[string]struct {
					Value struct {
						Packages, Matched int
						Findings          []json.RawMessage
						Missing           map[string]int
					}
					Error string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &listing); err != nil || code != ExitClean || len(listing.Images) != 1 {
		t.Fatalf("images: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	facts := listing.Images[0].Facts
	vulns := facts.Analyses["vulnerabilities"]
	if facts.Digest != ref.DigestStr() || vulns.Error != "" || vulns.Value.Matched < 20 || len(vulns.Value.Findings) != 0 || len(vulns.Value.Missing) != 0 {
		t.Errorf("images: digest %s, vulnerabilities %+v", facts.Digest, vulns)
	}
	t.Logf("the image's %d packages looked up (%d matched against the fixture database), in %s in all", vulns.Value.Packages, vulns.Value.Matched, time.Since(start).Round(time.Second))
}

// checkKubewardImage: the image runs /usr/local/bin/kubeward as uid 65532; no
// file is a shell or set-uid; the binary is static and runs.
func checkKubewardImage(t *testing.T, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	const exe = "usr/local/bin/kubeward"
	// Numeric, so that the kubelet can enforce runAsNonRoot.
	if uid, _, _ := strings.Cut(cf.Config.User, ":"); uid != "65532" || strings.Join(cf.Config.Entrypoint, " ") != "/"+exe || cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("config: user %q, entrypoint %q, platform %s/%s", cf.Config.User, cf.Config.Entrypoint, cf.OS, cf.Architecture)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	var binary []byte
	var others []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		switch base := path.Base(name); {
		case isShell(base):
			t.Errorf("the image holds a shell: /%s", name)
		case h.Mode&0o6000 != 0:
			t.Errorf("set-uid or set-gid: /%s", name)
		case h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 && name != exe:
			others = append(others, "/"+name)
		}
		if name == exe {
			if binary, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(others) > 0 {
		t.Errorf("%d executables besides kubeward: %s", len(others), strings.Join(others[:min(len(others), 10)], " "))
	}
	if binary == nil {
		t.Fatalf("no /%s in the image", exe)
	}
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%s)", p.Type)
		}
	}
	bin := filepath.Join(t.TempDir(), "kubeward")
	if err := os.WriteFile(bin, binary, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.Contains(string(out), "kubeward") {
		t.Errorf("the image's kubeward version: %v\n%s", err, out)
	}
}

func isShell(base string) bool {
	switch base {
	case "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "toybox":
		return true
	}
	return false
}

// builderImage stands in for golang:1.26: this machine's GOROOT at
// /usr/local/go, root's passwd entry (HOME=/root), /tmp, and the image's
// environment. It has no shell: the Dockerfile's RUN steps need none.
func builderImage(t *testing.T) v1.Image {
	t.Helper()
	goroot := goOutput(t, ".", "env", "GOROOT")
	layer := gzipLayer(t, func(tw *tar.Writer) {
		tarDirs(t, tw, 0, 0o755, "etc", "root", "go", "usr", "usr/local")
		tarDirs(t, tw, 0, 0o1777, "tmp")
		tarFile(t, tw, "etc/passwd", 0, 0o644, "root:x:0:0:root:/root:/sbin/nologin\n")
		tarFile(t, tw, "etc/group", 0, 0o644, "root:x:0:\n")
		// The test suite and documents are not needed to build.
		tarTree(t, tw, goroot, "usr/local/go", "test", "doc", "misc")
	})
	return imageOf(t, layer, v1.Config{Env: []string{
		"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"GOLANG_VERSION=" + strings.TrimPrefix(runtime.Version(), "go"), "GOTOOLCHAIN=local", "GOPATH=/go",
	}, WorkingDir: "/go"})
}

// staticBaseImage stands in for gcr.io/distroless/static-debian12:nonroot,
// with its users, groups, directories and config.
func staticBaseImage(t *testing.T) v1.Image {
	t.Helper()
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Fatalf("the base image's CA certificates come from this machine's: %v", err)
	}
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	layer := gzipLayer(t, func(tw *tar.Writer) {
		tarDirs(t, tw, 0, 0o755, "etc", "etc/ssl", "etc/ssl/certs", "home", "root", "usr", "usr/lib", "var")
		tarDirs(t, tw, 0, 0o1777, "tmp")
		tarDirs(t, tw, 65532, 0o700, "home/nonroot")
		tarFile(t, tw, "etc/passwd", 0, 0o644, "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
		tarFile(t, tw, "etc/group", 0, 0o644, "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n")
		tarFile(t, tw, "etc/ssl/certs/ca-certificates.crt", 0, 0o644, string(certs))
		tarFile(t, tw, "usr/lib/os-release", 0, 0o644, string(osRelease))
		if err := tw.WriteHeader(&tar.Header{Name: "etc/os-release", Typeflag: tar.TypeSymlink, Linkname: "../usr/lib/os-release", Mode: 0o777}); err != nil {
			t.Fatal(err)
		}
	})
	return imageOf(t, layer, v1.Config{User: "65532", WorkingDir: "/home/nonroot", Env: []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
	}})
}

func imageOf(t *testing.T, layer v1.Layer, cfg v1.Config) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", runtime.GOARCH, cfg
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// gzipLayer writes a layer once, compressed fast, to a file it is read
// back from (go-containerregistry does not compress it again).
func gzipLayer(t *testing.T, write func(*tar.Writer)) v1.Layer {
	t.Helper()
	name := filepath.Join(t.TempDir(), "layer.tar.gz")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	write(tw)
	for _, c := range []io.Closer{tw, zw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	l, err := tarball.LayerFromFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func tarDirs(t *testing.T, tw *tar.Writer, uid int, mode int64, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n + "/", Typeflag: tar.TypeDir, Mode: mode, Uid: uid, Gid: uid}); err != nil {
			t.Fatal(err)
		}
	}
}

func tarFile(t *testing.T, tw *tar.Writer, name string, uid int, mode int64, data string) {
	t.Helper()
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode, Uid: uid, Gid: uid, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(tw, data); err != nil {
		t.Fatal(err)
	}
}

// tarTree writes the directory src under dst, root-owned, leaving out the
// top-level entries skip.
func tarTree(t *testing.T, tw *tar.Writer, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		for _, s := range skip {
			if rel == s {
				return filepath.SkipDir
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		if d.Type()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name = path.Join(dst, filepath.ToSlash(rel))
		if d.IsDir() {
			h.Name += "/"
		}
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		t.Fatalf("copy %s into the layer: %v", src, err)
	}
}

// goOutput runs this machine's go in dir and returns its trimmed output.
func goOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// runTool runs a command, failing the test with its output.
func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, lastBytes(out.String(), 8000))
	}
}

func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("...%s", s[len(s)-n:])
}
