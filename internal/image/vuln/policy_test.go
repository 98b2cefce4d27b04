package vuln

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	img := Image{Reference: "ghcr.io/acme/app:1.0", Repository: "ghcr.io/acme/app", Digest: "sha256:" + strings.Repeat("ab", 32)}
	openssl := Finding{ID: "DEBIAN-CVE-2024-0001", Aliases: []string{"CVE-2024-0001"}, Severity: High,
		Package: "openssl", Binary: "libssl3", Ecosystem: "Debian:12", Installed: "3.0.11-1", Fixed: "3.0.13-1",
		PURL: "pkg:deb/debian/libssl3@3.0.11-1?arch=amd64&distro=bookworm&source=openssl"}
	with := func(f Finding, edit func(*Finding)) Finding { edit(&f); return f }
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	vexDoc := writeVEX(t, `{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "Acme",
  "timestamp": "2026-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2024-0001"},
     "products": [{"@id": "pkg:oci/app@sha256:`+strings.Repeat("ab", 32)+`", "subcomponents": [{"@id": "pkg:deb/debian/openssl"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
    {"vulnerability": {"name": "CVE-2024-0002"},
     "products": [{"@id": "pkg:oci/app@sha256:`+strings.Repeat("ab", 32)+`"}],
     "status": "affected", "action_statement": "upgrade to 2.0"},
    {"vulnerability": {"name": "CVE-2024-0003"},
     "products": [{"@id": "pkg:oci/app@sha256:`+strings.Repeat("cd", 32)+`"}],
     "status": "not_affected", "justification": "component_not_present"},
    {"vulnerability": {"name": "CVE-2024-0004"},
     "products": [{"@id": "pkg:deb/debian/libssl3"}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2024-0005"}, "timestamp": "2026-01-01T00:00:00Z",
     "products": [{"@id": "pkg:oci/app@sha256:`+strings.Repeat("ab", 32)+`"}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist"},
    {"vulnerability": {"name": "CVE-2024-0005"}, "timestamp": "2026-02-01T00:00:00Z",
     "products": [{"@id": "pkg:oci/app@sha256:`+strings.Repeat("ab", 32)+`"}],
     "status": "affected", "action_statement": "the mitigation was removed"}
  ]
}`)
	for _, tc := range []struct {
		name   string
		cfg    Config
		f      Finding
		fails  bool
		passed string // substring of Passed
		note   string // substring of Note
	}{
		{name: "high fails by default", f: openssl, fails: true},
		{name: "medium passes by default", f: with(openssl, func(f *Finding) { f.Severity = Medium }), passed: "rated medium, below high"},
		{name: "failOn medium", cfg: Config{FailOn: "medium"}, f: with(openssl, func(f *Finding) { f.Severity = Medium }), fails: true},
		{name: "unrated counts as medium", f: with(openssl, func(f *Finding) { f.Severity = Unrated }), passed: "rated medium"},
		{name: "unratedSeverity high", cfg: Config{UnratedSeverity: "critical"}, f: with(openssl, func(f *Finding) { f.Severity = Unrated }), fails: true},
		{name: "unfixed fails unless ignored", f: with(openssl, func(f *Finding) { f.Fixed = "" }), fails: true},
		{name: "ignoreUnfixed", cfg: Config{IgnoreUnfixed: true}, f: with(openssl, func(f *Finding) { f.Fixed = "" }), passed: "no fixed version"},
		{name: "ignoreUnfixed keeps fixable ones", cfg: Config{IgnoreUnfixed: true}, f: openssl, fails: true},
		{name: "exception by CVE alias", cfg: Config{Exceptions: []Exception{{ID: "cve-2024-0001", Reason: "not reachable", Expires: "2026-06-01"}}},
			f: openssl, passed: "exception: not reachable (until 2026-06-01)"},
		{name: "expired exception fails and says so", cfg: Config{Exceptions: []Exception{{ID: "CVE-2024-0001", Reason: "not reachable", Expires: "2026-05-31"}}},
			f: openssl, fails: true, note: "exception expired on 2026-05-31: not reachable"},
		{name: "exception for another image", cfg: Config{Exceptions: []Exception{{ID: "CVE-2024-0001", Image: "ghcr.io/other/*", Reason: "x"}}},
			f: openssl, fails: true},
		{name: "exception for the image and the binary package", cfg: Config{Exceptions: []Exception{{ID: "DEBIAN-CVE-2024-0001", Image: "ghcr.io/acme/*", Package: "libssl*", Reason: "x"}}},
			f: openssl, passed: "exception: x"},
		{name: "exception for another package", cfg: Config{Exceptions: []Exception{{ID: "CVE-2024-0001", Package: "zlib", Reason: "x"}}},
			f: openssl, fails: true},
		{name: "VEX not_affected on a subcomponent by its source package", cfg: Config{VEX: []string{vexDoc}},
			f: openssl, passed: "VEX not_affected (vulnerable_code_not_in_execute_path)"},
		{name: "VEX affected keeps failing with the action", cfg: Config{VEX: []string{vexDoc}},
			f: with(openssl, func(f *Finding) { f.Aliases = []string{"CVE-2024-0002"} }), fails: true, note: "upgrade to 2.0"},
		{name: "an expired exception adds to a VEX affected note", cfg: Config{VEX: []string{vexDoc},
			Exceptions: []Exception{{ID: "CVE-2024-0002", Reason: "waiting for 2.0", Expires: "2026-05-01"}}},
			f: with(openssl, func(f *Finding) { f.Aliases = []string{"CVE-2024-0002"} }), fails: true,
			note: "VEX affected in " + vexDoc + ": upgrade to 2.0; exception expired on 2026-05-01: waiting for 2.0"},
		{name: "VEX about another image's digest", cfg: Config{VEX: []string{vexDoc}},
			f: with(openssl, func(f *Finding) { f.Aliases = []string{"CVE-2024-0003"} }), fails: true},
		{name: "VEX fixed on the package itself", cfg: Config{VEX: []string{vexDoc}},
			f: with(openssl, func(f *Finding) { f.Aliases = []string{"CVE-2024-0004"} }), passed: "VEX fixed"},
		{name: "the latest VEX statement wins", cfg: Config{VEX: []string{vexDoc}},
			f: with(openssl, func(f *Finding) { f.Aliases = []string{"CVE-2024-0005"} }), fails: true, note: "the mitigation was removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.cfg.Policy("")
			if err != nil {
				t.Fatal(err)
			}
			p.Now = now
			v := p.Judge(img, []Finding{tc.f})[0]
			if v.Fails != tc.fails || !strings.Contains(v.Passed, tc.passed) || !strings.Contains(v.Note, tc.note) ||
				(tc.fails && v.Passed != "") {
				t.Errorf("fails=%v passed=%q note=%q; want fails=%v passed~%q note~%q", v.Fails, v.Passed, v.Note, tc.fails, tc.passed, tc.note)
			}
		})
	}
}

func writeVEX(t *testing.T, doc string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "app.openvex.json")
	if err := os.WriteFile(name, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{FailOn: "severe"}, "failOn"},
		{Config{UnratedSeverity: "unrated"}, "unratedSeverity"},
		{Config{Exceptions: []Exception{{Reason: "x"}}}, "needs the advisory's id"},
		{Config{Exceptions: []Exception{{ID: "CVE-1"}}}, "needs a reason"},
		{Config{Exceptions: []Exception{{ID: "CVE-1", Reason: "x", Expires: "soon"}}}, "not a date"},
		{Config{Exceptions: []Exception{{ID: "CVE-1", Reason: "x", Image: "["}}}, "bad pattern"},
		{Config{VEX: []string{" "}}, "empty path"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := (&Config{VEX: []string{"nope.json"}}).Policy(t.TempDir()); err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("a missing VEX document: %v", err)
	}
	if _, err := (&Config{VEX: []string{writeVEX(t, `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}`)}}).Policy(""); err == nil {
		t.Error("a VEX document without statements was accepted")
	}
}
