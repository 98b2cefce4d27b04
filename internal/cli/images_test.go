package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
)

const (
	testIssuer   = "https://token.actions.githubusercontent.com"
	testReleaser = "release@acme.example"
)

// imageEnv is a registry with a signed and an unsigned image, a Sigstore,
// and a directory holding the trusted root and the configuration.
type imageEnv struct {
	reg              *registrytest.Registry
	ss               *sigtest.Sigstore
	dir, ca          string
	signed, unsigned name.Digest
}

func newImageEnv(t *testing.T) *imageEnv {
	t.Helper()
	e := &imageEnv{reg: registrytest.New(t), ss: sigtest.New(t), dir: t.TempDir()}
	e.reg.DockerConfig(t)
	push := func(tag string) name.Digest {
		img, err := random.Image(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		return e.reg.Push(t, tag, img)
	}
	e.signed, e.unsigned = push("acme/web:1.0"), push("acme/api:1.0")
	sigtest.PushLayers(t, e.reg, e.signed, ".sig", e.ss.SignKeyless(t, sigtest.Payload(e.signed), testReleaser, testIssuer))
	e.ss.WriteTrustedRoot(t, e.dir)
	e.ca = e.reg.CAFile(t)
	return e
}

// config writes .kubeward.yaml with one keyless policy over acme/**, and
// extra YAML under images:.
func (e *imageEnv) config(t *testing.T, extra string) string {
	t.Helper()
	return writeTestFile(t, e.dir, "kubeward.yaml", fmt.Sprintf(`apiVersion: kubeward.dev/v1alpha1
kind: Config
images:
  trustedRoot: trusted_root.json
  registry: {caFile: %q, cache: cache, timeout: 5s}
  policies:
  - name: acme-release
    images: ["%s/acme/**"]
    signers:
    - keyless: {issuer: %q, subject: %q}
%s`, e.ca, e.reg.Host, testIssuer, testReleaser, extra))
}

// manifests writes two Deployments running the signed and the unsigned
// image by tag.
func (e *imageEnv) manifests(t *testing.T) string {
	t.Helper()
	deploy := func(name, image string) string {
		return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: shop}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers:
      - name: %s
        image: %s
`, name, name, name, name, image)
	}
	return writeTestFile(t, t.TempDir(), "apps.yaml", deploy("web", e.reg.Host+"/acme/web:1.0")+"---\n"+deploy("api", e.reg.Host+"/acme/api:1.0"))
}

type imageReport struct {
	Findings []struct {
		Check    string `json:"check"`
		Severity string `json:"severity"`
		Image    string `json:"image"`
		Message  string `json:"message"`
		Object   struct{ Name string }
		Location struct {
			Line int `json:"line"`
		} `json:"location"`
		Suppressed bool `json:"suppressed"`
	} `json:"findings"`
	Coverage []struct{ Check, Reason string } `json:"coverage"`
}

func scanImages(t *testing.T, args ...string) (int, string, imageReport) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.json")
	code, _, stderr := runCLI(t, append([]string{"scan", "-o", "json=" + file}, args...)...)
	var r imageReport
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s", code, err, stderr)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return code, stderr, r
}

// TestScanImages is the CI door: scan --images verifies each image once,
// reports the unsigned one at its image line, and fails the gate; the
// signed one passes.
func TestScanImages(t *testing.T) {
	e := newImageEnv(t)
	cfg := e.config(t, "")
	apps := e.manifests(t)

	code, stderr, r := scanImages(t, "--config", cfg, "--checks", "image-*", apps)
	if code != ExitClean || len(r.Coverage) == 0 || !strings.Contains(r.Coverage[0].Reason, "registry access is off") {
		t.Fatalf("without --images: exit %d, coverage %+v\n%s", code, r.Coverage, stderr)
	}

	// Known vulnerabilities need a database this test does not give.
	code, stderr, r = scanImages(t, "--config", cfg, "--checks", "image-*", "--skip-checks", "image-vulnerable", "--images", apps)
	var unsigned []string
	for _, f := range r.Findings {
		if f.Check == "image-unsigned" {
			unsigned = append(unsigned, fmt.Sprintf("%s:%d:%s", f.Object.Name, f.Location.Line, f.Image))
		}
		if f.Object.Name == "web" && strings.HasPrefix(f.Check, "image-sig") {
			t.Errorf("the signed image has a finding: %+v", f)
		}
	}
	want := fmt.Sprintf("api:23:%s/acme/api:1.0", e.reg.Host)
	if code != ExitFindings || len(unsigned) != 1 || unsigned[0] != want || len(r.Coverage) != 0 {
		t.Fatalf("with --images: exit %d, image-unsigned at %v (want %s), coverage %+v\n%s", code, unsigned, want, r.Coverage, stderr)
	}

	// An exception with a reason passes it, reported as suppressed; once
	// expired, the finding fires again.
	for _, tc := range []struct {
		expires    string
		suppressed bool
	}{{time.Now().AddDate(0, 1, 0).Format("2006-01-02"), true}, {"2020-01-01", false}} {
		cfg := e.config(t, fmt.Sprintf(`    exceptions:
    - images: ["%s/acme/api"]
      reason: signing lands in the next release
      expires: "%s"
`, e.reg.Host, tc.expires))
		code, _, r := scanImages(t, "--config", cfg, "--checks", "image-unsigned", "--images", apps)
		if len(r.Findings) != 1 || r.Findings[0].Suppressed != tc.suppressed || (code == ExitClean) != tc.suppressed {
			t.Errorf("exception expiring %s: exit %d, findings %+v", tc.expires, code, r.Findings)
		}
	}
}

// A registry that is down gives image-unverified, critical by default and
// medium with onRegistryError: warn, never a pass; within the timeout.
func TestScanImagesRegistryDown(t *testing.T) {
	e := newImageEnv(t)
	apps := e.manifests(t)
	e.reg.Close()
	for _, tc := range []struct{ extra, severity string }{{"", "critical"}, {"  onRegistryError: warn\n", "medium"}} {
		cfg := e.config(t, "")
		if tc.extra != "" {
			data, _ := os.ReadFile(cfg)
			cfg = writeTestFile(t, e.dir, "kubeward.yaml", strings.Replace(string(data), "images:\n", "images:\n"+tc.extra, 1))
		}
		start := time.Now()
		_, stderr, r := scanImages(t, "--config", cfg, "--checks", "image-*", "--images", apps)
		n := 0
		for _, f := range r.Findings {
			if f.Check == "image-unverified" && f.Severity == tc.severity && strings.Contains(f.Message, "unreachable") {
				n++
			}
		}
		if n != 2 || time.Since(start) > 20*time.Second {
			t.Errorf("%q: %d unverified findings of %s after %s: %+v\n%s", tc.extra, n, tc.severity, time.Since(start), r.Findings, stderr)
		}
	}
}

func TestImagesCommand(t *testing.T) {
	e := newImageEnv(t)
	cfg := e.config(t, "")
	apps := e.manifests(t)
	code, out, stderr := runCLI(t, "images", "--config", cfg, "-o", "json", "--resolve", apps)
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		Images []struct {
			Reference, Registry, Repository, Tag string
			Facts                                struct {
				Digest     string
				Signatures []struct {
					Found []struct{ Outcome, Identity string }
				}
			}
			Uses []struct {
				Object    struct{ Kind, Name string }
				Container string
				Line      int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Images) != 2 {
		t.Fatalf("images = %+v", got.Images)
	}
	api, web := got.Images[0], got.Images[1]
	if api.Registry != e.reg.Host || api.Repository != "acme/api" || api.Tag != "1.0" || api.Facts.Digest != e.unsigned.DigestStr() ||
		len(api.Uses) != 1 || api.Uses[0].Object.Name != "api" || api.Uses[0].Line != 23 {
		t.Errorf("api: %+v", api)
	}
	if web.Facts.Digest != e.signed.DigestStr() || len(web.Facts.Signatures) != 1 || len(web.Facts.Signatures[0].Found) != 1 ||
		web.Facts.Signatures[0].Found[0].Outcome != "trusted" || !strings.Contains(web.Facts.Signatures[0].Found[0].Identity, testReleaser) {
		t.Errorf("web: %+v", web)
	}
	// The table, without the registries.
	code, out, _ = runCLI(t, "images", "--config", cfg, apps)
	if code != ExitClean || !strings.Contains(out, "acme/api") || !strings.Contains(out, "Deployment/shop/api containers[api]") || strings.Contains(out, "VERDICT") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	// Input without workloads is an error, not an empty list.
	empty := writeTestFile(t, t.TempDir(), "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
	if code, _, stderr := runCLI(t, "images", empty); code != ExitError || !strings.Contains(stderr, "no container image") {
		t.Errorf("no workloads: exit %d, %s", code, stderr)
	}
}

// TestImagesRealManifest lists Kyverno's own disallow-latest-tag test
// resources (eight pods and deployments, init containers among them): one
// row per reference, Docker Hub's defaults filled in, every use with its
// line.
func TestImagesRealManifest(t *testing.T) {
	code, out, stderr := runCLI(t, "images", "-o", "json", filepath.Join("..", "checks", "image", "testdata", "peers", "kyverno-disallow-latest-tag.yaml"))
	if code != ExitClean {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var got struct {
		Images []struct {
			Reference, Registry, Repository, Tag, Digest string
			TagImplied                                   bool
			Uses                                         []struct {
				Object        struct{ Kind, Name string }
				ContainerKind string
				Line          int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rows []string
	for _, im := range got.Images {
		row := fmt.Sprintf("%s %s %s %s implied=%v", im.Reference, im.Registry, im.Repository, im.Tag, im.TagImplied)
		for _, u := range im.Uses {
			row += fmt.Sprintf(" %s/%s:%s:%d", u.Object.Kind, u.Object.Name, u.ContainerKind, u.Line)
		}
		rows = append(rows, row)
	}
	want := []string{
		"busybox docker.io library/busybox latest implied=true Deployment/baddeployment01:initContainers:125 Deployment/baddeployment01:containers:121",
		"busybox:1.28 docker.io library/busybox 1.28 implied=false Pod/badpod02:initContainers:43 Pod/badpod02:containers:38 Pod/vit-badpod02:initContainers:75 Pod/vit-badpod02:containers:70 Deployment/gooddeployment01:initContainers:100 Deployment/gooddeployment01:containers:96",
		"busybox:latest docker.io library/busybox latest implied=false Deployment/vit-baddeployment01:initContainers:150 Deployment/vit-baddeployment01:containers:146",
		"nginx docker.io library/nginx latest implied=true Pod/badpod01:initContainers:27 Pod/badpod01:containers:24 Pod/badpod02:initContainers:45 Pod/badpod02:containers:40",
		"nginx:1.12 docker.io library/nginx 1.12 implied=false Pod/myapp-pod:initContainers:13 Pod/myapp-pod:containers:10",
		"nginx:latest docker.io library/nginx latest implied=false Pod/vit-badpod01:initContainers:59 Pod/vit-badpod01:containers:56 Pod/vit-badpod02:initContainers:77 Pod/vit-badpod02:containers:72",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("images:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
}
