package sbom_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// languagePURLs are the packages of sbomtest.LanguageLayer, as their
// package managers name them.
var languagePURLs = []string{
	// crates.io: cargo-auditable's list, the program itself included.
	"pkg:cargo/itoa@1.0.14",
	"pkg:cargo/memchr@2.7.4",
	"pkg:cargo/proc-macro2@1.0.92",
	"pkg:cargo/quote@1.0.38",
	"pkg:cargo/ryu@1.0.18",
	"pkg:cargo/serde@1.0.217",
	"pkg:cargo/serde_derive@1.0.217",
	"pkg:cargo/serde_json@1.0.135",
	"pkg:cargo/syn@2.0.95",
	"pkg:cargo/unicode-ident@1.0.14",
	"pkg:cargo/uses_json@0.1.0",
	// Packagist: composer.lock, the development packages too.
	"pkg:composer/drupal/core@10.4.5",
	"pkg:composer/drupal/field_time@1.0.0-beta5",
	"pkg:composer/drupal/tfa@2.0.0-alpha4",
	"pkg:composer/theseer/tokenizer@1.1.3",
	// RubyGems: the installed specifications.
	"pkg:gem/google-protobuf@3.21.12",
	"pkg:gem/rss@0.2.9",
	// NuGet: the applications, their packages, and the runtime a
	// self-contained one carries, named as its NuGet package.
	"pkg:nuget/ExampleApp1@1.0.0",
	"pkg:nuget/Microsoft.NETCore.App.Runtime.osx-arm64@9.0.1",
	"pkg:nuget/Newtonsoft.Json@13.0.1",
	"pkg:nuget/YamlDotNet@16.3.0",
	"pkg:nuget/selfcontained@1.0.0",
}

