package sbom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// debianImage has a Debian 12 base layer and an app layer with a Go
// binary and a package-lock.json; a last layer deletes a leftover
// lockfile of the build stage.
func debianImage(t *testing.T) v1.Image {
	t.Helper()
	base := sbomtest.Layer(t, map[string]sbomtest.File{
		"etc/os-release": sbomtest.OSRelease("debian", "12", "bookworm"),
		"var/lib/dpkg/status": sbomtest.DpkgStatus(
			sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: "3.0.11-1~deb12u2"},
			sbomtest.Deb{Name: "zlib1g", Source: "zlib", Version: "1:1.2.13.dfsg-1"},
			sbomtest.Deb{Name: "base-files", Version: "12.4+deb12u5"},
		),
	})
	app := sbomtest.Layer(t, map[string]sbomtest.File{
		"app/server":              sbomtest.GoBinary(t, "golang.org/x/net", "v0.17.0"),
		"app/package-lock.json":   sbomtest.PackageLock(map[string]string{"lodash": "4.17.20", "@scope/pkg": "2.0.0"}),
		"build/package-lock.json": sbomtest.PackageLock(map[string]string{"left-pad": "1.0.0"}),
	})
	cleanup := sbomtest.Layer(t, map[string]sbomtest.File{"build/package-lock.json": {Whiteout: true}})
	return sbomtest.Image(t, base, app, cleanup)
}

func purls(l *sbom.List) []string {
	var out []string
	for _, p := range l.Packages {
		if u := p.PURL(); u != nil {
			out = append(out, u.String())
		} else {
			out = append(out, "(no purl) "+p.Name+"@"+p.Version)
		}
	}
	return out
}

func TestFromImage(t *testing.T) {
	l, err := sbom.FromImage(context.Background(), debianImage(t), sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	goVersion := sbomtest.GoVersion(t)
	want := []string{
		"pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=bookworm",
		"pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=bookworm&source=openssl",
		"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=bookworm&source=zlib",
		"pkg:golang/golang.org/x/net@0.17.0",
		"pkg:golang/go@" + goVersion,
		"pkg:npm/%40scope/pkg@2.0.0?source=PUBLIC_REGISTRY",
		"pkg:npm/lodash@4.17.20?source=PUBLIC_REGISTRY",
	}
	got := purls(l)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s", w)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "left-pad") {
			t.Errorf("a file deleted by a later layer was read: %s", g)
		}
	}
	if t.Failed() {
		t.Logf("got:\n%s", strings.Join(got, "\n"))
	}
	if l.Source != "layers" || len(l.Problems) != 0 {
		t.Errorf("source %q, problems %v", l.Source, l.Problems)
	}
}

