// Package sbom lists the software packages of an image: from an SBOM
// attestation the image policy trusts (SPDX or CycloneDX JSON, the
// in-toto predicate internal/image hands over after verifying it), else
// from the image's layers through osv-scalibr's extractors. It writes the
// list as an SPDX 2.3 or CycloneDX document with osv-scalibr's converters.
package sbom

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/image"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
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
	// MaxImageBytes bounds the bytes of an image's layers read to list
	// its packages (default DefaultMaxImageBytes): osv-scalibr unpacks
	// every regular file (up to MaxFileBytes) into one temporary file, so
	// an image takes its uncompressed size on disk while it is read.
	// Past it the image is refused, nothing of it kept.
	MaxImageBytes int64
}

// DefaultMaxImageBytes is Options.MaxImageBytes's default: larger than
// most images (CUDA and ML images reach a few GiB), small enough that a
// scanner's disk holds several at once.
const DefaultMaxImageBytes = 8 << 30

const (
	defaultMaxFileBytes = 512 << 20
	defaultMaxFiles     = 2_000_000
	maxProblems         = 20
)

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
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = DefaultMaxImageBytes
	}
	exs, err := extractors(opts)
	if err != nil {
		return nil, err
	}
	return scan(ctx, img, opts, exs)
}

// scan runs the extractors over the image's layers.
func scan(ctx context.Context, img v1.Image, opts Options, exs []filesystem.Extractor) (*List, error) {
	cfg := image.DefaultConfig()
	cfg.MaxFileBytes = opts.MaxFileBytes
	bounded, err := boundImage(img, opts.MaxImageBytes)
	if err != nil {
		return nil, err
	}
	si, err := image.FromV1Image(bounded, cfg)
	if err != nil {
		if errors.Is(err, ErrImageTooLarge) {
			return nil, bounded.tooLarge()
		}
		var pe *fs.PathError
		if errors.As(err, &pe) && filepath.Dir(pe.Path) == filepath.Clean(os.TempDir()) {
			return nil, fmt.Errorf("unpacking the image (into the temporary directory: set TMPDIR to a writable directory): %w", err)
		}
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
	l := &List{Packages: dedupe(chiselledOnce(inv.Packages)), Source: "layers"}
	for _, st := range statuses {
		if st.Status == nil || st.Status.Status != plugin.ScanStatusFailed {
			continue
		}
		if len(st.Status.FileErrors) == 0 {
			l.problem("%s: %s", st.Name, st.Status.FailureReason)
		}
		for _, fe := range st.Status.FileErrors {
			l.problem("%s: %s: %s", st.Name, fe.FilePath, fe.ErrorMessage)
		}
	}
	return l, nil
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
