package image

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/vuln"
)

// withReport is image facts holding a vulnerability analysis.
func withReport(name string, rep *vuln.Report, err string) *facts.Facts {
	return &facts.Facts{Name: name, Digest: "sha256:" + hex64, Analyses: map[string]facts.Analysis{
		vuln.AnalysisName: {Value: rep, Error: err},
	}}
}

func TestVulnerable(t *testing.T) {
	openssl := vuln.Finding{ID: "DEBIAN-CVE-2024-0001", Aliases: []string{"CVE-2024-0001"}, Severity: vuln.High, CVSS: 7.5,
		Package: "openssl", Binary: "libssl3", Ecosystem: "Debian:12", Installed: "3.0.11-1", Fixed: "3.0.13-1",
		Location: "var/lib/dpkg/status", Summary: "crafted certificate"}
	lodash := vuln.Finding{ID: "GHSA-35jh-r3h4-6jhm", Aliases: []string{"CVE-2021-23337"}, Severity: vuln.Critical,
		Package: "lodash", Ecosystem: "npm", Installed: "4.17.20", Fixed: "4.17.21"}
	medium := vuln.Finding{ID: "GO-2024-0001", Severity: vuln.Medium, Package: "golang.org/x/net", Ecosystem: "Go", Installed: "0.17.0", Fixed: "0.23.0"}
	unfixed := vuln.Finding{ID: "DEBIAN-CVE-2024-0009", Severity: vuln.Unrated, Package: "glibc", Binary: "libc6", Ecosystem: "Debian:12", Installed: "2.36-9"}

	vulnerableApp := withReport("ghcr.io/acme/app", &vuln.Report{Source: "layers", Packages: 120, Matched: 120,
		Findings: []vuln.Finding{lodash, openssl, medium, unfixed}}, "")
	clean := withReport("ghcr.io/acme/clean", &vuln.Report{Source: "layers", Packages: 40, Matched: 40}, "")
	partial := withReport("ghcr.io/acme/partial", &vuln.Report{Packages: 50, Matched: 20, Missing: map[string]int{"Alpine": 30}}, "")
	failed := withReport("ghcr.io/acme/failed", nil, "unpacking the image: layer sha256:... is not a tar stream")
	down := &facts.Facts{Name: "ghcr.io/acme/down", Error: "registry did not answer"}
	noDB := &facts.Facts{Name: "ghcr.io/acme/nodb", Digest: "sha256:" + hex64}
	set := imageSet(map[string]*facts.Facts{
		"ghcr.io/acme/app:1": vulnerableApp, "ghcr.io/acme/clean:1": clean, "ghcr.io/acme/partial:1": partial,
		"ghcr.io/acme/failed:1": failed, "ghcr.io/acme/down:1": down, "ghcr.io/acme/nodb:1": noDB,
	})

	asked := check.DefaultOptions()
	asked.Vulnerabilities = vuln.DefaultPolicy()
	checktest.RunFixtures(t, Vulnerable, asked, []checktest.Fixture{{
		Name:   "high and critical advisories fail at the image line, medium and unrated ones pass by default",
		YAML:   pod("p", "ghcr.io/acme/clean:1", "ghcr.io/acme/app:1"),
		Images: set,
		Want:   []string{"Pod/p spec.containers[1].image", "Pod/p spec.containers[1].image"},
	}, {
		Name:   "an image not judged for some ecosystems or not at all is reported, never passed",
		YAML:   pod("p", "ghcr.io/acme/partial:1", "ghcr.io/acme/failed:1"),
		Images: set,
		Want:   []string{"Pod/p spec.containers[0].image", "Pod/p spec.containers[1].image"},
	}, {
		Name:   "registry errors are image-unverified's; facts without the analysis are the scan's coverage",
		YAML:   pod("p", "ghcr.io/acme/down:1", "ghcr.io/acme/nodb:1"),
		Images: set,
	}})

	fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1", "ghcr.io/acme/partial:1"), asked, set, Vulnerable)
	var msgs []string
	for _, f := range fs {
		msgs = append(msgs, f.Severity.String()+" "+f.Message+" | "+f.Fix)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		`critical container "c0": image "ghcr.io/acme/app:1": CVE-2021-23337 (GHSA-35jh-r3h4-6jhm) in lodash 4.17.20, fixed in 4.17.21 [critical] | Upgrade lodash to 4.17.21`,
		`high container "c0": image "ghcr.io/acme/app:1": CVE-2024-0001 (DEBIAN-CVE-2024-0001) in openssl 3.0.11-1 (binary libssl3), fixed in 3.0.13-1 [high, CVSS 7.5] at var/lib/dpkg/status: crafted certificate | Upgrade libssl3 to 3.0.13-1`,
		`critical container "c1": the vulnerabilities of image "ghcr.io/acme/partial:1" were not judged for 30 Alpine packages`,
		`kubeward images db update --ecosystem Alpine`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}

	// The policy: failOn medium, unrated counted as high, an exception,
	// and warn for images not judged.
	opts := check.DefaultOptions()
	opts.ImageOnRegistryError = "warn"
	opts.Vulnerabilities = &vuln.Policy{FailOn: vuln.Medium, Unrated: vuln.High,
		Exceptions: []vuln.Exception{{ID: "CVE-2021-23337", Image: "ghcr.io/acme/*", Reason: "not reachable"}}}
	fs = checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1", "ghcr.io/acme/failed:1"), opts, set, Vulnerable)
	got := map[string]string{}
	advisory := regexp.MustCompile(`image "[^"]*": (\S+)`)
	for _, f := range fs {
		id := "not judged"
		if m := advisory.FindStringSubmatch(f.Message); m != nil {
			id = m[1]
		}
		got[id] = f.Severity.String()
	}
	want := map[string]string{"CVE-2024-0001": "high", "GO-2024-0001": "medium", "DEBIAN-CVE-2024-0009": "high", "not judged": "medium"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for id, sev := range want {
		if got[id] != sev {
			t.Errorf("%s: severity %q, want %q (all: %v)", id, got[id], sev, got)
		}
	}
	for _, f := range fs {
		if strings.Contains(f.Message, "DEBIAN-CVE-2024-0009") && (!strings.Contains(f.Message, "no fixed version is published [unrated, counted as high]") || !strings.Contains(f.Fix, "No fixed version of glibc")) {
			t.Errorf("unfixed, unrated advisory: %s | %s", f.Message, f.Fix)
		}
	}

	// Without facts (no registry access) the check does not run at all,
	// and without a policy it is not active.
	if fs := checktest.Run(t, pod("p", "ghcr.io/acme/app:1"), asked, Vulnerable); len(fs) != 0 {
		t.Fatalf("ran without facts: %+v", fs)
	}
	if fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), nil, set, Vulnerable); len(fs) != 0 {
		t.Fatalf("ran without being asked: %+v", fs)
	}
}