// debianSBOM is debianImage's package list, and the subject it is written
// for.
func debianSBOM(t *testing.T) (*sbom.List, sbom.Subject) {
	t.Helper()
	l, err := sbom.FromImage(context.Background(), debianImage(t), sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	subject := sbom.Subject{Reference: "ghcr.io/acme/app:1.0", Repository: "ghcr.io/acme/app",
		Digest: "sha256:" + strings.Repeat("ab", 32), Tool: "kubeward", ToolVersion: "test"}
	return l, subject
}

// TestWriteAndReadBack writes both formats, checks what the formats
// require, and reads each back as an attestation predicate: the same
// packages, with what matching needs (source package, release).
func TestWriteAndReadBack(t *testing.T) {
	l, subject := debianSBOM(t)
	for _, tc := range []struct {
		format, predicate string
		check             func(t *testing.T, doc map[string]any)
	}{
		{"spdx", sbom.PredicateSPDX, func(t *testing.T, doc map[string]any) {
			if doc["spdxVersion"] != "SPDX-2.3" || doc["name"] != "ghcr.io/acme/app:1.0" ||
				!strings.HasPrefix(fmt.Sprint(doc["documentNamespace"]), "https://kubeward.dev/spdx/ghcr.io/acme/app@"+subject.Digest+"/") {
				t.Errorf("document header: %v %v %v", doc["spdxVersion"], doc["name"], doc["documentNamespace"])
			}
			b, _ := json.Marshal(doc["packages"])
			if !strings.Contains(string(b), `"primaryPackagePurpose":"CONTAINER"`) || !strings.Contains(string(b), "pkg:oci/app@sha256") {
				t.Errorf("the image is not the described package: %s", b)
			}
		}},
		{"cyclonedx", sbom.PredicateCycloneDX + "/v1.5", func(t *testing.T, doc map[string]any) {
			md, _ := doc["metadata"].(map[string]any)
			comp, _ := md["component"].(map[string]any)
			if doc["bomFormat"] != "CycloneDX" || comp["type"] != "container" || comp["name"] != "ghcr.io/acme/app" ||
				!strings.HasPrefix(fmt.Sprint(comp["purl"]), "pkg:oci/app@sha256") {
				t.Errorf("BOM header: %v %v", doc["bomFormat"], comp)
			}
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := l.Write(&buf, tc.format, subject); err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			tc.check(t, doc)
			back, err := sbom.FromPredicate(context.Background(), tc.predicate, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(back.Packages), len(l.Packages); got != want {
				t.Errorf("read back %d packages, wrote %d:\n%s", got, want, strings.Join(purls(back), "\n"))
			}
			if got, want := purls(back), purls(l); !slices.Equal(got, want) {
				t.Errorf("read back:\n%s\nwrote:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, p := range back.Packages {
				if p.Name == "libssl3" && p.Ecosystem().String() != "Debian:12" {
					t.Errorf("libssl3 read back with ecosystem %q", p.Ecosystem())
				}
			}
		})
	}
	if err := l.Write(&bytes.Buffer{}, "swid", subject); err == nil {
		t.Error("an unknown format was accepted")
	}
}

func TestFromPredicateRefusesNonSBOMs(t *testing.T) {
	for _, tc := range []struct{ typ, body, want string }{
		{"https://slsa.dev/provenance/v1", `{}`, "not an SBOM"},
		// SPDX 3 is JSON-LD, another model: not read as SPDX 2.
		{"https://spdx.dev/Document/v3", `{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}`, "not an SBOM"},
		{sbom.PredicateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}`, "lists no packages"},
		// Components known by CPE alone cannot be matched.
		{sbom.PredicateCycloneDX + "/v1.6", `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"openssl","version":"3.0.11","cpe":"cpe:2.3:a:openssl:openssl:3.0.11:*:*:*:*:*:*:*"}]}`, "lists no packages with a purl"},
		{sbom.PredicateSPDX, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://x","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]}}`, "lists no packages"},
		{sbom.PredicateSPDX, `"not an SPDX document"`, "reading the SBOM"},
		{sbom.PredicateSPDX, `not json`, "reading the SBOM"},
		// osv-scalibr's SPDX reader dereferences these nils (found by fuzzing).
		{sbom.PredicateSPDX, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[null]}`, "malformed document"},
		{sbom.PredicateSPDX, `{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"SPDXRef-p","name":"x","externalRefs":[null]}]}`, "malformed document"},
	} {
		if _, err := sbom.FromPredicate(context.Background(), tc.typ, []byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.typ, tc.body, err, tc.want)
		}
	}
	// An SBOM of an image in which nothing was found lists the image
	// alone: nothing to match, not an empty pass.
	subject := sbom.Subject{Reference: "ghcr.io/acme/static:1", Repository: "ghcr.io/acme/static", Digest: "sha256:" + strings.Repeat("cd", 32)}
	for format, typ := range map[string]string{"spdx": sbom.PredicateSPDX, "cyclonedx": sbom.PredicateCycloneDX} {
		var buf bytes.Buffer
		if err := (&sbom.List{}).Write(&buf, format, subject); err != nil {
			t.Fatal(err)
		}
		sbomtest.ValidateSchema(t, buf.Bytes())
		if l, err := sbom.FromPredicate(context.Background(), typ, buf.Bytes()); err == nil || !strings.Contains(err.Error(), "lists no packages") {
			t.Errorf("%s of the image alone: %v, %v; want no packages", format, l, err)
		}
	}
}

// TestIsSBOMPredicate: the predicate types real producers write.
func TestIsSBOMPredicate(t *testing.T) {
	for typ, want := range map[string]bool{
		"https://spdx.dev/Document":                       true, // cosign, syft, docker buildx
		"https://spdx.dev/Document/v2.3":                  true, // actions/attest-sbom, in-toto spec
		"https://spdx.dev/Document/v2.2":                  true,
		"https://cyclonedx.org/bom":                       true, // cosign, syft, actions/attest-sbom
		"https://cyclonedx.org/bom/v1.4":                  true, // in-toto spec
		"https://cyclonedx.org/bom/v1.6":                  true,
		"https://spdx.dev/Document/v3":                    false, // SPDX 3, another model
		"https://spdx.dev/Documents":                      false,
		"https://cyclonedx.org/bomb":                      false,
		"https://slsa.dev/provenance/v1":                  false,
		"https://cosign.sigstore.dev/attestation/v1":      false, // cosign --type custom
		"https://cosign.sigstore.dev/attestation/vuln/v1": false,
	} {
		if got := sbom.IsSBOMPredicate(typ); got != want {
			t.Errorf("IsSBOMPredicate(%q) = %v", typ, got)
		}
	}
	// What an image policy's "type: spdx|cyclonedx" requires is read.
	for _, name := range []string{"spdx", "cyclonedx"} {
		for _, typ := range config.AttestationTypes[name] {
			if !sbom.IsSBOMPredicate(typ) {
				t.Errorf("policy type %s: %s is not read", name, typ)
			}
		}
	}
}

// TestImageVulnerabilities is the whole path offline: images built in the
// test, their packages listed from the layers, matched against archives in
// osv.dev's layout fetched from loopback. Each ecosystem's version rules
// decide: Debian epochs and tildes, Alpine revisions, Go and npm semver.
func TestImageVulnerabilities(t *testing.T) {
	goVersion := sbomtest.GoVersion(t)
	// The next patch release of the toolchain that built the binary fixes
	// a made-up stdlib advisory.
	parts := strings.Split(goVersion, ".")
	patch, _ := strconv.Atoi(parts[len(parts)-1])
	parts[len(parts)-1] = strconv.Itoa(patch + 1)
	goFixed := strings.Join(parts, ".")
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{
		"Debian": osvtest.Archive(t,
			`{"id":"DEBIAN-CVE-2024-0001","upstream":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`,
			// zlib1g 1:1.2.13 has epoch 1: newer than 1.3-1, not affected.
			`{"id":"DEBIAN-CVE-2024-0002","affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.3-1"}]}]}]}`,
		),
		"Alpine": osvtest.Archive(t,
			`{"id":"ALPINE-CVE-2024-0003","affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"busybox"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.36.1-r10"}]}]}]}`,
			`{"id":"ALPINE-CVE-2024-0004","affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"musl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.4-r2"}]}]}]}`,
		),
		"Go": osvtest.Archive(t,
			`{"id":"GO-2023-2102","aliases":["CVE-2023-39325","GHSA-4374-p667-p6c8"],"affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.17.0"}]}]}]}`,
			`{"id":"GO-2024-0005","affected":[{"package":{"ecosystem":"Go","name":"golang.org/x/net"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"0.23.0"}]}]}]}`,
			`{"id":"GO-2099-0001","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"`+goFixed+`"}]}]}]}`,
		),
		"npm": osvtest.Archive(t,
			`{"id":"GHSA-35jh-r3h4-6jhm","aliases":["CVE-2021-23337"],"database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}`,
		),
	})
	var got []string
	for _, img := range []v1.Image{debianImage(t), alpineImage(t)} {
		l, err := sbom.FromImage(context.Background(), img, sbom.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.Match(context.Background(), l.Packages)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Complete() {
			t.Errorf("incomplete: missing %v, problems %v", res.Missing, res.Problems)
		}
		for _, f := range res.Findings {
			got = append(got, fmt.Sprintf("%s %s %s -> %s at %s", f.ID, f.PackageName(), f.Installed, f.Fixed, f.Location))
		}
	}
	slices.Sort(got)
	want := []string{
		"ALPINE-CVE-2024-0003 busybox 1.36.1-r9 -> 1.36.1-r10 at lib/apk/db/installed",
		"DEBIAN-CVE-2024-0001 libssl3 3.0.11-1~deb12u2 -> 3.0.13-1~deb12u1 at var/lib/dpkg/status",
		"GHSA-35jh-r3h4-6jhm lodash 4.17.20 -> 4.17.21 at app/package-lock.json",
		"GO-2024-0005 golang.org/x/net 0.17.0 -> 0.23.0 at app/server",
		"GO-2099-0001 go " + goVersion + " -> " + goFixed + " at app/server",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
