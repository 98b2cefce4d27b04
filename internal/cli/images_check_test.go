package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/local/localtest"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// checkReport is what images check -o json says, as the tests read it.
type checkReport struct {
	Findings []struct {
		Check, Severity, Message, Image string
		Object                          struct{ Kind, Name string }
		Suppressed                      bool
	}
	Gaps []gapJSON
}

// failing counts the findings no suppression passed.
func (r checkReport) failing() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Suppressed {
			n++
		}
	}
	return n
}

type gapJSON struct {
	ID, Reason string
}

func checkImages(t *testing.T, wantCode int, args ...string) checkReport {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"images", "check", "-o", "json"}, args...)...)
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != wantCode {
		t.Fatalf("%v: exit %d (want %d), %v\n%s\n%s", args, code, wantCode, err, out, stderr)
	}
	return rep
}

// TestImagesCheck judges an image built in the test (a Go binary whose
// build info names golang.org/x/image v0.17.0, which the real advisory
// GO-2024-2937 affects) from the in-process registry and from the three
// local forms CI builds leave (the archives also gzipped): each gives the
// same findings, under the same
// policy and exit codes; a clean image passes; what cannot be judged is
// exit 2.
func TestImagesCheck(t *testing.T) {
	reg := registrytest.New(t)
	reg.DockerConfig(t)
	build := func(version string) v1.Image {
		return sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
			"etc/os-release":       sbomtest.OSRelease("alpine", "3.19.1", ""),
			"lib/apk/db/installed": sbomtest.APKInstalled(sbomtest.APK{Name: "busybox", Origin: "busybox", Version: "1.36.1-r9"}),
			"usr/local/bin/app":    sbomtest.GoBinary(t, "golang.org/x/image", version),
		}))
	}
	vulnerable, clean := build("v0.17.0"), build("v0.18.0")
	dir := t.TempDir()
	t.Chdir(dir) // no configuration file
	db := filepath.Join(dir, "osv")
	osvtest.DB(t, db, map[string][]byte{
		"Go":     osvtest.Archive(t, osvtest.Real(t, "GO-2024-2937", "GHSA-9phm-fm57-rhg8")...),
		"Alpine": osvtest.Archive(t, osvtest.Real(t, "ALPINE-CVE-2026-80255")...),
	})
	cfg := writeTestFile(t, dir, "kubeward.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  registry: {caFile: "+reg.CAFile(t)+", cache: cache}\n  vulnerabilities: {db: {dir: "+db+"}}\n")
	reg.Push(t, "acme/app:1.0", vulnerable)
	reg.Push(t, "acme/app:clean", clean)
	lay := localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"1.0": vulnerable, "clean": clean})
	arch := localtest.Archive(t, lay, filepath.Join(dir, "oci.tar"))
	saved := localtest.DockerSave(t, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"acme/app:1.0": vulnerable})

	remote := reg.Host + "/acme/app:1.0"
	want := checkImages(t, ExitFindings, "--config", cfg, remote)
	if len(want.Findings) != 1 || want.Findings[0].Check != "image-vulnerable" || want.Findings[0].Severity != "high" ||
		!strings.Contains(want.Findings[0].Message, "CVE-2024-24792") || !strings.Contains(want.Findings[0].Message, "golang.org/x/image 0.17.0") ||
		want.Findings[0].Object.Kind != "Image" || want.Findings[0].Object.Name != remote || strings.Contains(want.Findings[0].Message, "container") {
		t.Fatalf("registry image: %+v", want.Findings)
	}
	// docker save IMAGE | gzip, as CI keeps images: the same findings.
	gzArch, gzSaved := localtest.Compress(t, arch, "gzip"), localtest.Compress(t, saved, "gzip")
	for _, src := range []string{"oci-dir:" + lay + ":1.0", "oci-archive:" + arch + ":1.0", "docker-archive:" + saved, "oci-archive:" + gzArch + ":1.0", "docker-archive:" + gzSaved} {
		got := checkImages(t, ExitFindings, "--config", cfg, src)
		if len(got.Findings) != 1 || got.Findings[0].Image != src ||
			strings.ReplaceAll(got.Findings[0].Message, src, remote) != want.Findings[0].Message {
			t.Errorf("%s: %+v\nwant %+v", src, got.Findings, want.Findings)
		}
	}
	// Several at once: each image is its own object.
	both := checkImages(t, ExitFindings, "--config", cfg, remote, "oci-dir:"+lay+":clean", reg.Host+"/acme/app:clean")
	if len(both.Findings) != 1 || both.Findings[0].Object.Name != remote {
		t.Errorf("three images: %+v", both.Findings)
	}
	// Clean images pass; the policy's gate and exceptions are scan's.
	checkImages(t, ExitClean, "--config", cfg, "oci-archive:"+arch+":clean", reg.Host+"/acme/app:clean")
	checkImages(t, ExitClean, "--config", cfg, "--fail-on", "critical", "oci-dir:"+lay+":1.0")
	excepted := writeTestFile(t, dir, "except.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities:\n    db: {dir: "+db+"}\n    exceptions:\n    - {id: CVE-2024-24792, package: golang.org/x/image, reason: no TIFF decoding}\n")
	if rep := checkImages(t, ExitClean, "--config", excepted, "docker-archive:"+saved); len(rep.Findings) != 0 {
		t.Errorf("excepted: %+v", rep.Findings)
	}
	// --name: the layout's reference name "1.0" is only a tag, so the
	// image names no repository and what is keyed by one (a vulnerability
	// exception, a VEX statement, a suppression by image) does not match
	// it until --name says what it will be pushed as. The finding stays on
	// the source read; its image is the name.
	src := "oci-dir:" + lay + ":1.0"
	pushed := "ghcr.io/acme/app:1.4"
	writeTestFile(t, dir, "app.openvex.json", `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://acme.example/vex/1",
  "author": "Acme", "timestamp": "2026-01-02T00:00:00Z", "version": 1,
  "statements": [{"vulnerability": {"name": "CVE-2024-24792"}, "products": [{"@id": "ghcr.io/acme/app"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}`)
	head := "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities:\n    db: {dir: " + db + "}\n"
	for what, cfg := range map[string]string{
		"exception":   head + "    exceptions:\n    - {id: CVE-2024-24792, image: ghcr.io/acme/app, reason: no TIFF decoding}\n",
		"VEX":         head + "    vex: [app.openvex.json]\n",
		"suppression": head + "suppressions:\n- {check: image-vulnerable, image: 'ghcr.io/acme/**', reason: no TIFF decoding}\n",
	} {
		file := writeTestFile(t, dir, "named-"+strings.ToLower(what)+".yaml", cfg)
		if rep := checkImages(t, ExitFindings, "--config", file, src); rep.failing() != 1 || rep.Findings[0].Image != src {
			t.Errorf("%s keyed by the repository, no --name: %+v", what, rep.Findings)
		}
		if rep := checkImages(t, ExitClean, "--config", file, "--name", pushed, src); rep.failing() != 0 {
			t.Errorf("%s keyed by the repository, --name %s: %+v", what, pushed, rep.Findings)
		}
	}
	named := checkImages(t, ExitFindings, "--config", cfg, "--name", pushed, src)
	if len(named.Findings) != 1 || named.Findings[0].Object.Kind != "Image" || named.Findings[0].Object.Name != src ||
		named.Findings[0].Image != pushed || !strings.Contains(named.Findings[0].Message, "CVE-2024-24792") {
		t.Errorf("--name %s: %+v", pushed, named.Findings)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", pushed, reg.Host + "/acme/app:1.0"}, "is read from its registry"},
		{[]string{"--name", pushed, src, "oci-dir:" + lay + ":clean"}, "2 images were given"},
		{[]string{"--name", "ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64), src}, "has a digest"},
		{[]string{"--name", "Not A Name", src}, "is not a REPOSITORY[:TAG]"},
	} {
		commands := [][]string{{"images", "check", "--config", cfg}}
		if len(tc.args) == 3 { // one image: images sbom refuses the same --name (cobra refuses two images)
			commands = append(commands, []string{"images", "sbom"})
		}
		for _, cmd := range commands {
			if code, _, stderr := runCLI(t, append(slices.Clip(cmd), tc.args...)...); code != ExitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("%v %v: exit %d, %s", cmd, tc.args, code, stderr)
			}
		}
	}

	// The formats of scan.
	if code, out, _ := runCLI(t, "images", "check", "--config", cfg, "-o", "sarif", "oci-dir:"+lay+":1.0"); code != ExitFindings || !strings.Contains(out, `"ruleId": "image-vulnerable"`) {
		t.Errorf("sarif: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "images", "check", "--config", cfg, "oci-dir:"+lay+":1.0"); code != ExitFindings || !strings.Contains(out, "Image/oci-dir:") || !strings.Contains(out, "GO-2024-2937") {
		t.Errorf("table: exit %d\n%s", code, out)
	}

	// An image policy: a registry image is judged (unsigned), a local one
	// is reported as not checked, never as passed.
	key := sigtest.NewKey(t).Write(t, dir, "cosign.pub")
	signed := writeTestFile(t, dir, "signed.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  registry: {caFile: "+reg.CAFile(t)+"}\n  vulnerabilities: {db: {dir: "+db+"}}\n  policies:\n  - {name: release, images: ['**'], signers: [{key: "+key+"}], transparencyLog: false}\n")
	if rep := checkImages(t, ExitFindings, "--config", signed, reg.Host+"/acme/app:clean"); len(rep.Findings) != 1 || rep.Findings[0].Check != "image-unsigned" {
		t.Errorf("registry image under a policy: %+v", rep.Findings)
	}
	rep := checkImages(t, ExitClean, "--config", signed, "oci-dir:"+lay+":clean")
	if len(rep.Findings) != 0 || !slices.ContainsFunc(rep.Gaps, func(g gapJSON) bool {
		return g.ID == "image-signatures" && strings.Contains(g.Reason, "were not checked")
	}) {
		t.Errorf("local image under a policy: %+v", rep)
	}
	checkImages(t, ExitFindings, "--config", signed, "--fail-on-incomplete", "oci-dir:"+lay+":clean")
	// A policy over another repository: an image that names none may be
	// under it (a gap); one named by --name is not.
	other := writeTestFile(t, dir, "other.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  vulnerabilities: {db: {dir: "+db+"}}\n  policies:\n  - {name: other, images: ['ghcr.io/other/**'], signers: [{key: "+key+"}], transparencyLog: false}\n")
	checkImages(t, ExitFindings, "--config", other, "--fail-on-incomplete", "oci-dir:"+lay+":clean")
	if rep := checkImages(t, ExitClean, "--config", other, "--fail-on-incomplete", "--name", "ghcr.io/acme/app:1.4", "oci-dir:"+lay+":clean"); slices.ContainsFunc(rep.Gaps, func(g gapJSON) bool { return g.ID == "image-signatures" }) {
		t.Errorf("--name outside the policy: %+v", rep.Gaps)
	}

	// Nothing to judge, or nothing to judge by: exit 2. A local image under
	// a policy alone would be all gaps (its signatures are not pushed yet).
	policyOnly := writeTestFile(t, dir, "policy-only.yaml", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n  policies:\n  - {name: all, images: ['**'], signers: [{key: "+key+"}], transparencyLog: false}\n")
	empty := localtest.Archive(t, t.TempDir(), filepath.Join(dir, "empty.tar"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", cfg, "oci-archive:" + empty}, "not a tar archive, or an empty one"},
		{[]string{"--config", cfg, "docker-archive:" + filepath.Join(dir, "nope.tar")}, "no such file"},
		{[]string{"--config", cfg, "docker-archive:/dev/zero"}, "not a regular file"},
		{[]string{"--config", cfg, "oci-dir:" + lay}, "holds 2 images"},
		{[]string{"--config", cfg, "Not A Reference"}, "not an image reference"},
		{[]string{"--vuln-db", t.TempDir(), "oci-dir:" + lay + ":1.0"}, "nothing to judge the images by"},
		{[]string{"--config", policyOnly, "oci-dir:" + lay + ":1.0"}, "nothing to judge the local images by"},
		{[]string{"--config", other, "--vuln-db", t.TempDir(), "oci-dir:" + lay + ":1.0"}, "nothing to judge the local images by: their signatures"},
		{[]string{"--config", cfg}, "requires at least 1 arg"},
	} {
		if code, _, stderr := runCLI(t, append([]string{"images", "check"}, tc.args...)...); code != ExitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, stderr)
		}
	}
}

// TestImagesSBOMLocal: the SBOM of a local image lists the packages of the
// same image read from the registry, and names it by the same digest.
func TestImagesSBOMLocal(t *testing.T) {
	reg := registrytest.New(t)
	reg.DockerConfig(t)
	img := alpineAppImage(t)
	d := reg.Push(t, "acme/app:1.0", img)
	dir := t.TempDir()
	lay := localtest.Layout(t, filepath.Join(dir, "oci"), map[string]v1.Image{"ghcr.io/acme/app:1.0": img})
	packages := func(args ...string) (names []string, digest string) {
		t.Helper()
		code, out, stderr := runCLI(t, append([]string{"images", "sbom", "-o", "cyclonedx"}, args...)...)
		var doc struct {
			Metadata   struct{ Component struct{ Version string } }
			Components []struct{ Purl string }
		}
		if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil {
			t.Fatalf("%v: exit %d %v\n%s", args, code, err, stderr)
		}
		for _, c := range doc.Components {
			names = append(names, c.Purl)
		}
		slices.Sort(names)
		return names, out
	}
	want, _ := packages(reg.Host+"/acme/app:1.0", "--registry-ca", reg.CAFile(t))
	got, out := packages("oci-dir:" + lay)
	if !slices.Equal(got, want) || len(got) < 2 || !strings.Contains(out, d.DigestStr()) || !strings.Contains(out, "pkg:oci/app@sha256") {
		t.Errorf("local SBOM: %v, want %v\n%s", got, want, out)
	}
	// A layout whose reference name is only a tag names no repository:
	// --name gives the one it will be pushed as, to the document's name,
	// its described package and its purl.
	tagged := "oci-dir:" + localtest.Layout(t, filepath.Join(dir, "tagged"), map[string]v1.Image{"1.4": img}) + ":1.4"
	if _, out := packages(tagged); strings.Contains(out, "pkg:oci/") || strings.Contains(out, "ghcr.io/acme/app") {
		t.Errorf("tag-only layout names a repository:\n%s", out)
	}
	if _, out := packages(tagged, "--name", "ghcr.io/acme/app:1.4"); !strings.Contains(out, `"name": "ghcr.io/acme/app"`) ||
		!strings.Contains(out, "pkg:oci/app@"+d.DigestStr()+"?repository_url=ghcr.io%2Facme%2Fapp") {
		t.Errorf("--name: the BOM does not name ghcr.io/acme/app at %s:\n%s", d.DigestStr(), out)
	}
	code, out, stderr := runCLI(t, "images", "sbom", "--name", "ghcr.io/acme/app:1.4", tagged)
	var doc struct{ Name string }
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || doc.Name != "ghcr.io/acme/app:1.4" || !strings.Contains(out, `"name": "ghcr.io/acme/app"`) {
		t.Errorf("--name, SPDX: exit %d %v %q\n%s", code, err, doc.Name, stderr)
	}
	// A docker save tarball, plain or gzipped: the same packages, under the
	// same digest (that of the manifest its layers make).
	saved := localtest.DockerSave(t, filepath.Join(dir, "saved.tar"), map[string]v1.Image{"ghcr.io/acme/app:1.0": img})
	digestOf := func(out string) string {
		var doc struct {
			Metadata struct{ Component struct{ Version string } }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || !strings.HasPrefix(doc.Metadata.Component.Version, "sha256:") {
			t.Fatalf("no digest in the SBOM (%v):\n%s", err, out)
		}
		return doc.Metadata.Component.Version
	}
	plain, plainOut := packages("docker-archive:" + saved)
	gzipped, gzOut := packages("docker-archive:" + localtest.Compress(t, saved, "gzip"))
	if !slices.Equal(plain, want) || !slices.Equal(gzipped, plain) || digestOf(gzOut) != digestOf(plainOut) {
		t.Errorf("gzipped docker save: %v at %s; plain: %v at %s", gzipped, digestOf(gzOut), plain, digestOf(plainOut))
	}
	if code, _, stderr := runCLI(t, "images", "sbom", "oci-archive:"+filepath.Join(dir, "nope.tar")); code != ExitError || !strings.Contains(stderr, "nope.tar: no such file") {
		t.Errorf("missing archive: exit %d %s", code, stderr)
	}
}

// alpineAppImage is an Alpine image with an apk package and an npm lockfile.
func alpineAppImage(t *testing.T) v1.Image {
	return sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":        sbomtest.OSRelease("alpine", "3.19.1", ""),
		"lib/apk/db/installed":  sbomtest.APKInstalled(sbomtest.APK{Name: "busybox", Origin: "busybox", Version: "1.36.1-r9"}),
		"app/package-lock.json": sbomtest.PackageLock(map[string]string{"lodash": "4.17.20"}),
	}))
}
