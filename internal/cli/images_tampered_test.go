package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// TestImagesLayerReplacedWithoutCache: with no image cache (no user cache
// directory, no images.registry.cache), a registry that serves another
// layer than the manifest names (one listing libssl3 at the fixed
// version, hiding the vulnerable one, followed by bytes a tar reader
// never reaches) is caught before the layer is judged: the image's
// vulnerabilities are "not judged" (a critical finding, exit 1), not
// clean; its SBOM is an error, not a document. Nothing is left in the
// temporary directory.
func TestImagesLayerReplacedWithoutCache(t *testing.T) {
	reg := registrytest.New(t)
	reg.DockerConfig(t)
	t.Setenv("HOME", "") // no user cache directory: no image cache
	t.Setenv("XDG_CACHE_HOME", "")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	debian := func(version string) v1.Layer {
		return sbomtest.Layer(t, map[string]sbomtest.File{
			"etc/os-release":      sbomtest.OSRelease("debian", "12", "bookworm"),
			"var/lib/dpkg/status": sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: version}),
		})
	}
	layer := debian("3.0.11-1~deb12u2")
	reg.Push(t, "acme/app:good", sbomtest.Image(t, layer))
	reg.Push(t, "acme/app:bad", sbomtest.Image(t, layer, sbomtest.Layer(t, map[string]sbomtest.File{"app/README": {Data: []byte("app")}})))
	rc, err := debian("3.0.13-1~deb12u1").Compressed()
	if err != nil {
		t.Fatal(err)
	}
	lie, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	h, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join(dir, "osv")
	osvtest.DB(t, db, map[string][]byte{"Debian": osvtest.Archive(t,
		`{"id":"DEBIAN-CVE-2024-0001","upstream":["CVE-2024-0001"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`)})
	ca := reg.CAFile(t)
	cfg := writeTestFile(t, dir, "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  registry: {caFile: "+ca+"}\n  vulnerabilities: {db: {dir: "+db+"}}\n")
	good, bad := reg.Host+"/acme/app:good", reg.Host+"/acme/app:bad"
	noLeak := func() {
		t.Helper()
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("left in the temporary directory: %v", left)
		}
	}

	// Before the registry lies, the image is judged from a layer verified
	// in a private temporary directory.
	rep := checkImages(t, ExitFindings, "--config", cfg, good)
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "CVE-2024-0001") {
		t.Fatalf("good image: %+v", rep.Findings)
	}
	noLeak()

	reg.Tamper(h, append(lie, bytes.Repeat([]byte{0}, 64<<10)...))
	rep = checkImages(t, ExitFindings, "--config", cfg, bad)
	if len(rep.Findings) != 1 || rep.Findings[0].Severity != "critical" ||
		!strings.Contains(rep.Findings[0].Message, "were not judged") || !strings.Contains(rep.Findings[0].Message, h.String()) {
		t.Fatalf("replaced layer: %+v", rep.Findings)
	}
	noLeak()
	code, stdout, stderr := runCLI(t, "images", "sbom", bad, "--registry-ca", ca)
	if code != ExitError || !strings.Contains(stderr, h.String()) || strings.Contains(stdout, "libssl3") {
		t.Fatalf("images sbom of the replaced layer: exit %d\n%s\n%s", code, stderr, stdout)
	}
	noLeak()

	// With no writable temporary directory the layer would be verified in
	// memory (internal/image/registry's tests), but osv-scalibr cannot
	// unpack an image without a file of its own there: not judged, never
	// clean, and the message says what to do.
	t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
	for _, ref := range []string{good, bad} {
		rep := checkImages(t, ExitFindings, "--config", cfg, ref)
		if len(rep.Findings) != 1 || rep.Findings[0].Severity != "critical" || !strings.Contains(rep.Findings[0].Message, "were not judged") ||
			!strings.Contains(rep.Findings[0].Message, "TMPDIR") {
			t.Errorf("%s, no temporary directory: %+v", ref, rep.Findings)
		}
	}
}
