package sbom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/condameta"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/chisel"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/purl"
	"github.com/klauspost/compress/zstd"
)

// extractors are the ones that find what an image runs: the distributions'
// package databases (and the manifest chisel writes in an Ubuntu chiselled
// image, /var/lib/chisel/manifest.wall, which has no dpkg database) and
// the language ecosystems' installed artefacts and
// lockfiles: Go binaries' build information, npm's package-lock.json and
// node_modules, Java archives, Python's installed distributions, the gem
// specifications RubyGems installs, the dependency list cargo-auditable
// embeds in Rust binaries, the .deps.json beside each .NET application and
// shared framework, PHP's composer.lock, and conda's package records.
// Importing only these (not osv-scalibr's plugin list) keeps the binary
// small; docs/PERFORMANCE.md has the figures.
func extractors(opts Options) ([]filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{MaxFileSizeBytes: opts.MaxFileBytes}
	var out []filesystem.Extractor
	for _, newExtractor := range []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		dpkg.New, chiselManifests, apk.New, rpm.New,
		gobinary.New, packagelockjson.New, packagejson.New, javaarchive.New, wheelegg.New,
		installedGemspecs, cargoauditable.New, depsjson.New, composerlock.New, condaPackages,
	} {
		e, err := newExtractor(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// installedGemspecs reads the specifications RubyGems writes when it
// installs a gem (<GEM_HOME>/specifications/<name>-<version>.gemspec, and
// specifications/default/ for the gems Ruby ships), as Trivy does.
// osv-scalibr's extractor takes every *.gemspec: the source gemspecs that
// gems and applications carry beside their code too, which name a version
// through constants it cannot always resolve (a failure per file) and
// describe the application itself, not an installed gem.
func installedGemspecs(cfg *cpb.PluginConfig) (filesystem.Extractor, error) {
	e, err := gemspec.New(cfg)
	if err != nil {
		return nil, err
	}
	return onlyPaths{e, func(p string) bool {
		return strings.Contains("/"+path.Dir(p)+"/", "/specifications/")
	}}, nil
}

// onlyPaths narrows an extractor to the files whose path (relative to the
// image's root, slash-separated) keep accepts.
type onlyPaths struct {
	filesystem.Extractor
	keep func(path string) bool
}

func (o onlyPaths) FileRequired(api filesystem.FileAPI) bool {
	return o.keep(api.Path()) && o.Extractor.FileRequired(api)
}

// condaPackages reads the record conda writes for each package it
// installs (<env>/conda-meta/<name>-<version>-<build>.json), in the base
// environment (/opt/conda/conda-meta, where conda images install) as in
// named ones (osv-scalibr reads only envs/*/conda-meta). Conda is not an
// OSV ecosystem: osv-scalibr types the packages as PyPI, which would look
// conda's openssl, python or zlib up among PyPI projects of the same name.
// They are typed conda instead (pkg:conda purls in the SBOM, as Trivy
// lists them), which the matcher counts as unidentified; the Python
// packages of an environment are matched through the *.dist-info conda
// installs beside them.
func condaPackages(cfg *cpb.PluginConfig) (filesystem.Extractor, error) {
	e, err := condameta.New(cfg)
	if err != nil {
		return nil, err
	}
	return conda{e, cfg.GetMaxFileSizeBytes()}, nil
}

type conda struct {
	filesystem.Extractor
	maxBytes int64
}

func (c conda) FileRequired(api filesystem.FileAPI) bool {
	p := api.Path()
	if path.Base(path.Dir(p)) != "conda-meta" || path.Ext(p) != ".json" {
		return false
	}
	st, err := api.Stat()
	return err == nil && (c.maxBytes <= 0 || st.Size() <= c.maxBytes)
}

func (c conda) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	inv, err := c.Extractor.Extract(ctx, in)
	for _, p := range inv.Packages {
		p.PURLType = purl.TypeConda
	}
	return inv, err
}

// runtimePacks names the .NET runtime a self-contained application
// carries as its NuGet package (Microsoft.NETCore.App.Runtime.linux-x64):
// its .deps.json lists it as "runtimepack.<package>/<version>" of type
// runtimepack, a name no advisory uses. Trivy strips the prefix alike.
func runtimePacks(pkgs []*extractor.Package) {
	for _, p := range pkgs {
		if m, ok := p.Metadata.(*depsjson.Metadata); ok && m.Type == "runtimepack" {
			p.Name = strings.TrimPrefix(p.Name, "runtimepack.")
			m.PackageName = p.Name
		}
	}
}

// chiselledOnce drops the packages of a chisel manifest that a dpkg
// database of the image lists too (a chiselled image given a dpkg status
// file, as chisel-wrapper writes for scanners): dpkg's record states the
// source package, which the manifest does not.
func chiselledOnce(pkgs []*extractor.Package) []*extractor.Package {
	type key struct{ name, version, arch string }
	keyOf := func(p *extractor.Package) (key, bool) {
		m, ok := p.Metadata.(*dpkgmeta.Metadata)
		if !ok {
			return key{}, false
		}
		return key{p.Name, p.Version, m.Architecture}, true
	}
	inDpkg := map[key]bool{}
	for _, p := range pkgs {
		if k, ok := keyOf(p); ok && slices.Contains(p.Plugins, dpkg.Name) {
			inDpkg[k] = true
		}
	}
	if len(inDpkg) == 0 {
		return pkgs
	}
	return slices.DeleteFunc(pkgs, func(p *extractor.Package) bool {
		k, ok := keyOf(p)
		return ok && inDpkg[k] && slices.Contains(p.Plugins, chisel.Name)
	})
}

// maxChiselManifest bounds a chisel manifest, compressed and decompressed:
// the manifest of a chiselled image lists each of its paths in a line of
// JSON (a few MiB for the largest), and a zstd frame of a few KiB can
// inflate to gigabytes, which chisel-manifest's reader would hold whole.
const maxChiselManifest = 64 << 20

// chiselManifests reads /var/lib/chisel/manifest.wall with osv-scalibr's
// chisel extractor, once the manifest is known to inflate within
// maxChiselManifest.
func chiselManifests(cfg *cpb.PluginConfig) (filesystem.Extractor, error) {
	e, err := chisel.New(cfg)
	if err != nil {
		return nil, err
	}
	return boundedChisel{e}, nil
}

type boundedChisel struct{ filesystem.Extractor }

func (b boundedChisel) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(in.Reader, maxChiselManifest+1))
	if err != nil {
		return inventory.Inventory{}, err
	}
	if err := zstdWithin(data, maxChiselManifest); err != nil {
		return inventory.Inventory{}, fmt.Errorf("chisel manifest: %w", err)
	}
	bounded := *in
	bounded.Reader = bytes.NewReader(data)
	return b.Extractor.Extract(ctx, &bounded)
}

// zstdWithin checks that data is zstd that inflates to at most limit
// bytes, without holding what it inflates to, and with a window of at
// most 8 MiB (a frame may ask for more memory than its content needs).
func zstdWithin(data []byte, limit int64) error {
	if int64(len(data)) > limit {
		return fmt.Errorf("more than %d bytes", limit)
	}
	d, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderMaxMemory(uint64(limit)))
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(d, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("more than %d bytes once decompressed", limit)
	}
	return nil
}