// TestVulnerableIncompleteIsAGap: an image whose report holds packages or
// files that could not be judged (an Azure Linux version osv-scalibr has
// no rules for, an unreadable file) is not passed in silence: it is a
// coverage gap of the scan, and its judged packages' findings still come.
func TestVulnerableIncompleteIsAGap(t *testing.T) {
	lodash := vuln.Finding{ID: "GHSA-35jh-r3h4-6jhm", Severity: vuln.Critical, Package: "lodash", Ecosystem: "npm", Installed: "4.17.20", Fixed: "4.17.21"}
	set := imageSet(map[string]*facts.Facts{
		"ghcr.io/acme/azl:1": withReport("ghcr.io/acme/azl", &vuln.Report{Source: "layers", Packages: 3, Matched: 2,
			Findings: []vuln.Finding{lodash},
			Problems: []string{`Azure Linux:3 "zlib": version "1.3-1.azl3" cannot be compared under Azure Linux rules`}}, ""),
		"ghcr.io/acme/clean:1": withReport("ghcr.io/acme/clean", &vuln.Report{Source: "layers", Packages: 40, Matched: 40}, ""),
		// Nothing found to judge: a bare binary without package metadata.
		"ghcr.io/acme/empty:1": withReport("ghcr.io/acme/empty", &vuln.Report{Source: "layers"}, ""),
	})
	opts := check.DefaultOptions()
	opts.Vulnerabilities = vuln.DefaultPolicy()
	res := checktest.RunImagesResult(t, pod("p", "ghcr.io/acme/azl:1", "ghcr.io/acme/clean:1")+"---\n"+pod("q", "ghcr.io/acme/clean:1")+
		"---\n"+pod("r", "ghcr.io/acme/empty:1"), opts, set, Vulnerable)
	checktest.Expect(t, res.Findings, "Pod/p spec.containers[0].image") // lodash, judged
	gap := coverageGap(res, GapImageVulnerabilities)
	if gap == nil {
		t.Fatalf("no %s gap in the coverage: %+v", GapImageVulnerabilities, res.Coverage)
	}
	if !slices.Equal(gap.Objects, []string{"Pod/p", "Pod/r"}) || !strings.Contains(gap.Reason, "could not be judged") {
		t.Errorf("gap objects %v, reason %q", gap.Objects, gap.Reason)
	}
}

// TestVulnerableVEXNamesThePlatform: an OpenVEX statement about the image
// as its platform's own manifest and architecture (the layers read from a
// multi-platform index) applies to the image referenced by the index.
func TestVulnerableVEXNamesThePlatform(t *testing.T) {
	platformDigest := "sha256:" + strings.Repeat("c3", 32)
	doc := filepath.Join(t.TempDir(), "app.vex.json")
	if err := os.WriteFile(doc, []byte(`{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/app-1",
		"author":"Acme","timestamp":"2024-03-01T09:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-2021-23337"},
		"products":[{"@id":"pkg:oci/app@`+strings.Replace(platformDigest, ":", "%3A", 1)+`?arch=amd64&repository_url=ghcr.io/acme/app"}],
		"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := (&vuln.Config{FailOn: "high", VEX: []string{doc}}).Policy("")
	if err != nil {
		t.Fatal(err)
	}
	opts := check.DefaultOptions()
	opts.Vulnerabilities = p
	lodash := vuln.Finding{ID: "GHSA-35jh-r3h4-6jhm", Aliases: []string{"CVE-2021-23337"}, Severity: vuln.Critical,
		Package: "lodash", Ecosystem: "npm", Installed: "4.17.20", Fixed: "4.17.21", PURL: "pkg:npm/lodash@4.17.20"}
	for _, tc := range []struct {
		name     string
		platform string
		want     int
	}{
		{"the layers of the index's linux/amd64 image", "linux/amd64", 0},
		{"the layers of its linux/arm64 image", "linux/arm64", 1},
		{"packages from an SBOM attestation: platform not known", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &vuln.Report{Source: "layers", Packages: 1, Matched: 1, Findings: []vuln.Finding{lodash}, Platform: tc.platform}
			if tc.platform != "" {
				rep.PlatformDigest = platformDigest
			}
			set := imageSet(map[string]*facts.Facts{"ghcr.io/acme/app:1": withReport("ghcr.io/acme/app", rep, "")})
			if fs := checktest.RunImages(t, pod("p", "ghcr.io/acme/app:1"), opts, set, Vulnerable); len(fs) != tc.want {
				t.Errorf("%d findings, want %d: %+v", len(fs), tc.want, fs)
			}
		})
	}
}
