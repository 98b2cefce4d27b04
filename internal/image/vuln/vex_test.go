package vuln

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/sharedtest"
	"github.com/openvex/go-vex/pkg/vex"
	packageurl "github.com/package-url/packageurl-go"
)

// goVEXTestdata is go-vex's own pkg/vex/testdata, read in place from the
// module cache.
func goVEXTestdata(t *testing.T) string {
	t.Helper()
	dir := sharedtest.ModulePath(t, "github.com/openvex/go-vex", "pkg", "vex", "testdata")
	for _, f := range []string{"v0.0.1.json", "v0.2.0.json", "v001-1.vex.json", "v020-1.vex.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("go-vex's testdata layout changed: %v", err)
		}
	}
	return dir
}

// vexCase is one finding in one image, judged against a set of documents.
type vexCase struct {
	img     Image
	f       Finding
	product string   // how go-vex is asked: the product...
	subs    []string // ...and the subcomponents
}

// goVEXDecision is what go-vex's own logic says of a case: the documents
// merged (vex.MergeDocuments cascades the documents' timestamps to their
// statements), the statements that match the product and subcomponents,
// and among them vex.EffectiveStatement's pick (the latest; of statements
// with one timestamp, the later in the document). The merged document is
// built anew for each case: EffectiveStatement sorts it in place.
func goVEXDecision(t *testing.T, files []string, c vexCase) vex.Status {
	t.Helper()
	var docs []*vex.VEX
	for _, name := range files {
		d, err := vex.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	merged, err := vex.MergeDocuments(docs)
	if err != nil {
		t.Fatal(err)
	}
	var latest *vex.Statement
	for _, id := range c.f.IDs() {
		only := *merged
		only.Statements = slices.DeleteFunc(slices.Clone(merged.Statements), func(s vex.Statement) bool {
			return !s.Matches(id, c.product, c.subs)
		})
		st := only.EffectiveStatement(c.product, id)
		if st != nil && (latest == nil || !st.Timestamp.Before(*latest.Timestamp)) {
			latest = st
		}
	}
	if latest == nil {
		return ""
	}
	return latest.Status
}

func kubewardDecision(t *testing.T, files []string, c vexCase) (Verdict, vex.Status) {
	t.Helper()
	p, err := (&Config{FailOn: "low", VEX: files}).Policy("")
	if err != nil {
		t.Fatal(err)
	}
	v := p.Judge(c.img, []Finding{c.f})[0]
	if v.VEX == nil {
		return v, ""
	}
	return v, v.VEX.Status
}

// checkVerdict asserts the verdict follows the status: not_affected and
// fixed drop the finding and say why, affected and under_investigation
// keep it and say so.
func checkVerdict(t *testing.T, v Verdict, status vex.Status) {
	t.Helper()
	switch status {
	case vex.StatusNotAffected, vex.StatusFixed:
		if v.Fails || !strings.HasPrefix(v.Passed, "VEX "+string(status)) || !strings.Contains(v.Passed, v.VEXDocument) {
			t.Errorf("%s: fails=%v passed=%q", status, v.Fails, v.Passed)
		}
	case vex.StatusAffected, vex.StatusUnderInvestigation:
		if !v.Fails || !strings.HasPrefix(v.Note, "VEX "+string(status)) {
			t.Errorf("%s: fails=%v note=%q", status, v.Fails, v.Note)
		}
	default:
		if !v.Fails || v.Note != "" {
			t.Errorf("no statement: fails=%v note=%q", v.Fails, v.Note)
		}
	}
}

// withQualifiers adds the qualifiers a scanner puts on an installed
// package's purl (architecture, distribution) to a document's purl.
func withQualifiers(t *testing.T, purl string, add map[string]string) string {
	t.Helper()
	u, err := packageurl.FromString(purl)
	if err != nil {
		t.Fatal(err)
	}
	m := u.Qualifiers.Map()
	for k, v := range add {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	u.Qualifiers = packageurl.QualifiersFromMap(m)
	return u.ToString()
}

func withVersion(t *testing.T, purl, version string) string {
	t.Helper()
	u, err := packageurl.FromString(purl)
	if err != nil {
		t.Fatal(err)
	}
	u.Version = version
	return u.ToString()
}

// casesOf builds, for every statement of the documents, the findings it
// speaks of (and near misses): the advisory by the statement's name, as an
// alias of another id, or unrelated; the package at the statement's version
// or another; for an image product, each subcomponent and a package it
// does not list, in the image or in an image of another digest.
func casesOf(t *testing.T, files []string) map[string]vexCase {
	t.Helper()
	out := map[string]vexCase{}
	other := Image{Reference: "cgr.dev/chainguard/tools:latest", Repository: "cgr.dev/chainguard/tools", Digest: "sha256:" + strings.Repeat("0f", 32)}
	for _, name := range files {
		d, err := vex.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		for si, st := range d.Statements {
			vuln := string(st.Vulnerability.Name)
			ids := map[string][]string{
				"by name":  {vuln},
				"by alias": {"GHSA-kubw-test-0001", vuln},
				"other":    {"CVE-1999-0001"},
			}
			for pi, p := range st.Products {
				for idName, id := range ids {
					base := func(purl string) Finding {
						return Finding{ID: id[0], Aliases: id[1:], Severity: High, Package: "pkg", Installed: "1", Fixed: "2", PURL: purl}
					}
					key := func(what string) string {
						return filepath.Base(name) + "/" + strings.Join([]string{itoa(si), itoa(pi), idName, what}, "/")
					}
					u, err := packageurl.FromString(p.ID)
					if err != nil {
						t.Fatalf("%s: product %q: %v", name, p.ID, err)
					}
					if u.Type != "oci" {
						pkg := withQualifiers(t, p.ID, map[string]string{"arch": "x86_64", "distro": "test-1"})
						out[key("package")] = vexCase{img: other, f: base(pkg), product: pkg}
						if u.Version != "" {
							pkg := withVersion(t, pkg, u.Version+"-other")
							out[key("package at another version")] = vexCase{img: other, f: base(pkg), product: pkg}
						}
						continue
					}
					repo := u.Qualifiers.Map()["repository_url"]
					if repo == "" {
						repo = "docker.io/library/" + u.Name
					}
					img := Image{Reference: repo + "@" + u.Version, Repository: repo, Digest: u.Version}
					moved := img
					moved.Digest = "sha256:" + strings.Repeat("9e", 32)
					pkgs := []string{"pkg:apk/alpine/busybox@1.36.1-r2"}
					for _, sc := range p.Subcomponents {
						pkgs = append(pkgs, sc.ID)
					}
					for _, sc := range pkgs {
						pkg := withQualifiers(t, sc, map[string]string{"arch": "x86_64", "distro": "alpine-3.18.2"})
						out[key("in the image: "+sc)] = vexCase{img: img, f: base(pkg), product: p.ID, subs: []string{pkg}}
						out[key("in another digest: "+sc)] = vexCase{img: moved, f: base(pkg),
							product: withVersion(t, p.ID, moved.Digest), subs: []string{pkg}}
					}
				}
			}
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestVEXAgreesWithGoVEX applies go-vex's own testdata documents (v0.0.1
// and v0.2.0, each alone, the pairs that speak of one product, and all
// together, in both orders) to the findings each statement speaks of, and
// requires kubeward's decision to be go-vex's.
func TestVEXAgreesWithGoVEX(t *testing.T) {
	dir := goVEXTestdata(t)
	path := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = filepath.Join(dir, n)
		}
		return out
	}
	readable := []string{"v0.0.1-noversion.json", "v0.0.1.json", "v0.2.0.json", "v001-1.vex.json", "v001-2.vex.json", "v020-1.vex.json", "v020-2.vex.json"}
	sets := [][]string{{"v001-1.vex.json", "v001-2.vex.json"}, {"v020-1.vex.json", "v020-2.vex.json"}, {"v0.0.1.json", "v001-1.vex.json"}, readable}
	for _, n := range readable {
		sets = append(sets, []string{n})
	}
	decided := map[vex.Status]int{}
	for _, set := range sets {
		for _, files := range [][]string{path(set...), path(reversed(set)...)} {
			for name, c := range casesOf(t, files) {
				t.Run(strings.Join(set, "+")+"/"+name, func(t *testing.T) {
					want := goVEXDecision(t, files, c)
					v, got := kubewardDecision(t, files, c)
					if got != want {
						t.Fatalf("kubeward %q, go-vex %q (finding %s %v %s in %+v)", got, want, c.f.ID, c.f.Aliases, c.f.PURL, c.img)
					}
					checkVerdict(t, v, got)
					decided[got]++
				})
			}
		}
	}
	// The cases must exercise every decision the documents hold, not
	// only "no statement".
	for _, s := range []vex.Status{"", vex.StatusFixed, vex.StatusNotAffected, vex.StatusUnderInvestigation} {
		if decided[s] == 0 {
			t.Errorf("no case decided %q: %v", s, decided)
		}
	}
}

// TestVEXSpecExamples applies the documents written from the OpenVEX
// specification's examples (testdata/openvex/README.md), in every order.
// Where the case can be put to go-vex (product, subcomponents), its
// decision must agree, or differ where the test says why.
func TestVEXSpecExamples(t *testing.T) {
	app := Image{Reference: "ghcr.io/acme/app:1.0", Repository: "ghcr.io/acme/app", Digest: "sha256:" + strings.Repeat("a1", 32)}
	appPURL := "pkg:oci/app@sha256%3A" + strings.Repeat("a1", 32)
	with := func(img Image, edit func(*Image)) Image { edit(&img); return img }
	libssl := Finding{ID: "DEBIAN-CVE-2023-0464", Aliases: []string{"CVE-2023-0464"}, Severity: High, Package: "openssl", Binary: "libssl3",
		Ecosystem: "Debian:12", Installed: "3.0.11-1~deb12u2", Fixed: "3.0.13-1~deb12u1",
		PURL: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=bookworm&source=openssl"}
	xnet := Finding{ID: "GO-2023-2102", Aliases: []string{"CVE-2023-44487", "GHSA-4374-p667-p6c8", "GHSA-qppj-fm5r-hxr3"}, Severity: High,
		Package: "golang.org/x/net", Ecosystem: "Go", Installed: "v0.15.0", Fixed: "v0.17.0", PURL: "pkg:golang/golang.org/x/net@v0.15.0"}
	log4j := Finding{ID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Severity: Critical, Package: "org.apache.logging.log4j:log4j-core",
		Ecosystem: "Maven", Installed: "2.14.1", Fixed: "2.15.0", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}
	spring := Finding{ID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Severity: Critical, Package: "org.springframework.boot:spring-boot",
		Ecosystem: "Maven", Installed: "2.6.0-M3", Fixed: "2.6.1", PURL: "pkg:maven/org.springframework.boot/spring-boot@2.6.0-M3"}
	git := Finding{ID: "CVE-2023-12345", Severity: High, Package: "git", Ecosystem: "Wolfi", Installed: "2.39.0-r1", Fixed: "2.39.0-r2",
		PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=armv7&distro=wolfi-20230201"}
	curl := Finding{ID: "CVE-2023-38545", Severity: Critical, Package: "curl", Ecosystem: "Alpine:v3.18", Installed: "8.3.0-r0", Fixed: "8.4.0-r0",
		PURL: "pkg:apk/alpine/curl@8.3.0-r0?arch=x86_64&distro=alpine-3.18.4"}
	wolfiCurl := Finding{ID: "CVE-2023-23914", Severity: High, Package: "curl", Ecosystem: "Wolfi", Installed: "7.87.0-r0", Fixed: "7.88.0-r0",
		PURL: "pkg:apk/wolfi/curl@7.87.0-r0?arch=x86_64&distro=wolfi-20230201"}
	xcrypto := Finding{ID: "GHSA-45x7-px36-x8w8", Severity: Medium, Package: "golang.org/x/crypto", Ecosystem: "Go", Installed: "v0.16.0", Fixed: "v0.17.0",
		PURL: "pkg:golang/golang.org/x/crypto@v0.16.0"}
	expat := Finding{ID: "DEBIAN-CVE-2024-28757", Aliases: []string{"CVE-2024-28757"}, Severity: High, Package: "expat", Binary: "libexpat1",
		Ecosystem: "Debian:12", Installed: "2.5.0-1", Fixed: "2.5.0-1+deb12u1", PURL: "pkg:deb/debian/libexpat1@2.5.0-1?arch=amd64&distro=bookworm&source=expat"}
	amd64 := with(app, func(i *Image) { i.Architecture, i.PlatformDigest = "amd64", "sha256:"+strings.Repeat("c3", 32) })
	nginx := Image{Reference: "nginx:1.25", Repository: "docker.io/library/nginx", Digest: "sha256:" + strings.Repeat("b2", 32)}
	nginxPURL := "pkg:oci/nginx@sha256%3A" + strings.Repeat("b2", 32) + "?repository_url=docker.io/library/nginx&tag=1.25"
	nginxFinding := func(id string) Finding {
		return Finding{ID: id, Severity: High, Package: "nginx", Ecosystem: "Debian:12", Installed: "1.22.1-9", Fixed: "1.22.1-9+deb12u1",
			PURL: "pkg:deb/debian/nginx@1.22.1-9?arch=amd64&distro=bookworm"}
	}
	for _, tc := range []struct {
		name   string
		docs   []string
		img    Image
		f      Finding
		want   vex.Status
		reason string // a substring of the verdict's Passed or Note
		// product and subs put the case to go-vex; goVEXDiffers says why
		// go-vex decides otherwise (in one order of the documents at least).
		product      string
		subs         []string
		goVEXDiffers string
	}{
		{name: "image with a tag-scoped statement about a Debian source package", docs: []string{"image-subcomponents.json"}, img: app, f: libssl,
			want: vex.StatusNotAffected, reason: "vulnerable_code_not_in_execute_path: The application never verifies",
			product: appPURL + "?repository_url=ghcr.io/acme/app&tag=1.0", subs: []string{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=bookworm"}},
		{name: "the same image under another tag", docs: []string{"image-subcomponents.json"}, f: libssl,
			img:     with(app, func(i *Image) { i.Reference = "ghcr.io/acme/app:latest" }),
			product: appPURL + "?repository_url=ghcr.io/acme/app&tag=latest", subs: []string{"pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=bookworm"}},
		{name: "an image product's subcomponent by versionless purl: affected, with the action", docs: []string{"image-subcomponents.json"}, img: app, f: xnet,
			want: vex.StatusAffected, reason: "Upgrade golang.org/x/net to v0.17.0",
			product: appPURL + "?repository_url=ghcr.io/acme/app&tag=1.0", subs: []string{xnet.PURL}},
		{name: "the same digest in another repository", docs: []string{"image-subcomponents.json"}, f: xnet,
			img:     with(app, func(i *Image) { i.Reference, i.Repository = "ghcr.io/other/app:1.0", "ghcr.io/other/app" }),
			product: appPURL + "?repository_url=ghcr.io/other/app&tag=1.0", subs: []string{xnet.PURL}},
		{name: "a package product by the advisory's alias", docs: []string{"spring-boot.json"}, img: app, f: spring,
			want: vex.StatusNotAffected, reason: "vulnerable_code_not_in_execute_path: Spring Boot users", product: spring.PURL},
		{name: "another version of the package", docs: []string{"spring-boot.json"}, img: app,
			f: func() Finding { f := spring; f.PURL = "pkg:maven/org.springframework.boot/spring-boot@2.5.0"; return f }(), product: "pkg:maven/org.springframework.boot/spring-boot@2.5.0"},
		{name: "an image named by its digest as a sha-256 hash", docs: []string{"spring-boot.json"}, f: log4j,
			img:  with(app, func(i *Image) { i.Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }),
			want: vex.StatusNotAffected, product: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", subs: []string{log4j.PURL}},
		{name: "a statement that inherits the document's later timestamp", docs: []string{"inherited-timestamp.json"}, img: app, f: git,
			want: vex.StatusFixed, product: git.PURL},
		{name: "another architecture", docs: []string{"inherited-timestamp.json"}, img: app,
			f: func() Finding { f := git; f.PURL = strings.Replace(f.PURL, "armv7", "x86_64", 1); return f }(), product: strings.Replace(git.PURL, "armv7", "x86_64", 1)},
		{name: "an older not_affected alone", docs: []string{"investigation-old.json"}, img: app, f: curl,
			want: vex.StatusNotAffected, reason: "component_not_present", product: appPURL + "?repository_url=ghcr.io/acme/app", subs: []string{curl.PURL}},
		{name: "a later under_investigation overrides it", docs: []string{"investigation-old.json", "investigation-new.json"}, img: app, f: curl,
			want: vex.StatusUnderInvestigation, product: appPURL + "?repository_url=ghcr.io/acme/app", subs: []string{curl.PURL}},
		{name: "of two statements of one time, the later in the document", docs: []string{"sequence.json"}, img: app, f: wolfiCurl,
			want: vex.StatusNotAffected, reason: "vulnerable_code_not_present", product: wolfiCurl.PURL},
		{name: "a later statement that names the advisory as an alias", docs: []string{"alias-later.json"}, img: app, f: xcrypto,
			want: vex.StatusAffected, reason: "upgrade golang.org/x/crypto", product: xcrypto.PURL,
			goVEXDiffers: "EffectiveStatement orders statements by vulnerability name before time, so GHSA-... outranks the later CVE-..."},
		{name: "conflicting statements of one instant in two documents: the finding stands", docs: []string{"tie-not-affected.json", "tie-affected.json"},
			img: app, f: expat, want: vex.StatusAffected, reason: "Upgrade libexpat1", product: expat.PURL,
			goVEXDiffers: "MergeDocuments keeps the documents' order, so the last document wins a tie"},
		{name: "a Docker Hub image named by index.docker.io", docs: []string{"dockerhub.json"}, img: nginx, f: nginxFinding("CVE-2023-44487"),
			want: vex.StatusNotAffected, reason: "vulnerable_code_not_in_execute_path", product: nginxPURL, subs: []string{nginxFinding("").PURL},
			goVEXDiffers: "go-vex compares repository_url as written; index.docker.io and docker.io are one registry"},
		{name: "an official Docker Hub image named without library/", docs: []string{"dockerhub.json"}, img: nginx, f: nginxFinding("CVE-2024-24990"),
			want: vex.StatusNotAffected, reason: "vulnerable_code_not_present", product: nginxPURL, subs: []string{nginxFinding("").PURL},
			goVEXDiffers: "go-vex compares repository_url as written; docker.io/nginx is docker.io/library/nginx"},
		{name: "the same digest in another registry's repository", docs: []string{"dockerhub.json"}, img: nginx, f: nginxFinding("CVE-2024-7347"),
			product: nginxPURL, subs: []string{nginxFinding("").PURL}},
		{name: "the platform's own manifest and architecture, of an image read from an index", docs: []string{"platform.json"}, img: amd64, f: nginxFinding("CVE-2023-44487"),
			want: vex.StatusNotAffected, reason: "vulnerable_code_not_in_execute_path", subs: []string{nginxFinding("").PURL},
			product: "pkg:oci/app@sha256%3A" + strings.Repeat("c3", 32) + "?arch=amd64&repository_url=ghcr.io/acme/app&tag=1.0"},
		{name: "the index's digest and another architecture", docs: []string{"platform.json"}, img: amd64, f: nginxFinding("CVE-2024-24990"),
			subs: []string{nginxFinding("").PURL}, product: appPURL + "?arch=amd64&repository_url=ghcr.io/acme/app&tag=1.0"},
		{name: "the index's digest and the architecture read", docs: []string{"platform.json"}, img: amd64, f: nginxFinding("CVE-2024-7347"),
			want: vex.StatusNotAffected, reason: "component_not_present", subs: []string{nginxFinding("").PURL},
			product: appPURL + "?arch=amd64&repository_url=ghcr.io/acme/app&tag=1.0"},
		{name: "an architecture not known (packages from an SBOM attestation)", docs: []string{"platform.json"}, img: app, f: nginxFinding("CVE-2024-7347"),
			subs: []string{nginxFinding("").PURL}, product: appPURL + "?repository_url=ghcr.io/acme/app&tag=1.0"},
	} {
		orders := [][]string{tc.docs}
		if len(tc.docs) > 1 {
			orders = append(orders, reversed(tc.docs))
		}
		goVEXDiffered := false
		for _, docs := range orders {
			files := make([]string, len(docs))
			for i, d := range docs {
				files[i] = filepath.Join("testdata", "openvex", d)
			}
			t.Run(tc.name+"/"+strings.Join(docs, "+"), func(t *testing.T) {
				c := vexCase{img: tc.img, f: tc.f, product: tc.product, subs: tc.subs}
				v, got := kubewardDecision(t, files, c)
				if got != tc.want {
					t.Fatalf("decided %q, want %q (passed %q, note %q)", got, tc.want, v.Passed, v.Note)
				}
				checkVerdict(t, v, got)
				if !strings.Contains(v.Passed+v.Note, tc.reason) {
					t.Errorf("passed %q, note %q: want %q", v.Passed, v.Note, tc.reason)
				}
				if goVEX := goVEXDecision(t, files, c); goVEX != got {
					goVEXDiffered = true
					if tc.goVEXDiffers == "" {
						t.Errorf("go-vex decides %q, kubeward %q", goVEX, got)
					}
				}
			})
		}
		if tc.goVEXDiffers != "" && !goVEXDiffered {
			t.Errorf("%s: go-vex agrees, yet the test says it differs: %s", tc.name, tc.goVEXDiffers)
		}
	}
}

// TestLoadVEXRefuses: a document kubeward cannot apply as written is an
// error at load that names the file, never a document that silently
// matches nothing.
func TestLoadVEXRefuses(t *testing.T) {
	upstream := goVEXTestdata(t)
	statement := func(fields string) string {
		return `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "a", "timestamp": "2024-01-01T00:00:00Z", "version": 1,
  "statements": [` + fields + `]}`
	}
	tmp := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	huge := filepath.Join(tmp, "huge.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil || os.Truncate(huge, maxVEXBytes+1) != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"CSAF (go-vex converts it to statements about CSAF product ids)", filepath.Join(upstream, "csaf.json"), "CSAF"},
		{"YAML", filepath.Join(upstream, "vex.yaml"), "not a JSON document"},
		{"a version go-vex does not read", write("v3.json", `{"@context": "https://openvex.dev/ns/v0.3.0", "statements": []}`), "v0.3.0"},
		{"v0.2.0 statements under the bare context, as the specification's examples", write("bare.json",
			`{"@context": "https://openvex.dev/ns", "timestamp": "2023-01-08T18:02:03-06:00", "version": 1, "statements": [{"vulnerability": {"name": "CVE-2023-12345"}, "products": [{"@id": "pkg:apk/wolfi/git@2.39.0-r1"}], "status": "fixed"}]}`),
			"v0.0.1"},
		{"no @context", write("nocontext.json", `{"statements": [{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}]}`), "not an OpenVEX document"},
		{"not JSON", write("text.json", "CVE-2024-1 not_affected"), "not a JSON document"},
		{"no statements", write("empty.json", statement("")), "no statements"},
		{"a status VEX does not define", write("status.json", statement(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "not-affected"}`)),
			`statement 1: CVE-1: status "not-affected"`},
		{"an unknown justification", write("just.json", statement(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "not_affected", "justification": "not_reachable"}`)),
			`justification "not_reachable"`},
		{"not_affected without a reason", write("why.json", statement(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "not_affected"}`)),
			"justification or an impact statement"},
		{"no product", write("noproduct.json", statement(`{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}`)), "names no product"},
		{"a product without identity", write("anon.json", statement(`{"vulnerability": {"name": "CVE-1"}, "products": [{"subcomponents": [{"@id": "pkg:deb/debian/x"}]}], "status": "fixed"}`)),
			"product 1 has no @id, identifiers or hashes"},
		{"an anonymous subcomponent", write("anonsub.json", statement(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:oci/app", "subcomponents": [{}]}], "status": "fixed"}`)),
			"subcomponent 1 of product 1"},
		{"no vulnerability", write("novuln.json", statement(`{"products": [{"@id": "pkg:deb/debian/x"}], "status": "fixed"}`)), "names no vulnerability"},
		{"no timestamp anywhere", write("notime.json", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "fixed"}]}`),
			"no timestamp"},
		{"trailing data", write("trailing.json", statement(`{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:deb/debian/x"}], "status": "fixed"}`)+"{}"),
			"not a JSON document"},
		{"larger than the bound", huge, "at most 16 MiB"},
		{"a device", "/dev/zero", "not a regular file"},
		{"a directory", tmp, "not a regular file"},
		{"missing", filepath.Join(tmp, "missing.json"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadVEX(tc.file)
			if err == nil || !strings.Contains(err.Error(), tc.file) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v; want an error naming %s and saying %q", err, tc.file, tc.want)
			}
		})
	}
}

// TestLoadVEXReads: every OpenVEX version go-vex reads loads, with its
// statements as go-vex reads them.
func TestLoadVEXReads(t *testing.T) {
	dir := goVEXTestdata(t)
	for _, n := range []string{"v0.0.1-noversion.json", "v0.0.1.json", "v0.2.0.json", "v001-1.vex.json", "v020-1.vex.json"} {
		want, err := vex.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadVEX(filepath.Join(dir, n))
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		if len(got.Doc.Statements) != len(want.Statements) || got.Doc.Statements[0].Status != want.Statements[0].Status ||
			got.Doc.Statements[0].Vulnerability.Name != want.Statements[0].Vulnerability.Name || got.Doc.ID != want.ID {
			t.Errorf("%s: read %+v, go-vex reads %+v", n, got.Doc, want)
		}
	}
}
