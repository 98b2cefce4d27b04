package vulnscan_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
	"github.com/kubeward/kubeward/internal/image/vulnscan"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// fixedVerifier hands over the statements an image policy would trust.
type fixedVerifier struct{ stmts []resolve.Statement }

func (v fixedVerifier) Verify(context.Context, *registry.Session, name.Digest, *facts.Facts) []resolve.Statement {
	return v.stmts
}

func (fixedVerifier) Covers(string) bool { return true }

func report(t *testing.T, f *facts.Facts) *vuln.Report {
	t.Helper()
	an, ok := f.Analyses[vuln.AnalysisName]
	if !ok || an.Error != "" {
		t.Fatalf("no vulnerability analysis: %+v", f)
	}
	return an.Value.(*vuln.Report)
}

func ids(r *vuln.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s %s->%s", f.ID, f.PackageName(), f.Installed, f.Fixed))
	}
	slices.Sort(out)
	return out
}

// TestAnalyzer runs the analyzer inside the resolver against a registry
// behind TLS and basic authentication: the packages of the image's layers
// are matched once per digest, whatever the number of references; an SBOM
// attestation the policy trusts replaces the layers.
func TestAnalyzer(t *testing.T) {
	reg := registrytest.New(t)
	img := sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release": sbomtest.OSRelease("debian", "12", "bookworm"),
		"var/lib/dpkg/status": sbomtest.DpkgStatus(
			sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: "3.0.11-1~deb12u2"},
			sbomtest.Deb{Name: "zlib1g", Source: "zlib", Version: "1:1.2.13.dfsg-1"},
		),
		"app/package-lock.json": sbomtest.PackageLock(map[string]string{"lodash": "4.17.20"}),
	}))
	d := reg.Push(t, "acme/app:1.0", img)
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{
		"Debian": osvtest.Archive(t,
			`{"id":"DEBIAN-CVE-2024-0001","upstream":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`,
			`{"id":"DEBIAN-CVE-2024-0002","affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.3-1"}]}]}]}`,
		),
		"npm": osvtest.Archive(t,
			`{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`,
		),
	})
	client, err := registry.New(registry.Options{RootCAs: reg.CAs, Timeout: 5 * time.Second, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	keychains := func(context.Context, resolve.Use) (string, authn.Keychain, error) { return "test", reg.Keychain(), nil }
	an := &vulnscan.Analyzer{DB: db}
	r := resolve.New(resolve.Options{Client: client, Keychains: keychains, Analyzers: []resolve.Analyzer{an}})
	uses := []resolve.Use{{Image: reg.Host + "/acme/app:1.0"}, {Image: d.String()}}
	set := r.Resolve(context.Background(), uses)
	f, ok := set.Lookup(reg.Host + "/acme/app:1.0")
	if !ok || f.Error != "" {
		t.Fatalf("facts: %+v", f)
	}
	rep := report(t, f)
	want := []string{
		"DEBIAN-CVE-2024-0001 libssl3 3.0.11-1~deb12u2->3.0.13-1~deb12u1",
		"GHSA-35jh-r3h4-6jhm lodash 4.17.20->4.17.21",
	}
	if got := ids(rep); !slices.Equal(got, want) || rep.Source != "layers" || rep.Packages != 3 || !rep.Complete() {
		t.Errorf("report: %v (source %q, %d packages, missing %v, problems %v)\nwant %v", got, rep.Source, rep.Packages, rep.Missing, rep.Problems, want)
	}
	if byDigest, _ := set.Lookup(d.String()); byDigest != f {
		t.Errorf("the digest reference was analysed again")
	}

	// The image of a multi-platform index that was read is named, with its
	// own manifest's digest (VEX documents name images by both); an image
	// without an index has no second digest.
	if rep.Platform != "" || rep.PlatformDigest != "" {
		t.Errorf("a configuration without platform: %q %q", rep.Platform, rep.PlatformDigest)
	}
	withPlatform := func(img v1.Image, arch string) v1.Image {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		out, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	amd, arm := withPlatform(img, "amd64"), withPlatform(img, "arm64")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}})
	reg.PushIndex(t, "acme/multi:1.0", idx)
	amdDigest, err := amd.Digest()
	if err != nil {
		t.Fatal(err)
	}
	r = resolve.New(resolve.Options{Client: client, Keychains: keychains, Analyzers: []resolve.Analyzer{an}})
	multi := report(t, must(set2(r, []resolve.Use{{Image: reg.Host + "/acme/multi:1.0"}})))
	if multi.Platform != "linux/amd64" || multi.PlatformDigest != amdDigest.String() {
		t.Errorf("from an index: platform %q, digest %q; want linux/amd64, %s", multi.Platform, multi.PlatformDigest, amdDigest)
	}
	single := report(t, must(set2(r, []resolve.Use{{Image: reg.Host + "/acme/arm:1.0"}, {Image: reg.Push(t, "acme/arm:1.0", arm).String()}})))
	if single.Platform != "linux/arm64" || single.PlatformDigest != "" {
		t.Errorf("a single image: platform %q, digest %q; want linux/arm64 and none", single.Platform, single.PlatformDigest)
	}

	// An SBOM attestation the policy trusts is read instead of the layers:
	// here it lists an older lodash than the layers hold.
	l, err := sbom.FromImage(context.Background(), img, sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var spdx bytes.Buffer
	if err := l.Write(&spdx, "spdx", sbom.Subject{Reference: d.String()}); err != nil {
		t.Fatal(err)
	}
	attested := strings.Replace(spdx.String(), "pkg:npm/lodash@4.17.20", "pkg:npm/lodash@4.17.4", 1)
	r = resolve.New(resolve.Options{Client: client, Keychains: keychains, Analyzers: []resolve.Analyzer{an},
		Verifier: fixedVerifier{[]resolve.Statement{
			{PredicateType: "https://slsa.dev/provenance/v1", Predicate: []byte(`{}`), Signer: "ci@acme"},
			{PredicateType: sbom.PredicateSPDX, Predicate: []byte(attested), Signer: "ci@acme"},
		}}})
	rep = report(t, must(set2(r, uses)))
	if got := ids(rep); !slices.Contains(got, "GHSA-35jh-r3h4-6jhm lodash 4.17.4->4.17.21") || !strings.HasPrefix(rep.Source, "attestation https://spdx.dev/Document") {
		t.Errorf("from the attestation: %v (source %q)", got, rep.Source)
	}

	// A damaged SBOM attestation is the analysis's error, not a pass.
	r = resolve.New(resolve.Options{Client: client, Keychains: keychains, Analyzers: []resolve.Analyzer{an},
		Verifier: fixedVerifier{[]resolve.Statement{{PredicateType: sbom.PredicateCycloneDX, Predicate: []byte(`{"bomFormat":`), Signer: "ci@acme"}}}})
	f = must(set2(r, uses))
	if an := f.Analyses[vuln.AnalysisName]; an.Error == "" || !strings.Contains(an.Error, "signed by ci@acme") {
		t.Errorf("damaged attestation: %+v", an)
	}
}

