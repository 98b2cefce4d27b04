// Package sbom lists the software packages of an image: from an SBOM
// attestation the image policy trusts (SPDX or CycloneDX JSON, the
// in-toto predicate internal/image hands over after verifying it), else
// from the image's layers through osv-scalibr's extractors. It writes the
// list as an SPDX 2.3 or CycloneDX document with osv-scalibr's converters.
package sbom

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/image"
	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	scalibrfs "github.com/google/osv-scalibr/fs"
	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/stats"
)

// osv-scalibr logs its progress ("Starting filesystem walk ...") through
// the standard logger by default, into kubeward's reports and the
// webhook's log; what matters reaches callers as errors and plugin
// statuses. Its logger is process-wide, so it is set once, here.
func init() { scalibrlog.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Errorf(string, ...any) {}
func (quiet) Warnf(string, ...any)  {}
func (quiet) Infof(string, ...any)  {}
func (quiet) Debugf(string, ...any) {}
func (quiet) Error(...any)          {}
func (quiet) Warn(...any)           {}
func (quiet) Info(...any)           {}
func (quiet) Debug(...any)          {}

// List is an image's packages and where they were learnt.
type List struct {
	Packages []*extractor.Package
	// Source is "layers", or "attestation" with the predicate type.
	Source string
	// Problems are extractors that failed on some file (the list may be
	// incomplete), at most maxProblems.
	Problems []string
}

// Options bound the work on one image.
type Options struct {
	// MaxFileBytes: larger files in the image are not read (default 512 MiB).
	MaxFileBytes int64
	// MaxFiles bounds the files walked (default 2,000,000).
	MaxFiles int
}

const (
	defaultMaxFileBytes = 512 << 20
	defaultMaxFiles     = 2_000_000
	maxProblems         = 20
)

// extractors are the ones that find what an image runs: the distributions'
// package databases and the language ecosystems' installed artefacts and
// lockfiles: Go binaries' build information, npm's package-lock.json and
// node_modules, Java archives, Python's installed distributions, the
// gem specifications RubyGems installs, the dependency list
// cargo-auditable embeds in Rust binaries, the .deps.json beside each
// .NET application and shared framework, and PHP's composer.lock. Importing only these (not
// osv-scalibr's plugin list) keeps the binary small; docs/PERFORMANCE.md
// has the figures.
func extractors(opts Options) ([]filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{MaxFileSizeBytes: opts.MaxFileBytes}
	var out []filesystem.Extractor
	for _, newExtractor := range []func(*cpb.PluginConfig) (filesystem.Extractor, error){
		dpkg.New, apk.New, rpm.New,
		gobinary.New, packagelockjson.New, packagejson.New, javaarchive.New, wheelegg.New,
		installedGemspecs, cargoauditable.New, depsjson.New, composerlock.New,
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

// FromImage lists the packages in an image's layers. The layers are
// unpacked, whiteouts applied, into a temporary file that is removed on
// return.
func FromImage(ctx context.Context, img v1.Image, opts Options) (*List, error) {
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = defaultMaxFileBytes
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = defaultMaxFiles
	}
	exs, err := extractors(opts)
	if err != nil {
		return nil, err
	}
	cfg := image.DefaultConfig()
	cfg.MaxFileBytes = opts.MaxFileBytes
	si, err := image.FromV1Image(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("unpacking the image: %w", err)
	}
	defer si.CleanUp()
	inv, statuses, err := filesystem.Run(ctx, &filesystem.Config{
		Extractors:  exs,
		ScanRoots:   []*scalibrfs.ScanRoot{{FS: si.FS()}},
		MaxFileSize: int(opts.MaxFileBytes),
		MaxInodes:   opts.MaxFiles,
		Stats:       stats.NoopCollector{},
	})
	if err != nil {
		return nil, fmt.Errorf("listing the image's packages: %w", err)
	}
	runtimePacks(inv.Packages)
	l := &List{Packages: dedupe(inv.Packages), Source: "layers"}
	for _, st := range statuses {
		if st.Status != nil && st.Status.Status == plugin.ScanStatusFailed {
			l.problem("%s: %s", st.Name, st.Status.FailureReason)
		}
	}
	return l, nil
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

func (l *List) problem(format string, args ...any) {
	if len(l.Problems) < maxProblems {
		l.Problems = append(l.Problems, fmt.Sprintf(format, args...))
	}
}

// dedupe keeps one package per purl (a package-lock.json and the
// node_modules it installed name the same packages), the first by path,
// and sorts the list by purl.
func dedupe(pkgs []*extractor.Package) []*extractor.Package {
	key := func(p *extractor.Package) string {
		if u := p.PURL(); u != nil {
			return u.String()
		}
		return p.Name + "@" + p.Version
	}
	slices.SortStableFunc(pkgs, func(a, b *extractor.Package) int {
		return cmp.Or(strings.Compare(key(a), key(b)), strings.Compare(a.Location.PathOrEmpty(), b.Location.PathOrEmpty()))
	})
	return slices.CompactFunc(pkgs, func(a, b *extractor.Package) bool { return key(a) == key(b) })
}
