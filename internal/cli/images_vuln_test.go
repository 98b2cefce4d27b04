package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// TestImagesSBOM reads an image from a registry behind TLS and basic
// authentication (credentials from the Docker configuration, as after
// docker login) and writes both SBOM formats, which validate against the
// formats' official schemas and read back as SBOM attestation predicates.
func TestImagesSBOM(t *testing.T) {
	reg := registrytest.New(t)
	reg.DockerConfig(t)
	img := alpineAppImage(t)
	d := reg.Push(t, "acme/app:1.0", img)
	ca := reg.CAFile(t)
	out := filepath.Join(t.TempDir(), "app.cdx.json")
	code, stdout, stderr := runCLI(t, "images", "sbom", reg.Host+"/acme/app:1.0", "--registry-ca", ca, "-o", "spdx", "-o", "cyclonedx="+out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc["spdxVersion"] != "SPDX-2.3" {
		t.Fatalf("SPDX on stdout: %v\n%s", err, stdout)
	}
	if !strings.Contains(stdout, d.DigestStr()) || !strings.Contains(stdout, "pkg:apk/alpine/busybox@1.36.1-r9") || !strings.Contains(stdout, "pkg:npm/lodash@4.17.20") {
		t.Errorf("the SPDX document lacks the digest or a package:\n%s", stdout)
	}
	cdx, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for typ, body := range map[string][]byte{sbom.PredicateSPDX: []byte(stdout), sbom.PredicateCycloneDX: cdx} {
		sbomtest.ValidateSchema(t, body)
		l, err := sbom.FromPredicate(t.Context(), typ, body)
		if err != nil || len(l.Packages) != 2 {
			t.Errorf("%s read back: %v, %d packages", typ, err, len(l.Packages))
		}
	}

	// Without the registry's CA the TLS handshake fails: an error, exit 2.
	if code, _, stderr := runCLI(t, "images", "sbom", reg.Host+"/acme/app:1.0"); code != 2 || !strings.Contains(stderr, "certificate") {
		t.Errorf("untrusted registry: exit %d, %s", code, stderr)
	}
	// A tag that is not there, a reference that is not one, a format that is not one.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{reg.Host + "/acme/app:nope", "--registry-ca", ca}, "no such tag"},
		{[]string{"Not A Reference"}, "not an image reference"},
		{[]string{reg.Host + "/acme/app:1.0", "-o", "swid"}, "-o"},
		{[]string{reg.Host + "/acme/app:1.0", "--registry-ca", "/dev/zero"}, "limit"},
	} {
		if code, _, stderr := runCLI(t, append([]string{"images", "sbom"}, tc.args...)...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, stderr)
		}
	}
}