func set2(r *resolve.Resolver, uses []resolve.Use) (*facts.Facts, bool) {
	return r.Resolve(context.Background(), uses).Lookup(uses[0].Image)
}

func must(f *facts.Facts, ok bool) *facts.Facts {
	if !ok {
		panic("no facts")
	}
	return f
}

// TestAnalyzerLanguages: an image of real installed artefacts of the
// language ecosystems, pushed to the registry, is judged from its layers
// against real advisories: Debian's google-protobuf gem is affected,
// Newtonsoft.Json 13.0.1 is the fix of GHSA-5crp-9r3c-p9vr.
func TestAnalyzerLanguages(t *testing.T) {
	reg := registrytest.New(t)
	reg.Push(t, "acme/langs:1.0", sbomtest.Image(t, sbomtest.LanguageLayer(t)))
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{
		"RubyGems":  osvtest.Archive(t, osvtest.Real(t, "GHSA-735f-pc8j-v9w8")...),
		"crates.io": osvtest.Archive(t, osvtest.Real(t, "RUSTSEC-2021-0003")...),
		"NuGet":     osvtest.Archive(t, osvtest.Real(t, "GHSA-5crp-9r3c-p9vr", "GHSA-rh58-r7jh-xhx3")...),
		"Packagist": osvtest.Archive(t, osvtest.Real(t, "GHSA-77rm-9x9h-xj3g")...),
	})
	r := analyzingResolver(t, reg, db)
	rep := report(t, must(set2(r, []resolve.Use{{Image: reg.Host + "/acme/langs:1.0"}})))
	want := []string{"GHSA-735f-pc8j-v9w8 google-protobuf 3.21.12->3.25.5"}
	if got := ids(rep); !slices.Equal(got, want) || rep.Packages != 22 || !rep.Complete() {
		t.Errorf("report: %v (%d packages, missing %v, problems %v)\nwant %v", got, rep.Packages, rep.Missing, rep.Problems, want)
	}
}

