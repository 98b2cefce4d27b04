package cli

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/local"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/spf13/cobra"
)

type imagesCheckFlags struct {
	scan     scanFlags
	platform string
	name     string
}

func newImagesCheckCmd(s Streams) *cobra.Command {
	f := &imagesCheckFlags{}
	cmd := &cobra.Command{
		Use:   "check IMAGE|SOURCE...",
		Short: "Judge images on their own, before or after they are pushed: known vulnerabilities, signatures and attestations",
		Long: `Judge each image with the image checks a scan with registry access runs: its packages against
the OSV database (--vuln-db, under images.vulnerabilities: failOn, exceptions,
VEX) and, for an image in a registry, its signatures and attestations under
images.policies. Findings, suppressions, output formats and exit codes are
scan's, so a pipeline can gate the image it just built before pushing it.

An image is a registry reference (ghcr.io/acme/app:1.4, read with the Docker
configuration's credentials) or a local source:

  oci-dir:PATH          an OCI image layout directory (buildah push oci:, skopeo
                        copy oci:, docker buildx --output type=oci,tar=false,
                        ko's OCI layout output)
  oci-archive:PATH      the same layout as a tar (docker buildx --output type=oci)
  docker-archive:PATH   a docker save tarball

An archive may be compressed as docker load takes it (gzip, bzip2, zstd:
docker save app | gzip > app.tar.gz; not xz, whose decoder's memory has no cap); it is decompressed into a temporary file
in TMPDIR, up to 100 times its size (at least 1 GiB, at most 16 GiB).

PATH:NAME chooses one image of several by its reference name (the
org.opencontainers.image.ref.name annotation, a RepoTag of docker save),
PATH@sha256:... by digest (docker save: the image id), and --platform the image
of a multi-platform index. --name REPOSITORY[:TAG] names one local image as it
will be pushed (an OCI layout whose reference name is only a tag, 1.4, names
no repository): images.policies, suppressions and exceptions keyed by image
globs, vulnerability exceptions and VEX statements then match it as they will
match the pushed image; findings stay on the source read (Image/oci-dir:...).

Signatures and attestations live in registries: for a local image that
images.policies may cover they are reported as not checked (the coverage gap
image-signatures), never as passed.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a coverage gap with
--fail-on-incomplete), 2 usage or input error (an image that cannot be read,
an archive with no image, no vulnerability database and no image policy, or
only local images and no vulnerability database: nothing to judge them by).`,
		Example: `  kubeward images check ghcr.io/acme/app:1.4.2
  docker buildx build --output type=oci,dest=app.tar . && kubeward images check oci-archive:app.tar
  docker save app:dev -o app.tar && kubeward images check docker-archive:app.tar -o sarif=image.sarif -o table
  kubeward images check oci-dir:build/oci:1.4.2 --platform linux/arm64 --fail-on critical
  skopeo copy docker://app:dev oci:out:1.4 && kubeward images check oci-dir:out:1.4 --name ghcr.io/acme/app:1.4`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.scan.images.close()
			return f.run(cmd, s, args)
		},
	}
	sf := &f.scan
	fl := cmd.Flags()
	sf.out.register(cmd, report.Formats(), "table", "")
	fl.StringVar(&sf.failOn, "fail-on", "high", "exit 1 when an unsuppressed finding has this severity or higher: info, low, medium, high, critical or none")
	fl.StringVar(&sf.severity, "severity", "", "list only findings of this severity or higher in table, compact, markdown and html outputs (they all still count)")
	fl.StringVar(&sf.input.configPath, "config", "", "configuration file: images.vulnerabilities, images.policies, images.registry, suppressions (default: kubeward.yaml in the working directory or the nearest parent up to the repository root)")
	fl.BoolVar(&sf.showSuppressed, "show-suppressed", false, "list suppressed findings in the table output")
	fl.BoolVar(&sf.sarifOmit, "sarif-omit-suppressed", false, "leave suppressed findings out of SARIF")
	fl.StringVar(&f.platform, "platform", "linux/amd64", "the image to judge from a multi-platform index (os/arch[/variant])")
	fl.StringVar(&f.name, "name", "", "REPOSITORY[:TAG] a local image will be pushed as, which policies, suppressions, exceptions and VEX match (one local source only; no digest: the image's own is read)")
	sf.vulnDB.register(cmd)
	sf.registerCoverage(cmd)
	sf.images.registerDisk(fl)
	return cmd
}

