package vulndb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// realArchives zips the real advisories of testdata/osv (their sources
// are in its README) into the archives of their ecosystems.
func realArchives(t *testing.T, byEco map[string][]string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for eco, ids := range byEco {
		out[eco] = osvtest.Archive(t, osvtest.Real(t, ids...)...)
	}
	return out
}

func matchArchives(t *testing.T, archives map[string][]byte, pkgs ...*extractor.Package) *vuln.Report {
	t.Helper()
	db := osvtest.DB(t, t.TempDir(), archives)
	res, err := db.Match(context.Background(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete() {
		t.Errorf("missing %v, problems %q", res.Missing, res.Problems)
	}
	return res
}

// report renders findings as osv-scanner's table reads: ids, ecosystem,
// package, installed -> fixed, rating.
func report(fs []vuln.Finding) []string {
	var out []string
	for _, f := range fs {
		fixed := f.Fixed
		if fixed == "" {
			fixed = "(none)"
		}
		out = append(out, fmt.Sprintf("%s [%s] %s %s %s -> %s %s %g", f.ID, strings.Join(f.Aliases, " "),
			f.Ecosystem, f.PackageName(), f.Installed, fixed, f.Severity, f.CVSS))
	}
	slices.Sort(out)
	return out
}

func dpkg(name, source, version, osID, versionID, codename string) *extractor.Package {
	return &extractor.Package{Name: name, Version: version, PURLType: "deb",
		Metadata: &dpkgmeta.Metadata{PackageName: name, SourceName: source, PackageVersion: version,
			OSID: osID, OSVersionID: versionID, OSVersionCodename: codename}}
}

func alpine(name, origin, version, release string) *extractor.Package {
	return &extractor.Package{Name: name, Version: version, PURLType: "apk",
		Metadata: &apkmeta.Metadata{PackageName: name, OriginName: origin, OSID: "alpine", OSVersionID: release}}
}

// rpm is an rpm as osv-scalibr's rpm extractor describes it, with the
// os-release of its image.
func rpm(name, version string, epoch int, osID, versionID, cpe string) *extractor.Package {
	return &extractor.Package{Name: name, Version: version, PURLType: "rpm",
		Metadata: &rpmmeta.Metadata{PackageName: name, Epoch: epoch, OSID: osID, OSVersionID: versionID, OSCPEName: cpe}}
}

func maven(group, artifact, version string) *extractor.Package {
	return &extractor.Package{Name: group + ":" + artifact, Version: version, PURLType: "maven",
		Metadata: &archivemeta.Metadata{GroupID: group, ArtifactID: artifact}}
}

// TestRealAdvisories matches packages as osv-scalibr's extractors describe
// them against real OSV advisories, and expects what osv-scanner reports:
// the advisory, the ecosystem as advisories name it, the lowest fix above
// the installed version in the affected ranges (none when the release has
// none), and the highest CVSS score of the advisory's vectors.
func TestRealAdvisories(t *testing.T) {
	archives := realArchives(t, map[string][]string{
		"Debian":      {"DEBIAN-CVE-2024-58382"},
		"Ubuntu":      {"UBUNTU-CVE-2025-29769"},
		"Alpine":      {"ALPINE-CVE-2026-80255"},
		"Rocky Linux": {"RLSA-2026-66203"},
		"AlmaLinux":   {"ALSA-2026-66392"},
		"Red Hat":     {"RHSA-2024-0001", "RHSA-2025-9978"},
		"Maven":       {"GHSA-vmq6-5m68-f53m", "GHSA-288c-cq4h-88gq"},
		"Go":          {"GO-2022-1144", "GO-2024-2887", "GO-2024-2937", "GHSA-9phm-fm57-rhg8", "GHSA-cx3w-xqmc-84g5", "GHSA-xrjj-mj9h-534m"},
		"RubyGems":    {"GHSA-735f-pc8j-v9w8", "GHSA-h4h5-3hr4-j3g2", "GHSA-wrvw-hg22-4m67"},
		"crates.io":   {"RUSTSEC-2021-0003"},
		"NuGet":       {"GHSA-5crp-9r3c-p9vr", "GHSA-rh58-r7jh-xhx3", "GHSA-77rm-9x9h-xj3g"},
		"Packagist":   {"GHSA-77rm-9x9h-xj3g"},
	})
	cases := []struct {
		name string
		pkg  *extractor.Package
		want []string
	}{{
		// Debian 12 lists the vulnerable versions and no fix; Debian 13's fix
		// (2.6.0-1) is not this release's. Rated by its CVSS v4 vector.
		name: "Debian release without a fix",
		pkg:  dpkg("php-league-commonmark", "php-league-commonmark", "2.3.9-1+deb12u1", "debian", "12", "bookworm"),
		want: []string{"DEBIAN-CVE-2024-58382 [CVE-2024-58382] Debian:12 php-league-commonmark 2.3.9-1+deb12u1 -> (none) high 8.7"},
	}, {
		name: "Debian release the advisory does not name",
		pkg:  dpkg("php-league-commonmark", "php-league-commonmark", "2.3.9-1", "debian", "11", "bullseye"),
	}, {
		// os-release says VERSION_ID="22.04"; Canonical's advisories say
		// Ubuntu:22.04:LTS. The fix of the Pro pocket is not the release's.
		// CVSS v4 8.5 beats the NVD v3.1 5.5 and the priority word.
		name: "Ubuntu LTS release, binary of a source package",
		pkg:  dpkg("libvips42", "vips", "8.12.1-1", "ubuntu", "22.04", "jammy"),
		want: []string{"UBUNTU-CVE-2025-29769 [CVE-2025-29769] Ubuntu:22.04:LTS libvips42 8.12.1-1 -> (none) high 8.5"},
	}, {
		name: "Ubuntu interim release the advisory does not name",
		pkg:  dpkg("libvips42", "vips", "8.16.1-1", "ubuntu", "25.04", "plucky"),
	}, {
		name: "Alpine branch, binary of an origin package",
		pkg:  alpine("libcurl", "curl", "8.14.1-r2", "3.23.2"),
		want: []string{"ALPINE-CVE-2026-80255 [CVE-2026-80255] Alpine:v3.23 libcurl 8.14.1-r2 -> 8.22.0-r0 unrated 0"},
	}, {
		name: "Alpine fixed revision",
		pkg:  alpine("curl", "curl", "8.22.0-r0", "3.23.2"),
	}, {
		name: "Alpine below introduced",
		pkg:  alpine("curl", "curl", "8.12.1-r9", "3.23.2"),
	}, {
		name: "Alpine branch the advisory does not name",
		pkg:  alpine("curl", "curl", "8.14.1-r2", "3.22.1"),
	}, {
		name: "Rocky Linux, fix written with an epoch",
		pkg: &extractor.Package{Name: "python3.12-lxml", Version: "4.9.3-2.el9_8", PURLType: "rpm",
			Metadata: &rpmmeta.Metadata{PackageName: "python3.12-lxml", OSID: "rocky", OSVersionID: "9.4"}},
		want: []string{"RLSA-2026:66203 [CVE-2026-49825] Rocky Linux:9 python3.12-lxml 4.9.3-2.el9_8 -> 0:4.9.3-2.el9_8.1 high 8.2"},
	}, {
		name: "Rocky Linux fixed",
		pkg: &extractor.Package{Name: "python3.12-lxml", Version: "4.9.3-2.el9_8.1", PURLType: "rpm",
			Metadata: &rpmmeta.Metadata{PackageName: "python3.12-lxml", OSID: "rocky", OSVersionID: "9.4"}},
	}, {
		// osv-scalibr names Rocky's ecosystem without the release, which
		// osvlocal takes for every release: Rocky 9's fix (el9_8.1) is
		// above any el8 build, and would be reported against Rocky 8.
		name: "Rocky Linux release the advisory does not name",
		pkg:  rpm("python3.12-lxml", "4.9.3-2.el8", 0, "rocky", "8.10", ""),
	}, {
		// os-release's VERSION_ID 10.0; AlmaLinux's advisories name the major
		// release, as osv-scalibr does; the advisory lists binary packages.
		// Its CVEs are "related", not aliases: osv-scanner does not group
		// or name it by them either.
		name: "AlmaLinux, binary package of the advisory",
		pkg:  rpm("apr-util-devel", "1.6.3-23.el10", 0, "almalinux", "10.0", ""),
		want: []string{"ALSA-2026:66392 [] AlmaLinux:10 apr-util-devel 1.6.3-23.el10 -> 1.6.3-23.el10_2.1 unrated 0"},
	}, {
		name: "AlmaLinux fixed",
		pkg:  rpm("apr-util", "1.6.3-23.el10_2.1", 0, "almalinux", "10.0", ""),
	}, {
		name: "AlmaLinux release the advisory does not name",
		pkg:  rpm("apr-util", "1.6.1-23.el9", 0, "almalinux", "9.6", ""),
	}, {
		// A RHEL image's os-release names the BaseOS repository
		// (CPE_NAME cpe:/o:redhat:enterprise_linux:9::baseos); its AppStream
		// packages' advisories are keyed ...::appstream. The EUS stream's
		// fix (el9_2) is another build, not this release's.
		name: "Red Hat, AppStream package on a BaseOS image",
		pkg:  rpm("thunderbird", "115.5.0-1.el9_3", 0, "rhel", "9.3", "cpe:/o:redhat:enterprise_linux:9::baseos"),
		want: []string{"RHSA-2024:0001 [CVE-2023-6856 CVE-2023-50761] Red Hat:enterprise_linux:9::baseos thunderbird 115.5.0-1.el9_3 -> 0:115.6.0-1.el9_3 high 8.8"},
	}, {
		name: "Red Hat, package in both repositories",
		pkg:  rpm("sudo", "1.9.5p2-10.el9_3", 0, "rhel", "9.3", "cpe:/o:redhat:enterprise_linux:9::baseos"),
		want: []string{"RHSA-2025:9978 [CVE-2025-32462] Red Hat:enterprise_linux:9::baseos sudo 1.9.5p2-10.el9_3 -> 0:1.9.5p2-10.el9_6.1 unrated 0"},
	}, {
		name: "Red Hat fixed",
		pkg:  rpm("sudo", "1.9.5p2-10.el9_6.1", 0, "rhel", "9.6", "cpe:/o:redhat:enterprise_linux:9::baseos"),
	}, {
		name: "Red Hat release the advisory does not name",
		pkg:  rpm("sudo", "1.9.5p2-9.el8", 0, "rhel", "8.10", "cpe:/o:redhat:enterprise_linux:8::baseos"),
	}, {
		// Two affected entries for one artifact: the fix of the entry that
		// holds the installed version.
		name: "Maven, second affected entry",
		pkg:  maven("ch.qos.logback", "logback-classic", "1.4.5"),
		want: []string{"GHSA-vmq6-5m68-f53m [CVE-2023-6378] Maven ch.qos.logback:logback-classic 1.4.5 -> 1.4.12 high 7.1"},
	}, {
		name: "Maven, first affected entry",
		pkg:  maven("ch.qos.logback", "logback-core", "1.3.5"),
		want: []string{"GHSA-vmq6-5m68-f53m [CVE-2023-6378] Maven ch.qos.logback:logback-core 1.3.5 -> 1.3.12 high 7.1"},
	}, {
		name: "Maven fixed",
		pkg:  maven("ch.qos.logback", "logback-classic", "1.4.12"),
	}, {
		// introduced 2.7.0.0 is 2.7.0 under Maven's rules.
		name: "Maven, trailing zeros",
		pkg:  maven("com.fasterxml.jackson.core", "jackson-databind", "2.7.0"),
		want: []string{"GHSA-288c-cq4h-88gq [CVE-2020-25649] Maven com.fasterxml.jackson.core:jackson-databind 2.7.0 -> 2.9.10.7 high 7.5"},
	}, {
		// The toolchain of a Go binary is the stdlib module; two fixed
		// branches in one range.
		name: "Go stdlib, newer branch",
		pkg:  lang("golang", "go", "1.22.3"),
		want: []string{"GO-2024-2887 [CVE-2024-24790] Go go 1.22.3 -> 1.22.4 unrated 0"},
	}, {
		name: "Go stdlib, older branch and a second advisory",
		pkg:  lang("golang", "go", "1.19.1"),
		want: []string{
			"GO-2022-1144 [CVE-2022-41717 GHSA-xrjj-mj9h-534m] Go go 1.19.1 -> 1.19.4 medium 5.3",
			"GO-2024-2887 [CVE-2024-24790] Go go 1.19.1 -> 1.21.11 unrated 0",
		},
	}, {
		// GHSA-xrjj-mj9h-534m names the package golang.org/x/net/http2, not
		// the module: only GO-2022-1144 applies, rated by its alias.
		name: "Go module, rating of an alias",
		pkg:  lang("golang", "golang.org/x/net", "0.3.0"),
		want: []string{"GO-2022-1144 [CVE-2022-41717 GHSA-xrjj-mj9h-534m] Go golang.org/x/net 0.3.0 -> 0.4.0 medium 5.3"},
	}, {
		// The Go database's and GitHub's advisories of one flaw are one
		// finding, rated by GitHub's CVSS v4 vector (8.7 over v3.1's 7.5).
		name: "Go module, two advisories of one flaw",
		pkg:  lang("golang", "golang.org/x/image", "0.17.0"),
		want: []string{"GO-2024-2937 [CVE-2024-24792 GHSA-9phm-fm57-rhg8] Go golang.org/x/image 0.17.0 -> 0.18.0 high 8.7"},
	}, {
		name: "Go module fixed",
		pkg:  lang("golang", "golang.org/x/image", "0.18.0"),
	}, {
		// GitHub writes Go ranges as ECOSYSTEM.
		name: "Go module, ECOSYSTEM range",
		pkg:  lang("golang", "github.com/git-lfs/git-lfs", "2.13.1"),
		want: []string{"GHSA-cx3w-xqmc-84g5 [CVE-2021-21237] Go github.com/git-lfs/git-lfs 2.13.1 -> 2.13.2 high 7.2"},
	}, {
		// Three affected entries of one gem: the branch of 3.21.x, whose
		// introduced event is a pre-release under RubyGems' rules.
		name: "RubyGems, pre-release introduced",
		pkg:  lang("gem", "google-protobuf", "3.21.5"),
		want: []string{
			"GHSA-735f-pc8j-v9w8 [CVE-2024-7254] RubyGems google-protobuf 3.21.5 -> 3.25.5 high 8.7",
			"GHSA-h4h5-3hr4-j3g2 [CVE-2022-3171] RubyGems google-protobuf 3.21.5 -> 3.21.7 medium 5.7",
		},
	}, {
		name: "RubyGems, pre-release of an affected branch",
		pkg:  lang("gem", "google-protobuf", "4.28.0.rc.2"),
		want: []string{"GHSA-735f-pc8j-v9w8 [CVE-2024-7254] RubyGems google-protobuf 4.28.0.rc.2 -> 4.28.2 high 8.7"},
	}, {
		name: "RubyGems fixed",
		pkg:  lang("gem", "google-protobuf", "4.27.5"),
	}, {
		// RustSec writes both branches in one SEMVER range.
		name: "crates.io, older branch",
		pkg:  lang("cargo", "smallvec", "0.6.13"),
		want: []string{"RUSTSEC-2021-0003 [CVE-2021-25900 GHSA-43w2-9j62-hq99] crates.io smallvec 0.6.13 -> 0.6.14 critical 9.8"},
	}, {
		name: "crates.io, newer branch",
		pkg:  lang("cargo", "smallvec", "1.6.0"),
		want: []string{"RUSTSEC-2021-0003 [CVE-2021-25900 GHSA-43w2-9j62-hq99] crates.io smallvec 1.6.0 -> 1.6.1 critical 9.8"},
	}, {
		name: "crates.io fixed",
		pkg:  lang("cargo", "smallvec", "1.6.1"),
	}, {
		// The runtime a self-contained .NET application carries, under its
		// NuGet package's name; one entry per release branch.
		name: "NuGet, .NET runtime pack",
		pkg:  lang("nuget", "Microsoft.NETCore.App.Runtime.linux-x64", "5.0.5"),
		want: []string{"GHSA-rh58-r7jh-xhx3 [CVE-2021-26423] NuGet Microsoft.NETCore.App.Runtime.linux-x64 5.0.5 -> 5.0.9 high 7.5"},
	}, {
		name: "NuGet, older runtime branch",
		pkg:  lang("nuget", "Microsoft.NETCore.App.Runtime.linux-x64", "3.1.17"),
		want: []string{"GHSA-rh58-r7jh-xhx3 [CVE-2021-26423] NuGet Microsoft.NETCore.App.Runtime.linux-x64 3.1.17 -> 3.1.18 high 7.5"},
	}, {
		name: "NuGet runtime fixed",
		pkg:  lang("nuget", "Microsoft.NETCore.App.Runtime.linux-x64", "5.0.9"),
	}, {
		// An advisory without a vector is rated by GitHub's word.
		name: "NuGet package",
		pkg:  lang("nuget", "Newtonsoft.Json", "12.0.3"),
		want: []string{"GHSA-5crp-9r3c-p9vr [] NuGet Newtonsoft.Json 12.0.3 -> 13.0.1 low 0"},
	}, {
		name: "NuGet package fixed",
		pkg:  lang("nuget", "Newtonsoft.Json", "13.0.1"),
	}, {
		// composer.lock writes tags as released: v3.14.0.
		name: "Packagist, version with a v",
		pkg:  lang("composer", "google/protobuf", "v3.14.0"),
		want: []string{"GHSA-77rm-9x9h-xj3g [CVE-2021-22570 PYSEC-2022-48] Packagist google/protobuf v3.14.0 -> 3.15.0 high 7.5"},
	}, {
		name: "Packagist fixed",
		pkg:  lang("composer", "google/protobuf", "v3.15.0"),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := matchArchives(t, archives, tc.pkg)
			if got := report(res.Findings); !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestMatchPyPINames: a PyPI project has one name under PEP 503 (Foo_Bar,
// foo.bar and foo-bar are one project), which osv.dev applies to the
// advisory's name as to the query's. The record is written for the test,
// in the shape of PYSEC's (a GIT range beside the ECOSYSTEM one, the
// versions enumerated) with a CVSS v2 vector only.
func TestMatchPyPINames(t *testing.T) {
	rec := `{"schema_version": "1.6.0", "id": "PYSEC-2099-1", "modified": "2099-01-01T00:00:00Z", "aliases": ["CVE-2099-1"],
	  "severity": [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"}],
	  "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar.Baz", "purl": "pkg:pypi/foo-bar-baz"},
	    "ranges": [{"type": "GIT", "repo": "https://github.com/example/foo", "events": [{"introduced": "0"}, {"fixed": "0123456789abcdef0123456789abcdef01234567"}]},
	               {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}],
	    "versions": ["1.0", "1.1"]}]}`
	archives := map[string][]byte{"PyPI": osvtest.Archive(t, rec)}
	for _, name := range []string{"Foo_Bar.Baz", "foo-bar-baz", "FOO.BAR_BAZ", "foo_bar_baz"} {
		res := matchArchives(t, archives, lang("pypi", name, "1.1"))
		// CVSS v2 10.0: osv-scanner rates v2 scores in CVSS v3.0's bands.
		want := []string{fmt.Sprintf("PYSEC-2099-1 [CVE-2099-1] PyPI %s 1.1 -> 2.0 critical 10", name)}
		if got := report(res.Findings); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
		if len(res.Findings) == 1 && (res.Findings[0].Package != name || res.Findings[0].Binary != "") {
			t.Errorf("%s: package %q binary %q, want the installed name", name, res.Findings[0].Package, res.Findings[0].Binary)
		}
	}
	for _, name := range []string{"foo-bar", "foobarbaz"} {
		if res := matchArchives(t, archives, lang("pypi", name, "1.1")); len(res.Findings) != 0 {
			t.Errorf("%s: %q", name, report(res.Findings))
		}
	}
	// 1.5 is not in the versions list but in the ECOSYSTEM range, which
	// osv.dev reads past the GIT range (osvlocal alone stops at it); 2.0 is
	// fixed whatever the GIT range says.
	for version, want := range map[string]int{"1.5": 1, "2.0": 0} {
		if res := matchArchives(t, archives, lang("pypi", "foo-bar-baz", version)); len(res.Findings) != want {
			t.Errorf("%s: %q, want %d finding", version, report(res.Findings), want)
		}
	}
}

// TestMatchSourceNamedRPMs: OSV's SUSE, openSUSE and Mageia ecosystems
// name the source rpm (osv-schema's ecosystems.json: "the name of the
// source RPM", with the binaries listed beside it), and SUSE keys its
// entries by product and service pack as PRETTY_NAME writes them, its
// modules among them, where osv-scalibr names an SLE image's release by
// VERSION_ID (SUSE:15.5). The records are written for the test in that
// shape (no real SUSE, openSUSE or Mageia record was found to copy).
func TestMatchSourceNamedRPMs(t *testing.T) {
	suse := `{"id": "SUSE-SU-2099:0001-1", "modified": "2099-01-01T00:00:00Z", "upstream": ["CVE-2099-0001"],
	  "affected": [
	    {"package": {"ecosystem": "SUSE:Linux Enterprise Module for Basesystem 15 SP5", "name": "openssl-3",
	      "purl": "pkg:rpm/suse/openssl-3&distro=SUSE%20Linux%20Enterprise%20Module%20for%20Basesystem%2015%20SP5"},
	     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.8-150500.5.20.1"}]}],
	     "ecosystem_specific": {"binaries": [{"libopenssl3": "3.0.8-150500.5.20.1", "openssl-3": "3.0.8-150500.5.20.1"}]}},
	    {"package": {"ecosystem": "SUSE:Linux Enterprise Server 15 SP4", "name": "openssl-3"},
	     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.1-150400.4.40.1"}]}],
	     "ecosystem_specific": {"binaries": [{"libopenssl3": "3.0.1-150400.4.40.1"}]}},
	    {"package": {"ecosystem": "SUSE:Linux Enterprise Micro 5.5", "name": "openssl-3"},
	     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.8-150500.5.21.1"}]}]},
	    {"package": {"ecosystem": "openSUSE:Leap 15.5", "name": "openssl-3"},
	     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.8-150500.5.20.1"}]}],
	     "ecosystem_specific": {"binaries": [{"libopenssl3": "3.0.8-150500.5.20.1"}]}}
	  ]}`
	mageia := `{"id": "MGASA-2099-0001", "modified": "2099-01-01T00:00:00Z", "upstream": ["CVE-2099-0001"],
	  "affected": [{"package": {"ecosystem": "Mageia:9", "name": "openssl", "purl": "pkg:rpm/mageia/openssl?distro=mageia-9"},
	    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.15-1.mga9"}]}]}]}`
	archives := map[string][]byte{
		"SUSE":     osvtest.Archive(t, suse),
		"openSUSE": osvtest.Archive(t, suse),
		"Mageia":   osvtest.Archive(t, mageia),
	}
	pkg := func(name, version, source, osID, versionID string) *extractor.Package {
		return &extractor.Package{Name: name, Version: version, PURLType: "rpm",
			Metadata: &rpmmeta.Metadata{PackageName: name, SourceRPM: source, OSID: osID, OSVersionID: versionID}}
	}
	for _, tc := range []struct {
		name string
		pkg  *extractor.Package
		want []string
	}{{
		// An SLE BCI image: ID=sles, VERSION_ID=15.5; the library is the
		// Basesystem module's.
		name: "SLE 15 SP5, module of the code stream",
		pkg:  pkg("libopenssl3", "3.0.8-150500.5.14.1", "openssl-3-3.0.8-150500.5.14.1.src.rpm", "sles", "15.5"),
		want: []string{"SUSE-SU-2099:0001-1 [CVE-2099-0001] SUSE:Linux Enterprise Server 15 SP5 libopenssl3 3.0.8-150500.5.14.1 -> 3.0.8-150500.5.20.1 unrated 0"},
	}, {
		name: "SLE 15 SP4",
		pkg:  pkg("libopenssl3", "3.0.1-150400.4.30.1", "openssl-3-3.0.1-150400.4.30.1.src.rpm", "sles", "15.4"),
		want: []string{"SUSE-SU-2099:0001-1 [CVE-2099-0001] SUSE:Linux Enterprise Server 15 SP4 libopenssl3 3.0.1-150400.4.30.1 -> 3.0.1-150400.4.40.1 unrated 0"},
	}, {
		name: "SLE fixed",
		pkg:  pkg("libopenssl3", "3.0.8-150500.5.20.1", "openssl-3-3.0.8-150500.5.20.1.src.rpm", "sles", "15.5"),
	}, {
		name: "SLE service pack the advisory does not name",
		pkg:  pkg("libopenssl3", "3.0.8-150500.5.14.1", "openssl-3-3.0.8-150500.5.14.1.src.rpm", "sles", "15.6"),
	}, {
		name: "another source package of the same binary name",
		pkg:  pkg("libopenssl3", "3.0.8-150500.5.14.1", "openssl-3-fips-3.0.8-150500.5.14.1.src.rpm", "sles", "15.5"),
	}, {
		name: "openSUSE Leap",
		pkg:  pkg("libopenssl3", "3.0.8-150500.5.14.1", "openssl-3-3.0.8-150500.5.14.1.src.rpm", "opensuse-leap", "15.5"),
		want: []string{"SUSE-SU-2099:0001-1 [CVE-2099-0001] openSUSE:Leap 15.5 libopenssl3 3.0.8-150500.5.14.1 -> 3.0.8-150500.5.20.1 unrated 0"},
	}, {
		name: "openSUSE Leap release the advisory does not name",
		pkg:  pkg("libopenssl3", "3.0.8-150500.5.14.1", "openssl-3-3.0.8-150500.5.14.1.src.rpm", "opensuse-leap", "15.6"),
	}, {
		name: "Mageia, binary of the source package",
		pkg:  pkg("lib64openssl3", "3.0.13-1.mga9", "openssl-3.0.13-1.mga9.src.rpm", "mageia", "9"),
		want: []string{"MGASA-2099-0001 [CVE-2099-0001] Mageia:9 lib64openssl3 3.0.13-1.mga9 -> 3.0.15-1.mga9 unrated 0"},
	}, {
		name: "Mageia fixed",
		pkg:  pkg("lib64openssl3", "3.0.15-1.mga9", "openssl-3.0.15-1.mga9.src.rpm", "mageia", "9"),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := matchArchives(t, archives, tc.pkg)
			if got := report(res.Findings); !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, f := range res.Findings {
				if m := tc.pkg.Metadata.(*rpmmeta.Metadata); f.Binary != tc.pkg.Name || !strings.HasPrefix(m.SourceRPM, f.Package+"-") {
					t.Errorf("package %q binary %q, want the source package and the binary", f.Package, f.Binary)
				}
			}
		})
	}
}

// TestAzureLinuxNotCompared: osv-scalibr v0.5.3's semantic package has no
// version rules for the Azure Linux ecosystem (nor has osv-scanner, built
// on it), so its packages are reported as not compared, never as passed.
func TestAzureLinuxNotCompared(t *testing.T) {
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{"Azure Linux": osvtest.Archive(t,
		`{"id": "AZL-2099-1", "affected": [{"package": {"ecosystem": "Azure Linux:3", "name": "zlib"},
		  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.3.1-1.azl3"}]}]}]}`)})
	res, err := db.Match(context.Background(), []*extractor.Package{rpm("zlib", "1.3-1.azl3", 0, "azurelinux", "3.0", "")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Complete() || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "cannot be compared") {
		t.Errorf("complete %v, problems %q, findings %q", res.Complete(), res.Problems, report(res.Findings))
	}
}