// Real os-release files of the images osv-scalibr's rpm databases come from
// (rockylinux:9.2.20230513, opensuse/leap:15.5), and of an SLE 15 SP5 image
// (registry.suse.com/bci/bci-base:15.5), whose packages are built from the
// code stream openSUSE Leap 15.5 shares.
const (
	rocky92OSRelease = `NAME="Rocky Linux"
VERSION="9.2 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.2"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.2 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.2"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.2"
`
	leap155OSRelease = `NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Leap"
LOGO="distributor-logo-Leap"
`
	sles155OSRelease = `NAME="SLES"
VERSION="15-SP5"
VERSION_ID="15.5"
PRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"
ID="sles"
ID_LIKE="suse"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:suse:sles:15:sp5"
DOCUMENTATION_URL="https://documentation.suse.com/"
`
)

// TestAnalyzerRPMDistributions: images of real rpm databases (osv-scalibr's
// rpm extractor testdata: Rocky Linux 9.2's rpmdb.sqlite, openSUSE Leap
// 15.5's NDB Packages.db) and real os-release files, pushed to the
// registry, are judged from their layers. The advisories are written for
// the test in osv.dev's shapes and spellings (Rocky Linux:9 with rpm
// epochs in fixed versions and binary package names; openSUSE:Leap 15.5
// and SUSE's module products naming source rpms) about packages these
// databases hold: a vulnerable package is reported with its release's fix,
// a fixed one, another release's entry and an older epoch are not.
func TestAnalyzerRPMDistributions(t *testing.T) {
	rpmdb := func(name string) []byte {
		b, err := os.ReadFile(sharedtest.ModulePath(t, "github.com/google/osv-scalibr", "extractor/filesystem/os/rpm/testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rocky, leap := rpmdb("rpmdb.sqlite"), rpmdb("Packages.db")
	reg := registrytest.New(t)
	reg.Push(t, "acme/rocky:9.2", sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":           {Data: []byte(rocky92OSRelease)},
		"var/lib/rpm/rpmdb.sqlite": {Data: rocky},
	})))
	reg.Push(t, "acme/leap:15.5", sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":                   {Data: []byte(leap155OSRelease)},
		"usr/lib/sysimage/rpm/Packages.db": {Data: leap},
	})))
	reg.Push(t, "acme/sles:15.5", sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":                   {Data: []byte(sles155OSRelease)},
		"usr/lib/sysimage/rpm/Packages.db": {Data: leap},
	})))
	entry := func(eco, name, fixed string) string {
		return fmt.Sprintf(`{"package": {"ecosystem": %q, "name": %q}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": %q}]}]}`, eco, name, fixed)
	}
	advisory := func(id string, entries ...string) string {
		return fmt.Sprintf(`{"id": %q, "modified": "2099-01-01T00:00:00Z", "affected": [%s]}`, id, strings.Join(entries, ","))
	}
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{
		"Rocky Linux": osvtest.Archive(t,
			// openssl-libs 1:3.0.7-6.el9_2 is installed: affected.
			advisory("RLSA-2099:0001", entry("Rocky Linux:9", "openssl-libs", "1:3.0.7-16.el9_2"), entry("Rocky Linux:8", "openssl-libs", "1:1.1.1k-9.el8_7")),
			// libcurl-minimal 7.76.1-23.el9_2.1: el9_2.1 is before el9_2.2.
			advisory("RLSA-2099:0002", entry("Rocky Linux:9", "libcurl-minimal", "7.76.1-23.el9_2.2")),
			// bash 5.1.8-6.el9_1 is the fix.
			advisory("RLSA-2099:0003", entry("Rocky Linux:9", "bash", "5.1.8-6.el9_1")),
			// vim-minimal is 2:8.2.2637-20.el9_1: epoch 2 is after 1:...-21.
			advisory("RLSA-2099:0004", entry("Rocky Linux:9", "vim-minimal", "1:8.2.2637-21.el9")),
			// Rocky 8's glibc fix is no Rocky 9 image's.
			advisory("RLSA-2099:0005", entry("Rocky Linux:8", "glibc", "2.34-100.el8")),
		),
		"openSUSE": osvtest.Archive(t,
			// libopenssl1_1 1.1.1l-150500.15.3 is built from openssl-1_1.
			advisory("openSUSE-SU-2099:0001-1", entry("openSUSE:Leap 15.5", "openssl-1_1", "1.1.1l-150500.17.25.1")),
			// libz1 1.2.13-150500.2.1, from zlib, is the fix.
			advisory("openSUSE-SU-2099:0002-1", entry("openSUSE:Leap 15.5", "zlib", "1.2.13-150500.2.1")),
			advisory("openSUSE-SU-2099:0003-1", entry("openSUSE:Leap 15.4", "curl", "7.79.1-150400.5.30.1")),
		),
		"SUSE": osvtest.Archive(t,
			advisory("SUSE-SU-2099:0001-1",
				entry("SUSE:Linux Enterprise Module for Basesystem 15 SP5", "openssl-1_1", "1.1.1l-150500.17.25.1"),
				entry("SUSE:Linux Enterprise Server 15 SP4", "openssl-1_1", "1.1.1l-150400.7.60.2")),
			advisory("SUSE-SU-2099:0002-1", entry("SUSE:Linux Enterprise Module for Basesystem 15 SP4", "curl", "7.79.1-150400.5.30.1")),
		),
	})
	r := analyzingResolver(t, reg, db)
	for _, tc := range []struct {
		image, eco string
		packages   int
		want       []string
	}{{
		image: "acme/rocky:9.2", eco: "Rocky Linux:9", packages: 141,
		want: []string{
			"RLSA-2099:0001 openssl-libs 1:3.0.7-6.el9_2->1:3.0.7-16.el9_2",
			"RLSA-2099:0002 libcurl-minimal 7.76.1-23.el9_2.1->7.76.1-23.el9_2.2",
		},
	}, {
		image: "acme/leap:15.5", eco: "openSUSE:Leap 15.5", packages: 137,
		// Every binary of the source rpm is affected, as SUSE states.
		want: []string{
			"openSUSE-SU-2099:0001-1 libopenssl1_1 1.1.1l-150500.15.3->1.1.1l-150500.17.25.1",
			"openSUSE-SU-2099:0001-1 libopenssl1_1-hmac 1.1.1l-150500.15.3->1.1.1l-150500.17.25.1",
			"openSUSE-SU-2099:0001-1 openssl-1_1 1.1.1l-150500.15.3->1.1.1l-150500.17.25.1",
		},
	}, {
		image: "acme/sles:15.5", eco: "SUSE:Linux Enterprise Server 15 SP5", packages: 137,
		// Every binary of the source rpm is affected, as SUSE states.
		want: []string{
			"SUSE-SU-2099:0001-1 libopenssl1_1 1.1.1l-150500.15.3->1.1.1l-150500.17.25.1",
			"SUSE-SU-2099:0001-1 libopenssl1_1-hmac 1.1.1l-150500.15.3->1.1.1l-150500.17.25.1",
			"SUSE-SU-2099:0001-1 openssl-1_1 1.1.1l-150500.15.3->1.1.1l-150500.17.25.1",
		},
	}} {
		t.Run(tc.image, func(t *testing.T) {
			rep := report(t, must(set2(r, []resolve.Use{{Image: reg.Host + "/" + tc.image}})))
			if got := ids(rep); !slices.Equal(got, tc.want) || rep.Packages != tc.packages || !rep.Complete() {
				t.Errorf("report: %v (%d packages, missing %v, problems %v)\nwant %v", got, rep.Packages, rep.Missing, rep.Problems, tc.want)
			}
			for _, f := range rep.Findings {
				if f.Ecosystem != tc.eco {
					t.Errorf("%s: ecosystem %q, want %q", f.ID, f.Ecosystem, tc.eco)
				}
			}
		})
	}
}