func (f *imagesCheckFlags) run(cmd *cobra.Command, s Streams, args []string) error {
	if err := checkPushName(f.name, args); err != nil {
		return err
	}
	platform, err := v1.ParsePlatform(f.platform)
	if err != nil {
		return usageErr("--platform: %v", err)
	}
	f.scan.platform = *platform
	r, err := f.scan.prepare(cmd)
	if err != nil {
		return err
	}
	// The checks over image facts, as scan --images runs them; those over
	// references as written (tags, digests, registries) judge manifests.
	r.checks = slices.DeleteFunc(r.checks, func(c *check.Check) bool { return !c.Images })
	rs, gaps, err := f.scan.imageResolver(r, nil)
	if err != nil {
		return err
	}
	if len(gaps) > 0 && len(r.config.file.Images.Policies) == 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("nothing to judge the images by: %s, and the configuration has no images.policies", strings.TrimPrefix(gaps[0].Reason, "not run: "))}
	}
	// A local image's signatures are in no registry yet: with no known
	// vulnerabilities to judge either, every verdict would be a gap.
	if !slices.ContainsFunc(args, func(a string) bool { return !local.IsLocal(a) }) && (r.opts.Vulnerabilities == nil || len(gaps) > 0) {
		why := "the configuration has no images.vulnerabilities (or --vuln-db)"
		if len(gaps) > 0 {
			why = strings.TrimPrefix(gaps[0].Reason, "not run: ")
		}
		return &exitError{code: ExitError, err: fmt.Errorf("nothing to judge the local images by: their signatures are checked once they are pushed (images check REFERENCE), and %s", why)}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	set, err := judgeImages(ctx, rs, args, *platform, f.name)
	if err != nil {
		return err
	}
	inv := inventory.NewInventory()
	for _, a := range args {
		inv.Add(inventory.NewImage(a, cmp.Or(f.name, a)))
	}
	so := scan.Options{Checks: r.checks, CheckOptions: r.opts, Suppressions: r.suppress, AcceptGaps: r.acceptGaps,
		Images: func(*inventory.Inventory) *facts.Set { return set }}
	res := scan.New(so).Inventory(inv)
	res.Coverage = append(res.Coverage, gaps...)
	return f.scan.finish(s, r, res)
}

// judgeImages learns the facts of each image: local sources read from
// disk (any that cannot be read stops the run: exit 2), references from
// their registries as scan --images reads them. A local image is known by
// the reference it names itself by, or by name (--name, checked by
// checkPushName) when given: the facts are then the name's.
func judgeImages(ctx context.Context, rs *resolve.Resolver, images []string, platform v1.Platform, name string) (*facts.Set, error) {
	opened := map[string]*local.Image{}
	defer func() {
		for _, li := range opened {
			li.Close()
		}
	}()
	var uses []resolve.Use
	for _, img := range images {
		if !local.IsLocal(img) {
			// The resolver leaves out what does not parse; here it is the input.
			if _, err := reference.ParseNormalizedNamed(img); err != nil {
				return nil, usageErr("%q is not an image reference (nor a local source %s:PATH): %v", img, strings.Join(local.Schemes, ":PATH, "), err)
			}
			uses = append(uses, resolve.Use{Image: img})
			continue
		}
		if opened[img] != nil {
			continue
		}
		li, err := local.Open(img, platform)
		if err != nil {
			return nil, &exitError{code: ExitError, err: err}
		}
		opened[img] = li
	}
	set := rs.Resolve(ctx, uses)
	for img, li := range opened {
		ref := cmp.Or(name, li.Reference)
		set.Add(cmp.Or(name, img), rs.Local(ctx, img, ref, li.Digest, li.Image))
	}
	return set, nil
}

// checkPushName refuses a --name (the repository and tag a local image
// will be pushed as) that cannot name the images given: it names one
// local source, since a registry's image is named by its reference; and
// it carries no digest, since the digest is the image's own, read from
// the source.
func checkPushName(name string, images []string) error {
	if name == "" {
		return nil
	}
	if len(images) != 1 {
		return usageErr("--name names one local image as it will be pushed: %d images were given", len(images))
	}
	if !local.IsLocal(images[0]) {
		return usageErr("--name names a local image (%s:PATH) as it will be pushed; %q is read from its registry under that reference", strings.Join(local.Schemes, ":PATH, "), images[0])
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return usageErr("--name %q is not a REPOSITORY[:TAG] (ghcr.io/acme/app:1.4): %v", name, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return usageErr("--name %q has a digest: the image's digest is its own, read from %s; give REPOSITORY[:TAG]", name, images[0])
	}
	return nil
}
