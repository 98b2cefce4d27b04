package vulndb_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem/os/chisel"
	dpkgextractor "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"

	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// chiselled is a binary package as osv-scalibr's chisel extractor
// describes it: no source package, the image's os-release.
func chiselled(name, version, versionID, codename string) *extractor.Package {
	p := dpkg(name, "", version, "ubuntu", versionID, codename)
	p.Location = extractor.LocationFromPath("var/lib/chisel/manifest.wall")
	p.Plugins = []string{chisel.Name}
	return p
}

// TestMatchBinariesBySource: a binary package whose source is not known is
// matched by the source package Canonical's real records list it under in
// its own release (their ecosystem_specific.binaries): libssl3t64 is
// openssl's in 24.04, libssl3 in 22.04. A binary no record of its release
// lists (libssl3 in 24.04) keeps its own name, and a package of a dpkg
// database keeps what dpkg says (no Source field: its own name).
func TestMatchBinariesBySource(t *testing.T) {
	archives := realArchives(t, map[string][]string{"Ubuntu": {"USN-6986-1", "USN-7786-1", "UBUNTU-CVE-2025-8058"}})
	fromDpkg := dpkg("libssl3t64", "", "3.0.13-0ubuntu3.3", "ubuntu", "24.04", "noble")
	fromDpkg.Plugins = []string{dpkgextractor.Name}
	res := matchArchives(t, archives,
		chiselled("libssl3t64", "3.0.13-0ubuntu3.3", "24.04", "noble"),
		chiselled("libssl3", "3.0.13-0ubuntu3.3", "24.04", "noble"),
		chiselled("libssl3", "3.0.2-0ubuntu1.18", "22.04", "jammy"),
		chiselled("libc6", "2.35-0ubuntu3.9", "22.04", "jammy"),
		fromDpkg,
	)
	want := []string{
		"UBUNTU-CVE-2025-8058 [CVE-2025-8058] Ubuntu:22.04:LTS libc6 2.35-0ubuntu3.9 -> (none) medium 5.9",
		"USN-6986-1 [UBUNTU-CVE-2024-6119] Ubuntu:24.04:LTS libssl3t64 3.0.13-0ubuntu3.3 -> 3.0.13-0ubuntu3.4 unrated 0",
		"USN-7786-1 [UBUNTU-CVE-2025-9230 UBUNTU-CVE-2025-9231 UBUNTU-CVE-2025-9232] Ubuntu:22.04:LTS libssl3 3.0.2-0ubuntu1.18 -> 3.0.2-0ubuntu1.20 unrated 0",
		"USN-7786-1 [UBUNTU-CVE-2025-9230 UBUNTU-CVE-2025-9231 UBUNTU-CVE-2025-9232] Ubuntu:24.04:LTS libssl3t64 3.0.13-0ubuntu3.3 -> 3.0.13-0ubuntu3.6 unrated 0",
	}
	if got := report(res.Findings); !slices.Equal(got, want) || !res.Complete() {
		t.Errorf("findings:\n%s\nwant:\n%s\n(problems %v)", strings.Join(got, "\n"), strings.Join(want, "\n"), res.Problems)
	}
	for _, f := range res.Findings {
		if want := map[string]string{"libc6": "glibc", "libssl3": "openssl", "libssl3t64": "openssl"}[f.Binary]; f.Package != want {
			t.Errorf("%s %s: source %q, want %q", f.ID, f.Binary, f.Package, want)
		}
	}
}

// TestMatchBinariesOldIndex: an index written before binaries files were
// still opens, but a package of unknown source is then not fully judged
// (the report says so, with the command that fixes it), and the next
// update rebuilds the index although the archive has not changed.
func TestMatchBinariesOldIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := osvtest.Serve(t, realArchives(t, map[string][]string{"Ubuntu": {"USN-7786-1"}}))
	opts := vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: []string{"Ubuntu"}}
	if _, err := vulndb.Update(ctx, dir, opts); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "Ubuntu", "kubeward.binaries")); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Match(ctx, []*extractor.Package{chiselled("libssl3t64", "3.0.13-0ubuntu3.5", "24.04", "noble")})
	db.Close()
	if err != nil || len(res.Findings) != 0 || res.Complete() || !strings.Contains(strings.Join(res.Problems, "\n"), "kubeward images db update") {
		t.Fatalf("match over an old index: %v, %+v", err, res)
	}
	up, err := vulndb.Update(ctx, dir, opts)
	if err != nil || up[0].Unchanged || srv.Downloads("Ubuntu") != 2 {
		t.Fatalf("update over an old index: %+v, %v, %d downloads", up, err, srv.Downloads("Ubuntu"))
	}
	if got := matchOne(t, dir, chiselled("libssl3t64", "3.0.13-0ubuntu3.5", "24.04", "noble")); !slices.Equal(got, []string{"USN-7786-1 libssl3t64 3.0.13-0ubuntu3.5 -> 3.0.13-0ubuntu3.6"}) {
		t.Errorf("after the update: %v", got)
	}
}
