package vulndb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// advisory writes an OSV advisory: one affected package with one range of
// events ("introduced:0", "fixed:1.2-1", "last_affected:1.1").
func advisory(id, eco, pkg string, events ...string) string {
	return advisoryWith(id, eco, pkg, nil, events...)
}

func advisoryWith(id, eco, pkg string, extra map[string]any, events ...string) string {
	var evs []map[string]string
	for _, e := range events {
		k, v, _ := strings.Cut(e, ":")
		evs = append(evs, map[string]string{k: v})
	}
	rangeType := "ECOSYSTEM"
	if eco == "Go" || eco == "npm" {
		rangeType = "SEMVER"
	}
	doc := map[string]any{
		"schema_version": "1.6.0",
		"id":             id,
		"modified":       "2025-01-01T00:00:00Z",
		"affected": []any{map[string]any{
			"package": map[string]string{"ecosystem": eco, "name": pkg},
			"ranges":  []any{map[string]any{"type": rangeType, "events": evs}},
		}},
	}
	for k, v := range extra {
		doc[k] = v
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func deb(name, source, version string) *extractor.Package {
	p := dpkg(name, source, version, "debian", "12", "bookworm")
	p.Location = extractor.LocationFromPath("var/lib/dpkg/status")
	return p
}

func apk(name, origin, version string) *extractor.Package {
	p := alpine(name, origin, version, "3.19.1")
	p.Location = extractor.LocationFromPath("lib/apk/db/installed")
	return p
}

func lang(purlType, name, version string) *extractor.Package {
	return &extractor.Package{Name: name, Version: version, PURLType: purlType, Location: extractor.LocationFromPath("app/x")}
}

// summary renders findings as "ID package installed -> fixed" lines.
func summary(fs []vuln.Finding) []string {
	var out []string
	for _, f := range fs {
		fixed := f.Fixed
		if fixed == "" {
			fixed = "(none)"
		}
		out = append(out, fmt.Sprintf("%s %s %s -> %s", f.ID, f.PackageName(), f.Installed, fixed))
	}
	slices.Sort(out)
	return out
}

func TestMatchEcosystemRules(t *testing.T) {
	archives := map[string][]byte{
		"Debian": osvtest.Archive(t,
			// Epochs: 1:1.2-1 is newer than 1.3-1, 1.2-1 older than 1:1.0-1.
			advisory("DEBIAN-CVE-2024-0001", "Debian:12", "epochpkg", "introduced:0", "fixed:1.3-1"),
			advisory("DEBIAN-CVE-2024-0002", "Debian:12", "epochfix", "introduced:0", "fixed:1:1.0-1"),
			// Tilde sorts before anything: 3.0.11-1~deb12u2 < 3.0.11-1.
			advisory("DEBIAN-CVE-2024-0003", "Debian:12", "openssl", "introduced:0", "fixed:3.0.13-1~deb12u1"),
			// Another release's advisory must not apply to Debian 12.
			advisory("DEBIAN-CVE-2024-0004", "Debian:11", "openssl", "introduced:0", "fixed:9.9-1"),
			// Unfixed: no fixed event.
			advisory("DEBIAN-CVE-2024-0005", "Debian:12", "openssl", "introduced:0"),
			// Withdrawn advisories are not findings.
			advisoryWith("DEBIAN-CVE-2024-0006", "Debian:12", "openssl", map[string]any{"withdrawn": "2024-06-01T00:00:00Z"}, "introduced:0", "fixed:9.9-1"),
		),
		"Alpine": osvtest.Archive(t,
			// Revisions compare as numbers: r9 < r10 (as strings, r9 > r10).
			advisory("ALPINE-CVE-2024-0010", "Alpine:v3.19", "busybox", "introduced:0", "fixed:1.36.1-r10"),
			advisory("ALPINE-CVE-2024-0011", "Alpine:v3.19", "musl", "introduced:0", "fixed:1.2.4-r3"),
		),
		"Go": osvtest.Archive(t,
			// Two ranges: the fix is the lowest fixed version above the installed one.
			advisory("GO-2024-0001", "Go", "stdlib", "introduced:0", "fixed:1.21.8", "introduced:1.22.0-0", "fixed:1.22.1"),
			// Pseudo-versions order by their timestamp.
			advisory("GO-2024-0002", "Go", "golang.org/x/net", "introduced:0", "fixed:0.0.0-20230301000000-000000000000"),
			advisory("GO-2024-0003", "Go", "example.com/safe", "introduced:0", "fixed:1.0.0"),
		),
		"npm": osvtest.Archive(t,
			advisory("GHSA-aaaa-bbbb-cccc", "npm", "lodash", "introduced:0", "fixed:4.17.21"),
			// A prerelease precedes its release.
			advisory("GHSA-dddd-eeee-ffff", "npm", "@scope/pkg", "introduced:0", "fixed:2.0.0"),
		),
	}
	db := osvtest.DB(t, t.TempDir(), archives)
	pkgs := []*extractor.Package{
		deb("epochpkg", "epochpkg", "1:1.2-1"),
		deb("epochfix", "epochfix", "1.2-1"),
		deb("libssl3", "openssl", "3.0.11-1~deb12u2"),
		apk("busybox", "busybox", "1.36.1-r9"),
		apk("musl", "musl", "1.2.4-r10"),
		lang("golang", "go", "1.22.0"),
		lang("golang", "golang.org/x/net", "0.0.0-20220101000000-abcdefabcdef"),
		lang("golang", "example.com/safe", "1.2.0"),
		lang("npm", "lodash", "4.17.20"),
		lang("npm", "@scope/pkg", "2.0.0-beta.1"),
	}
	res, err := db.Match(context.Background(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ALPINE-CVE-2024-0010 busybox 1.36.1-r9 -> 1.36.1-r10",
		"DEBIAN-CVE-2024-0002 epochfix 1.2-1 -> 1:1.0-1",
		"DEBIAN-CVE-2024-0003 libssl3 3.0.11-1~deb12u2 -> 3.0.13-1~deb12u1",
		"DEBIAN-CVE-2024-0005 libssl3 3.0.11-1~deb12u2 -> (none)",
		"GHSA-aaaa-bbbb-cccc lodash 4.17.20 -> 4.17.21",
		"GHSA-dddd-eeee-ffff @scope/pkg 2.0.0-beta.1 -> 2.0.0",
		"GO-2024-0001 go 1.22.0 -> 1.22.1",
		"GO-2024-0002 golang.org/x/net 0.0.0-20220101000000-abcdefabcdef -> 0.0.0-20230301000000-000000000000",
	}
	if got := summary(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Matched != len(pkgs) || !res.Complete() {
		t.Errorf("matched %d of %d, missing %v, problems %v", res.Matched, len(pkgs), res.Missing, res.Problems)
	}
	for _, f := range res.Findings {
		if f.ID == "DEBIAN-CVE-2024-0003" && (f.Package != "openssl" || f.Binary != "libssl3" || f.Ecosystem != "Debian:12" || f.Location != "var/lib/dpkg/status") {
			t.Errorf("source package, binary, ecosystem or location wrong: %+v", f)
		}
	}
}

func TestMatchRatings(t *testing.T) {
	cvss31 := "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" // 9.8
	archives := map[string][]byte{
		"Debian": osvtest.Archive(t,
			// No rating of its own: takes the alias's from Ubuntu's archive.
			advisoryWith("DEBIAN-CVE-2024-1000", "Debian:12", "openssl", map[string]any{"upstream": []string{"CVE-2024-1000"}}, "introduced:0", "fixed:3.1-1"),
			advisoryWith("DEBIAN-CVE-2024-1001", "Debian:12", "openssl", map[string]any{"upstream": []string{"CVE-2024-1001"}}, "introduced:0", "fixed:3.1-1"),
			advisoryWith("DEBIAN-CVE-2024-1002", "Debian:12", "openssl", map[string]any{"upstream": []string{"CVE-2024-1002"}}, "introduced:0", "fixed:3.1-1"),
		),
		"Ubuntu": osvtest.Archive(t,
			// Ubuntu's priority is a word, used when no CVSS vector is given.
			advisoryWith("UBUNTU-CVE-2024-1001", "Ubuntu:22.04:LTS", "openssl", map[string]any{
				"upstream": []string{"CVE-2024-1001"},
				"severity": []any{map[string]string{"type": "Ubuntu", "score": "medium"}},
			}, "introduced:0", "fixed:3.1-1"),
			advisoryWith("UBUNTU-CVE-2024-1000", "Ubuntu:22.04:LTS", "openssl", map[string]any{
				"upstream": []string{"CVE-2024-1000"},
				"severity": []any{map[string]string{"type": "CVSS_V3", "score": cvss31}, map[string]string{"type": "Ubuntu", "score": "low"}},
			}, "introduced:0", "fixed:3.1-1"),
		),
		"npm": osvtest.Archive(t,
			advisoryWith("GHSA-1111-2222-3333", "npm", "minimist", map[string]any{
				"aliases":           []string{"CVE-2021-44906"},
				"database_specific": map[string]string{"severity": "MODERATE"},
			}, "introduced:0", "fixed:1.2.6"),
		),
	}
	db := osvtest.DB(t, t.TempDir(), archives)
	res, err := db.Match(context.Background(), []*extractor.Package{deb("openssl", "openssl", "3.0-1"), lang("npm", "minimist", "1.2.5")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.ID] = fmt.Sprintf("%s %g %s", f.Severity, f.CVSS, f.RatedBy)
	}
	want := map[string]string{
		"DEBIAN-CVE-2024-1000": "critical 9.8 UBUNTU-CVE-2024-1000",
		"DEBIAN-CVE-2024-1001": "medium 0 UBUNTU-CVE-2024-1001",
		"DEBIAN-CVE-2024-1002": "unrated 0 ",
		"GHSA-1111-2222-3333":  "medium 0 ",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: rating %q, want %q", id, got[id], w)
		}
	}
	if res.Findings[0].ID != "DEBIAN-CVE-2024-1000" || res.Findings[0].CVE() != "CVE-2024-1000" {
		t.Errorf("findings are not sorted worst first, or the CVE alias is lost: %+v", res.Findings[0])
	}
}

func TestMatchMissingAndDamaged(t *testing.T) {
	dir := t.TempDir()
	db := osvtest.DB(t, dir, map[string][]byte{
		"Debian": osvtest.Archive(t,
			// An event version dpkg's rules cannot read (the epoch is not a
			// number): osvlocal panics sorting the events; the advisory is
			// reported, the scan goes on.
			advisory("DEBIAN-CVE-2024-2000", "Debian:12", "openssl", "introduced:1-1", "fixed:x:3.1-1"),
			advisory("DEBIAN-CVE-2024-2001", "Debian:12", "openssl", "introduced:0", "fixed:3.1-1"),
		),
	})
	pkgs := []*extractor.Package{
		deb("openssl", "openssl", "3.0-1"),
		deb("broken", "broken", "x:1-1"),
		apk("musl", "musl", "1.2.4-r0"),
		lang("npm", "left-pad", "1.0.0"),
		{Name: "mystery", Version: "1"}, // no ecosystem
	}
	res, err := db.Match(context.Background(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(res.Findings); !slices.Equal(got, []string{"DEBIAN-CVE-2024-2001 openssl 3.0-1 -> 3.1-1"}) {
		t.Errorf("findings: %v", got)
	}
	if res.Missing["Alpine"] != 1 || res.Missing["npm"] != 1 || res.Unidentified != 1 || res.Complete() {
		t.Errorf("missing %v, unidentified %d", res.Missing, res.Unidentified)
	}
	if len(res.Problems) != 2 || !strings.Contains(strings.Join(res.Problems, "\n"), "DEBIAN-CVE-2024-2000") ||
		!strings.Contains(strings.Join(res.Problems, "\n"), `"broken"`) {
		t.Errorf("problems: %q", res.Problems)
	}

	// An archive replaced without its index is refused, not misread.
	db.Close()
	other := osvtest.Archive(t, advisory("DEBIAN-CVE-2024-2002", "Debian:12", "openssl", "introduced:0", "fixed:3.2-1"))
	if err := os.WriteFile(filepath.Join(dir, "Debian", "all.zip"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	res, err = db2.Match(context.Background(), pkgs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if res.Missing["Debian"] != 1 || !strings.Contains(strings.Join(res.Problems, "\n"), "changed after its index was built") {
		t.Errorf("stale archive: missing %v, problems %q", res.Missing, res.Problems)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	_, err := vulndb.Open(filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "kubeward images db update") {
		t.Errorf("Open of a missing directory: %v", err)
	}
}