// analyzingResolver resolves images of reg through the vulnerability
// analyzer over db.
func analyzingResolver(t *testing.T, reg *registrytest.Registry, db *vulndb.DB) *resolve.Resolver {
	t.Helper()
	client, err := registry.New(registry.Options{RootCAs: reg.CAs, Timeout: 5 * time.Second, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	keychains := func(context.Context, resolve.Use) (string, authn.Keychain, error) { return "test", reg.Keychain(), nil }
	return resolve.New(resolve.Options{Client: client, Keychains: keychains, Analyzers: []resolve.Analyzer{&vulnscan.Analyzer{DB: db}}})
}

// ubuntuNobleOSRelease is Ubuntu 24.04.2's os-release, as osv-scalibr's
// chisel extractor test has it (extractor/filesystem/os/chisel/chisel_test.go).
const ubuntuNobleOSRelease = `PRETTY_NAME="Ubuntu 24.04.2 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.2 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo`

// TestAnalyzerChiselled: an Ubuntu 24.04 chiselled image (the real chisel
// manifest of osv-scalibr's chisel extractor testdata: base-files, libc6
// 2.39-0ubuntu8.4, libssl3t64 and openssl 3.0.13-0ubuntu3.5, and no dpkg
// database) is judged from its layers against Canonical's real records,
// which name source packages: libssl3t64 is openssl's binary (USN-7786-1,
// fixed in 3.0.13-0ubuntu3.6), libc6 glibc's (UBUNTU-CVE-2025-8058, not
// fixed in 24.04); USN-6986-1's 24.04 fix (3.0.13-0ubuntu3.4) is older
// than the image's, and its 22.04 entry (libssl3) is another release's.
func TestAnalyzerChiselled(t *testing.T) {
	wall, err := os.ReadFile(sharedtest.ModulePath(t, "github.com/google/osv-scalibr", "extractor/filesystem/os/chisel/testdata/chisel/openssl.wall"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registrytest.New(t)
	reg.Push(t, "acme/chiselled:1.0", sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release":               {Data: []byte(ubuntuNobleOSRelease)},
		"var/lib/chisel/manifest.wall": {Data: wall},
	})))
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{
		"Ubuntu": osvtest.Archive(t, osvtest.Real(t, "USN-7786-1", "USN-6986-1", "UBUNTU-CVE-2025-8058")...),
	})
	r := analyzingResolver(t, reg, db)
	rep := report(t, must(set2(r, []resolve.Use{{Image: reg.Host + "/acme/chiselled:1.0"}})))
	type row struct{ id, pkg, binary, installed, fixed, eco, location string }
	var got []row
	for _, f := range rep.Findings {
		got = append(got, row{f.ID, f.Package, f.Binary, f.Installed, f.Fixed, f.Ecosystem, f.Location})
	}
	slices.SortFunc(got, func(a, b row) int { return strings.Compare(a.id+a.binary+a.pkg, b.id+b.binary+b.pkg) })
	const manifest = "var/lib/chisel/manifest.wall"
	want := []row{
		{"UBUNTU-CVE-2025-8058", "glibc", "libc6", "2.39-0ubuntu8.4", "", "Ubuntu:24.04:LTS", manifest},
		{"USN-7786-1", "openssl", "libssl3t64", "3.0.13-0ubuntu3.5", "3.0.13-0ubuntu3.6", "Ubuntu:24.04:LTS", manifest},
		{"USN-7786-1", "openssl", "", "3.0.13-0ubuntu3.5", "3.0.13-0ubuntu3.6", "Ubuntu:24.04:LTS", manifest},
	}
	if !slices.Equal(got, want) || rep.Packages != 4 || !rep.Complete() {
		t.Errorf("report: %v (%d packages, missing %v, problems %v)\nwant %v", got, rep.Packages, rep.Missing, rep.Problems, want)
	}
	for _, f := range rep.Findings {
		if f.Binary != "" && !strings.Contains(f.PURL, "source="+f.Package) {
			t.Errorf("%s %s: purl %q does not name the source package %s", f.ID, f.Binary, f.PURL, f.Package)
		}
	}
}