// TestFromImageLanguages lists the installed artefacts of the language
// ecosystems whose advisories the database holds, and writes them into
// both SBOM formats (valid under their official schemas) with the purls
// (and so the ecosystems) they are read back with.
func TestFromImageLanguages(t *testing.T) {
	l, err := sbom.FromImage(context.Background(), sbomtest.Image(t, sbomtest.LanguageLayer(t)), sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := purls(l)
	if !slices.Equal(got, languagePURLs) || len(l.Problems) != 0 {
		t.Errorf("got:\n%s\nwant:\n%s\nproblems %q", strings.Join(got, "\n"), strings.Join(languagePURLs, "\n"), l.Problems)
	}
	ecosystems := map[string]string{"gem": "RubyGems", "cargo": "crates.io", "nuget": "NuGet", "composer": "Packagist"}
	for _, p := range l.Packages {
		if want := ecosystems[p.PURLType]; p.Ecosystem().String() != want {
			t.Errorf("%s: ecosystem %q, want %q", p.Name, p.Ecosystem(), want)
		}
	}
	subject := sbom.Subject{Reference: "ghcr.io/acme/app:1.0", Repository: "ghcr.io/acme/app", Digest: "sha256:" + strings.Repeat("ab", 32)}
	for format, predicate := range map[string]string{"spdx": sbom.PredicateSPDX, "cyclonedx": sbom.PredicateCycloneDX} {
		var buf bytes.Buffer
		if err := l.Write(&buf, format, subject); err != nil {
			t.Fatal(err)
		}
		sbomtest.ValidateSchema(t, buf.Bytes())
		back, err := sbom.FromPredicate(context.Background(), predicate, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if got := purls(back); !slices.Equal(got, languagePURLs) {
			t.Errorf("%s read back:\n%s", format, strings.Join(got, "\n"))
		}
		for _, p := range back.Packages {
			if want := ecosystems[p.PURL().Type]; p.Ecosystem().String() != want {
				t.Errorf("%s read back %s with ecosystem %q, want %q", format, p.Name, p.Ecosystem(), want)
			}
		}
	}
}

// TestImageVulnerabilitiesLanguages matches the installed artefacts against
// real advisories under each ecosystem's version rules where a real one
// names them: Debian's google-protobuf 3.21.12 is below
// GHSA-735f-pc8j-v9w8's first fix (3.25.5) and past GHSA-h4h5-3hr4-j3g2's
// (3.21.7, from 3.21.0.rc.1) and GHSA-wrvw-hg22-4m67's (3.19.2);
// Newtonsoft.Json 13.0.1 is GHSA-5crp-9r3c-p9vr's fix. No advisory at hand
// names the other artefacts' versions (the crates of osv-scalibr's
// cargo-auditable binary, the .NET 9.0.1 runtime pack, Drupal 10.4.5), so
// those records are written for the test in their databases' shapes
// (RustSec's SEMVER ranges with two branches, GitHub's ECOSYSTEM ranges):
// one each that the installed version is inside, one it is past.
func TestImageVulnerabilitiesLanguages(t *testing.T) {
	rustsec := func(id, name, introduced, fixed string) string {
		return fmt.Sprintf(`{"schema_version":"1.7.3","id":%q,"modified":"2099-01-01T00:00:00Z","published":"2099-01-01T00:00:00Z","summary":"test advisory",`+
			`"affected":[{"package":{"name":%q,"ecosystem":"crates.io","purl":"pkg:cargo/%s"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.9.0"},{"fixed":"0.9.9"},{"introduced":%q},{"fixed":%q}]}],`+
			`"database_specific":{"categories":["memory-corruption"],"cvss":null,"informational":null}}],"database_specific":{"license":"CC0-1.0"}}`,
			id, name, name, introduced, fixed)
	}
	ghsa := func(id, eco, name, introduced, fixed string) string {
		return fmt.Sprintf(`{"schema_version":"1.4.0","id":%q,"modified":"2099-01-01T00:00:00Z","published":"2099-01-01T00:00:00Z","summary":"test advisory",`+
			`"affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":%q},{"fixed":%q}]}]}],`+
			`"database_specific":{"severity":"HIGH","github_reviewed":true}}`, id, eco, name, introduced, fixed)
	}
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{
		"RubyGems": osvtest.Archive(t, osvtest.Real(t, "GHSA-735f-pc8j-v9w8", "GHSA-h4h5-3hr4-j3g2", "GHSA-wrvw-hg22-4m67")...),
		"crates.io": osvtest.Archive(t, append(osvtest.Real(t, "RUSTSEC-2021-0003"),
			rustsec("RUSTSEC-2099-0001", "serde_json", "1.0.0", "1.0.140"),
			rustsec("RUSTSEC-2099-0002", "itoa", "1.0.0", "1.0.14"))...),
		"NuGet": osvtest.Archive(t, append(osvtest.Real(t, "GHSA-5crp-9r3c-p9vr", "GHSA-rh58-r7jh-xhx3"),
			ghsa("GHSA-2099-test-0001", "NuGet", "Microsoft.NETCore.App.Runtime.osx-arm64", "9.0.0", "9.0.2"),
			ghsa("GHSA-2099-test-0002", "NuGet", "YamlDotNet", "0", "16.3.0"))...),
		"Packagist": osvtest.Archive(t, append(osvtest.Real(t, "GHSA-77rm-9x9h-xj3g"),
			ghsa("GHSA-2099-test-0003", "Packagist", "drupal/core", "10.4.0", "10.4.9"),
			ghsa("GHSA-2099-test-0004", "Packagist", "drupal/tfa", "2.0.0-alpha1", "2.0.0-alpha4"))...),
	})
	l, err := sbom.FromImage(context.Background(), sbomtest.Image(t, sbomtest.LanguageLayer(t)), sbom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Match(context.Background(), l.Packages)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete() || res.Unidentified != 0 {
		t.Errorf("incomplete: missing %v, problems %v, %d unidentified", res.Missing, res.Problems, res.Unidentified)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s %s %s %s -> %s at %s", f.ID, f.Ecosystem, f.PackageName(), f.Installed, f.Fixed, f.Location))
	}
	want := []string{
		"GHSA-2099-test-0001 NuGet Microsoft.NETCore.App.Runtime.osx-arm64 9.0.1 -> 9.0.2 at opt/selfcontained/selfcontained.deps.json",
		"GHSA-2099-test-0003 Packagist drupal/core 10.4.5 -> 10.4.9 at var/www/html/composer.lock",
		"GHSA-735f-pc8j-v9w8 RubyGems google-protobuf 3.21.12 -> 3.25.5 at usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/specifications/google-protobuf-3.21.12.gemspec",
		"RUSTSEC-2099-0001 crates.io serde_json 1.0.135 -> 1.0.140 at usr/local/bin/uses_serde_json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFromImageConda: the record conda writes for an installed package
// (osv-scalibr's testdata, jupyterlab 3.1.12 from Anaconda's channel) is
// listed from the base environment and from a named one, as a conda
// package (pkg:conda in both SBOM formats): no OSV ecosystem, so the matcher counts it unidentified instead
// of looking it up among PyPI projects (no PyPI archive is missing).
func TestFromImageConda(t *testing.T) {
	record, err := os.ReadFile(sharedtest.ModulePath(t, "github.com/google/osv-scalibr",
		"extractor", "filesystem", "language", "python", "condameta", "testdata", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{"npm": osvtest.Archive(t)})
	for _, dir := range []string{"opt/conda/conda-meta", "opt/conda/envs/app/conda-meta"} {
		layer := sbomtest.Layer(t, map[string]sbomtest.File{
			dir + "/jupyterlab-3.1.12-py39hf3db000_1.json": {Data: record},
			dir + "/history": {Data: []byte("==> 2021-09-21 01:56:40 <==\n")},
		})
		l, err := sbom.FromImage(context.Background(), sbomtest.Image(t, layer), sbom.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := purls(l); !slices.Equal(got, []string{"pkg:conda/jupyterlab@3.1.12"}) || len(l.Problems) != 0 {
			t.Errorf("%s: %v, problems %q", dir, got, l.Problems)
			continue
		}
		for _, format := range sbom.Formats() {
			var buf bytes.Buffer
			if err := l.Write(&buf, format, sbom.Subject{Reference: "ghcr.io/acme/notebook:1"}); err != nil {
				t.Fatal(err)
			}
			sbomtest.ValidateSchema(t, buf.Bytes())
			if !strings.Contains(buf.String(), "pkg:conda/jupyterlab@3.1.12") {
				t.Errorf("%s: the %s document lacks the conda purl", dir, format)
			}
		}
		res, err := db.Match(context.Background(), l.Packages)
		if err != nil {
			t.Fatal(err)
		}
		if res.Unidentified != 1 || res.Matched != 0 || !res.Complete() {
			t.Errorf("%s: %d unidentified, %d matched, missing %v, problems %q", dir, res.Unidentified, res.Matched, res.Missing, res.Problems)
		}
	}
}
