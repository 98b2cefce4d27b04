package sbomtest

import (
	"embed"
	"os"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// installed holds real installed artefacts copied from other projects
// (installed/README.md names each one's source and license).
//
//go:embed installed
var installed embed.FS

// scalibr is osv-scalibr's module, whose testdata holds real artefacts too;
// they are read where the build resolved the module, not copied.
const scalibr = "github.com/google/osv-scalibr"

func installedFile(t testing.TB, name string, mode int64) File {
	t.Helper()
	b, err := installed.ReadFile("installed/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return File{Data: b, Mode: mode}
}

func moduleFile(t testing.TB, module string, mode int64, rel ...string) File {
	t.Helper()
	b, err := os.ReadFile(sharedtest.ModulePath(t, module, rel...))
	if err != nil {
		t.Fatal(err)
	}
	return File{Data: b, Mode: mode}
}

// LanguageLayer is a layer of real installed artefacts of the language
// ecosystems, where their package managers put them:
//   - RubyGems: the specification Debian's ruby-google-protobuf
//     3.21.12-3+deb12u1 installs (google-protobuf 3.21.12), and the one of
//     rss 0.2.9 that gem install wrote (osv-scalibr's testdata), beside
//     the source gemspec of an application (yaml 0.2.1), which names no
//     installed gem;
//   - crates.io: a Rust program built with cargo-auditable that uses
//     serde_json 1.0.135 (osv-scalibr's testdata), which embeds its
//     dependency list;
//   - NuGet: the .deps.json dotnet publish wrote for a .NET 5 application
//     using Newtonsoft.Json 13.0.1, and for a self-contained .NET 9.0.1
//     one, which carries the runtime (Trivy's testdata);
//   - Packagist: the composer.lock of a Drupal 10.4.5 site (osv-scalibr's
//     testdata).
func LanguageLayer(t testing.TB) v1.Layer {
	t.Helper()
	gemspecs := []string{"extractor", "filesystem", "language", "ruby", "gemspec", "testdata"}
	return Layer(t, map[string]File{
		"usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/specifications/google-protobuf-3.21.12.gemspec": installedFile(t, "google-protobuf-3.21.12.gemspec", 0o644),
		"usr/local/bundle/specifications/rss-0.2.9.gemspec":                                                  moduleFile(t, scalibr, 0o644, append(gemspecs, "rss-0.2.9.gemspec")...),
		"app/yaml.gemspec": moduleFile(t, scalibr, 0o644, append(gemspecs, "yaml-0.2.1.gemspec")...),
		"usr/local/bin/uses_serde_json": moduleFile(t, scalibr, 0o755,
			"extractor", "filesystem", "language", "rust", "cargoauditable", "testdata", "uses_serde_json", "uses_serde_json"),
		"app/ExampleApp1.deps.json":                 installedFile(t, "ExampleApp1.deps.json", 0o644),
		"opt/selfcontained/selfcontained.deps.json": installedFile(t, "selfcontained.deps.json", 0o644),
		"var/www/html/composer.lock": moduleFile(t, scalibr, 0o644,
			"extractor", "filesystem", "language", "php", "composerlock", "testdata", "drupal-packages.json"),
	})
}
