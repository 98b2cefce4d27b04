package vulndb

import (
	"os"
	"path/filepath"
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
	})
}
