// Package vulnscan is the image resolver's vulnerability analyzer: for
// each image digest, once, it lists the packages (from an SBOM attestation
// the image policy trusts, else from the layers) and matches them against
// the OSV database. The image checks read its report from the facts.
package vulnscan

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/image/vulndb"
)

// Analyzer implements resolve.Analyzer.
type Analyzer struct {
	DB   *vulndb.DB
	SBOM sbom.Options
	// Platform chooses from a multi-platform image (zero: linux/amd64).
	Platform v1.Platform
}

var _ resolve.Analyzer = (*Analyzer)(nil)

// Name is the analysis's key in the facts.
func (a *Analyzer) Name() string { return vuln.AnalysisName }

// Analyze lists and matches one image's packages.
func (a *Analyzer) Analyze(ctx context.Context, in *resolve.Input) (any, error) {
	list, plat, err := a.packages(ctx, in)
	if err != nil {
		return nil, err
	}
	rep, err := a.DB.Match(ctx, list.Packages)
	if err != nil {
		return nil, fmt.Errorf("matching the packages: %w", err)
	}
	rep.Source = list.Source
	rep.Problems = append(rep.Problems, list.Problems...)
	rep.Platform, rep.PlatformDigest = plat.name, plat.digest
	return rep, nil
}

// platform is which image of the digest had its layers read: VEX
// statements name an image by its architecture and by the digest of the
// platform's own manifest.
type platform struct{ name, digest string }

// platformOf names img's platform from its configuration, and its digest
// when it is not the digest the image was referenced by (an index's).
func platformOf(img v1.Image, referenced v1.Hash) platform {
	var p platform
	if cf, err := img.ConfigFile(); err == nil && cf.Architecture != "" {
		p.name = (&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}).String()
	}
	if d, err := img.Digest(); err == nil && d != referenced {
		p.digest = d.String()
	}
	return p
}

// packages reads the SBOM attestation the policy trusts when there is one:
// it was made where the image was built, from more than the layers keep
// (build-time dependencies, the lockfiles of compiled languages); else the
// layers.
func (a *Analyzer) packages(ctx context.Context, in *resolve.Input) (*sbom.List, platform, error) {
	for _, st := range in.Attestations {
		if sbom.IsSBOMPredicate(st.PredicateType) {
			l, err := sbom.FromPredicate(ctx, st.PredicateType, st.Predicate)
			if err != nil {
				return nil, platform{}, fmt.Errorf("the SBOM attestation signed by %s: %w", st.Signer, err)
			}
			return l, platform{}, nil
		}
	}
	img, err := in.Image(ctx, a.Platform)
	if err != nil {
		return nil, platform{}, err
	}
	l, err := sbom.FromImage(ctx, img, a.SBOM)
	if err != nil {
		return nil, platform{}, err
	}
	referenced, _ := v1.NewHash(in.Digest.DigestStr())
	return l, platformOf(img, referenced), nil
}
