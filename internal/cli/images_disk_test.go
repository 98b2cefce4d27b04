package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// TestImagesCheckMaxImageSize: an image larger than the bound on the
// bytes unpacked to list its packages (images.maxImageSize, or
// --max-image-size) is not judged, a critical finding that names the
// bound and the setting that raises it, never a pass; nothing is left in
// the temporary directory. Within the bound the same image is judged.
func TestImagesCheckMaxImageSize(t *testing.T) {
	reg := registrytest.New(t)
	reg.DockerConfig(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	img := sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":      sbomtest.OSRelease("debian", "12", "bookworm"),
		"var/lib/dpkg/status": sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: "3.0.11-1~deb12u2"}),
		"opt/data":            {Data: make([]byte, 2<<20)},
	}))
	reg.Push(t, "acme/big:1", img)
	dir := t.TempDir()
	db := filepath.Join(dir, "osv")
	osvtest.DB(t, db, map[string][]byte{"Debian": osvtest.Archive(t,
		`{"id":"DEBIAN-CVE-2024-0001","upstream":["CVE-2024-0001"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`)})
	config := func(extra string) string {
		return writeTestFile(t, dir, "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  registry: {caFile: "+reg.CAFile(t)+", cache: "+filepath.Join(dir, "cache")+"}\n  vulnerabilities: {db: {dir: "+db+"}}\n"+extra)
	}
	ref := reg.Host + "/acme/big:1"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"flag", []string{"--config", config(""), "--max-image-size", "1Mi", ref}},
		{"configuration file", []string{"--config", config("  maxImageSize: 1Mi\n"), ref}},
	} {
		rep := checkImages(t, ExitFindings, tc.args...)
		if len(rep.Findings) != 1 || rep.Findings[0].Severity != "critical" {
			t.Fatalf("%s: %+v", tc.name, rep.Findings)
		}
		msg := rep.Findings[0].Message
		for _, want := range []string{"were not judged", "more than 1Mi", "images.maxImageSize", "--max-image-size"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: message %q does not say %q", tc.name, msg, want)
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: left in the temporary directory: %v", tc.name, left)
		}
	}
	rep := checkImages(t, ExitFindings, "--config", config("  maxImageSize: 1Mi\n"), "--max-image-size", "4Mi", ref)
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "CVE-2024-0001") {
		t.Errorf("within the bound the flag sets: %+v", rep.Findings)
	}
	if code, _, stderr := runCLI(t, "images", "check", "--config", config(""), "--max-image-size", "big", ref); code != ExitError || !strings.Contains(stderr, "--max-image-size") {
		t.Errorf("a size that does not parse: exit %d\n%s", code, stderr)
	}
}
