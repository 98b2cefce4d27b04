package vulndb

import (
	"testing"

	"github.com/google/osv-scalibr/extractor"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/semantic"
)

// FuzzAdvisory feeds advisories, as a damaged or hostile archive could
// hold them, through decoding, osvlocal's matcher (whose panics on bad
// versions are recovered), the fixed-version search and the rating.
func FuzzAdvisory(f *testing.F) {
	f.Add([]byte(`{"id":"DEBIAN-CVE-2024-1","upstream":["CVE-2024-1"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1-1"}]}],"ecosystem_specific":{"urgency":"high"}}]}`))
	f.Add([]byte(`{"id":"X","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"CVSS_V4","score":"CVSS:4.0/AV:N"},{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1-1"},{"fixed":"x:3.1-1"},{"last_affected":"2"}]}],"versions":["3.0-1"]}]}`))
	f.Add([]byte(`{"id":"Y","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian","name":"openssl"}}]}`))
	pkg := &extractor.Package{Name: "libssl3", Version: "3.0-1", PURLType: "deb",
		Metadata: &dpkgmeta.Metadata{PackageName: "libssl3", SourceName: "openssl", OSID: "debian", OSVersionID: "12"}}
	eco := pkg.Ecosystem()
	installed, err := semantic.Parse(pkg.Version, eco.String())
	if err != nil {
		f.Fatal(err)
	}
	c := &candidate{pkg: pkg, eco: eco, names: names(pkg, eco), version: pkg.Version, installed: installed}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode(data)
		if err != nil {
			return
		}
		if hit, err := affects(v, pkg); hit && err == nil {
			_ = finding(v, c)
		}
		_ = rate(v, v.GetAffected())
	})
}
