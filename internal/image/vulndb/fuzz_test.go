package vulndb

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	"github.com/kubeward/kubeward/internal/image/vuln"
)

// FuzzAdvisory feeds advisories, as a damaged or hostile archive could
// hold them, through decoding, the rewriting for osvlocal (PyPI names,
// Ubuntu LTS releases, GIT ranges), osvlocal's matcher (whose panics on
// bad versions are recovered), the fixed-version search, the rating and
// the grouping of findings. The real advisories of testdata/osv are seeds.
func FuzzAdvisory(f *testing.F) {
	f.Add([]byte(`{"id":"DEBIAN-CVE-2024-1","upstream":["CVE-2024-1"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1-1"}]}],"ecosystem_specific":{"urgency":"high"}}]}`))
	f.Add([]byte(`{"id":"X","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"CVSS_V4","score":"CVSS:4.0/AV:N"},{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1-1"},{"fixed":"x:3.1-1"},{"last_affected":"2"}]}],"versions":["3.0-1"]}]}`))
	f.Add([]byte(`{"id":"Y","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian","name":"openssl"}}]}`))
	f.Add([]byte(`{"id":"PYSEC-1","aliases":["CVE-1"],"affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},"ranges":[{"type":"GIT","repo":"x","events":[{"introduced":"0"}]},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`))
	f.Add([]byte(`{"id":"UBUNTU-CVE-1","upstream":["CVE-1"],"affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]},{"package":{"ecosystem":"Ubuntu:Pro:22.04:LTS","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1-1"}]}]}]}`))
	seeds, _ := filepath.Glob(filepath.Join("testdata", "osv", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var cands []*candidate
	for _, pkg := range []*extractor.Package{
		{Name: "libssl3", Version: "3.0-1", PURLType: "deb",
			Metadata: &dpkgmeta.Metadata{PackageName: "libssl3", SourceName: "openssl", OSID: "debian", OSVersionID: "12"}},
		{Name: "libssl3", Version: "3.0-1", PURLType: "deb",
			Metadata: &dpkgmeta.Metadata{PackageName: "libssl3", SourceName: "openssl", OSID: "ubuntu", OSVersionID: "22.04"}},
		{Name: "foo.bar", Version: "1.0", PURLType: "pypi"},
		{Name: "openssl-libs", Version: "3.0.7-16.el9_2", PURLType: "rpm",
			Metadata: &rpmmeta.Metadata{PackageName: "openssl-libs", Epoch: 1, OSID: "rocky", OSVersionID: "9.2"}},
		{Name: "openssl-libs", Version: "3.0.7-16.el9_2", PURLType: "rpm",
			Metadata: &rpmmeta.Metadata{PackageName: "openssl-libs", Epoch: 1, OSID: "rhel", OSCPEName: "cpe:/o:redhat:enterprise_linux:9::baseos"}},
		{Name: "libopenssl3", Version: "3.1.4-150600.5.7.1", PURLType: "rpm",
			Metadata: &rpmmeta.Metadata{PackageName: "libopenssl3", SourceRPM: "openssl-3-3.1.4-150600.5.7.1.src.rpm", OSID: "sles", OSVersionID: "15.6"}},
	} {
		c, err := newCandidate(pkg)
		if err != nil || c == nil {
			f.Fatal(pkg.Name, err)
		}
		cands = append(cands, c)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode(data)
		if err != nil {
			return
		}
		var fs []vuln.Finding
		for _, c := range cands {
			m := asMatched(v, c)
			if hit, err := affects(bySource(m, c), c.pkg); hit && err == nil {
				fs = append(fs, finding(m, c), finding(m, c))
			}
		}
		if got := group(fs); len(got) > len(fs) || (len(fs) > 0 && len(got) == 0) {
			t.Fatalf("grouping %d findings gave %d", len(fs), len(got))
		}
		_ = rate(v, v.GetAffected())
		for _, r := range binaryRecords(v) {
			if f := strings.Split(r, "\t"); len(f) != 3 || slices.Contains(f, "") || strings.ContainsAny(r, "\n\r") {
				t.Fatalf("binaries record %q", r)
			}
		}
	})
}

// TestBinaryNames reads both shapes of Canonical's binaries lists: the
// records of today (USN-6986-1's 24.04 entry) and the CVE records of 2024
// (the 24.04 entry of CVE-2024-0727 as canonical/ubuntu-security-notices
// held it at f7269e52117ed7b1e1bee9d2eccd4ec8c7e022a8, osv/cve/2024/,
// schema 1.6.3: one object mapping each binary to its version).
func TestBinaryNames(t *testing.T) {
	usn, err := os.ReadFile(filepath.Join("testdata", "osv", "USN-6986-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	old := `{"id": "CVE-2024-0727", "affected": [{
      "package": {
        "ecosystem": "Ubuntu:24.04:LTS",
        "name": "openssl",
        "purl": "pkg:deb/ubuntu/openssl@3.0.10-1ubuntu4?arch=src?distro=noble"
      },
      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.10-1ubuntu4"}]}],
      "versions": ["3.0.10-1ubuntu2", "3.0.10-1ubuntu2.1", "3.0.10-1ubuntu3"],
      "ecosystem_specific": {
        "binaries": [
          {
            "libssl-dev": "3.0.10-1ubuntu4",
            "libssl-doc": "3.0.10-1ubuntu4",
            "libssl3": "3.0.10-1ubuntu4",
            "libssl3-dbgsym": "3.0.10-1ubuntu4",
            "openssl": "3.0.10-1ubuntu4",
            "openssl-dbgsym": "3.0.10-1ubuntu4"
          }
        ],
        "availability": "No subscription required",
        "ubuntu_priority": "low",
        "priority_reason": "Upstream OpenSSL developers have rated this to be a low severity issue"
      }}]}`
	for _, tc := range []struct {
		record []byte
		want   []string
	}{{usn, []string{
		"libssl3\tUbuntu:22.04:LTS\topenssl", "openssl\tUbuntu:22.04:LTS\topenssl",
		"libssl3t64\tUbuntu:24.04:LTS\topenssl", "openssl\tUbuntu:24.04:LTS\topenssl",
	}}, {[]byte(old), []string{
		"libssl-dev\tUbuntu:24.04:LTS\topenssl", "libssl-doc\tUbuntu:24.04:LTS\topenssl", "libssl3\tUbuntu:24.04:LTS\topenssl",
		"libssl3-dbgsym\tUbuntu:24.04:LTS\topenssl", "openssl\tUbuntu:24.04:LTS\topenssl", "openssl-dbgsym\tUbuntu:24.04:LTS\topenssl",
	}}} {
		v, err := decode(tc.record)
		if err != nil {
			t.Fatal(err)
		}
		if got := binaryRecords(v); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q\nwant %q", v.GetId(), got, tc.want)
		}
	}
}