func TestImagesDB(t *testing.T) {
	srv := osvtest.Serve(t, map[string][]byte{
		"Debian": osvtest.Archive(t, `{"id":"DEBIAN-CVE-2024-1","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1-1"}]}]}]}`),
		"npm":    osvtest.Archive(t, `{"id":"GHSA-x","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`),
	})
	dir := filepath.Join(t.TempDir(), "osv")
	t.Chdir(t.TempDir()) // no configuration file
	code, stdout, stderr := runCLI(t, "images", "db", "update", "--vuln-db", dir, "--remote-host", srv.URL, "--ecosystem", "Debian,npm")
	if code != 0 || !strings.Contains(stdout, "Debian") || !strings.Contains(stdout, "fetched") {
		t.Fatalf("update: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Without --ecosystem, the ecosystems present are refreshed: unchanged.
	code, stdout, stderr = runCLI(t, "images", "db", "update", "--vuln-db", dir, "--remote-host", srv.URL, "-o", "json")
	var res struct {
		Dir        string
		Ecosystems []struct {
			Ecosystem string
			Unchanged bool
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); code != 0 || err != nil || len(res.Ecosystems) != 2 || !res.Ecosystems[0].Unchanged || res.Dir != dir {
		t.Fatalf("second update: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "images", "db", "status", "--vuln-db", dir)
	if code != 0 || !strings.Contains(stdout, "Debian") || !strings.Contains(stdout, srv.URL+"/npm/all.zip") {
		t.Errorf("status: exit %d\n%s", code, stdout)
	}
	// The configuration names the directory, the mirror and the ecosystems.
	other := filepath.Join(t.TempDir(), "osv")
	cfg := writeTestFile(t, t.TempDir(), "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities:\n    db: {dir: "+other+", remoteHost: "+srv.URL+", ecosystems: [npm]}\n")
	if code, stdout, stderr := runCLI(t, "images", "db", "update", "--config", cfg); code != 0 || !strings.Contains(stdout, "npm") || strings.Contains(stdout, "Debian") {
		t.Errorf("update from the configuration: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "npm", "all.zip")); err != nil {
		t.Error(err)
	}
	// Failures: an ecosystem the server lacks; a database that is not there.
	if code, _, stderr := runCLI(t, "images", "db", "update", "--vuln-db", dir, "--remote-host", srv.URL, "--ecosystem", "Nope"); code != 2 || !strings.Contains(stderr, "404") {
		t.Errorf("missing ecosystem: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "images", "db", "status", "--vuln-db", filepath.Join(dir, "nope")); code != 2 || !strings.Contains(stderr, "kubeward images db update") {
		t.Errorf("status of nothing: exit %d, %s", code, stderr)
	}
}

// TestScanVulnerabilitiesNotRun: a configuration that asks for known
// vulnerabilities makes image-vulnerable active; a scan without registry
// access reports it as not run, never as passed.
func TestScanVulnerabilitiesNotRun(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTestFile(t, dir, "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities: {failOn: critical}\n")
	pod := writeTestFile(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: 'ghcr.io/acme/app:1.0'}]\n")
	_, stdout, stderr := runCLI(t, "scan", "--config", cfg, "-o", "json", pod)
	var res struct {
		Coverage []struct{ Check, Reason string }
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	found := false
	for _, g := range res.Coverage {
		found = found || (g.Check == "image-vulnerable" && strings.Contains(g.Reason, "registry access is off"))
	}
	if !found {
		t.Errorf("image-vulnerable is not reported as not run: %+v", res.Coverage)
	}
	// Without the section (and without --vuln-db) it is not asked for.
	plain := writeTestFile(t, dir, "plain.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\n")
	_, stdout, _ = runCLI(t, "scan", "--config", plain, "-o", "json", pod)
	if strings.Contains(stdout, `"image-vulnerable"`) {
		t.Errorf("image-vulnerable reported without being asked:\n%s", stdout)
	}
}

func TestVulnerabilityAnalysis(t *testing.T) {
	opts := check.DefaultOptions()
	empty := foundConfig{file: &config.File{}}
	an, gap, err := vulnerabilityAnalysis(empty, vulnDBFlags{dir: t.TempDir()}, opts)
	if err != nil || an != nil || !strings.Contains(gap, "no vulnerability database") || opts.Vulnerabilities == nil {
		t.Errorf("without a database: %v %q %v %v", an, gap, err, opts.Vulnerabilities)
	}
	dir := t.TempDir()
	osvtest.DB(t, dir, map[string][]byte{"npm": osvtest.Archive(t, `{"id":"GHSA-x","affected":[{"package":{"ecosystem":"npm","name":"lodash"}}]}`)})
	if an, gap, err := vulnerabilityAnalysis(empty, vulnDBFlags{dir: dir}, check.DefaultOptions()); err != nil || an == nil || gap != "" {
		t.Errorf("with a database: %v %q %v", an, gap, err)
	}
}

// TestImagesResolveVulnerabilities: images --resolve matches each image's
// packages against the database it is given, and says when there is none.
func TestImagesResolveVulnerabilities(t *testing.T) {
	reg := registrytest.New(t)
	reg.DockerConfig(t)
	img := sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"app/package-lock.json": sbomtest.PackageLock(map[string]string{"lodash": "4.17.20"}),
	}))
	reg.Push(t, "acme/app:1.0", img)
	dir := t.TempDir()
	cfg := writeTestFile(t, dir, "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  registry: {caFile: "+reg.CAFile(t)+", cache: cache}\n")
	pod := writeTestFile(t, dir, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers:\n  - name: app\n    image: "+reg.Host+"/acme/app:1.0\n")
	db := filepath.Join(dir, "osv")
	osvtest.DB(t, db, map[string][]byte{"npm": osvtest.Archive(t, `{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`)})

	code, out, stderr := runCLI(t, "images", "--config", cfg, "--resolve", "--vuln-db", db, "-o", "json", pod)
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		Images []struct {
			Facts struct {
				Analyses map[string]struct {
					Value struct {
						Findings []struct{ ID, Installed, Fixed string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Images) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	fs := got.Images[0].Facts.Analyses["vulnerabilities"].Value.Findings
	if len(fs) != 1 || fs[0].ID != "GHSA-35jh-r3h4-6jhm" || fs[0].Installed != "4.17.20" || fs[0].Fixed != "4.17.21" {
		t.Errorf("findings = %+v\n%s", fs, out)
	}
	if code, out, stderr := runCLI(t, "images", "--config", cfg, "--resolve", "--vuln-db", db, pod); code != ExitClean || !strings.Contains(out, "1 advisory (") {
		t.Errorf("table: exit %d\n%s%s", code, out, stderr)
	}
	// Without a database the listing goes on, and says what it left out.
	code, out, stderr = runCLI(t, "images", "--config", cfg, "--resolve", "--vuln-db", t.TempDir(), pod)
	if code != ExitClean || !strings.Contains(stderr, "known vulnerabilities not run: no vulnerability database") || strings.Contains(out, "advisor") {
		t.Errorf("no database: exit %d\n%s%s", code, out, stderr)
	}
}
