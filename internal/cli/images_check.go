package cli

import (
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

PATH:NAME chooses one image of several by its reference name (the
org.opencontainers.image.ref.name annotation, a RepoTag of docker save),
PATH@sha256:... by digest (docker save: the image id), and --platform the image
of a multi-platform index. Signatures and attestations live in registries: for
a local image that images.policies may cover they are reported as not checked
(the coverage gap image-signatures), never as passed.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a coverage gap with
--fail-on-incomplete), 2 usage or input error (an image that cannot be read,
an archive with no image, no vulnerability database and no image policy).`,
		Example: `  kubeward images check ghcr.io/acme/app:1.4.2
  docker buildx build --output type=oci,dest=app.tar . && kubeward images check oci-archive:app.tar
  docker save app:dev -o app.tar && kubeward images check docker-archive:app.tar -o sarif=image.sarif -o table
  kubeward images check oci-dir:build/oci:1.4.2 --platform linux/arm64 --fail-on critical`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
	sf.vulnDB.register(cmd)
	sf.registerCoverage(cmd)
	fl.StringVar(&sf.images.cache, "image-cache", "", "directory of the content-addressed image cache (default images.registry.cache, else the user cache directory's kubeward/images)")
	return cmd
}

func (f *imagesCheckFlags) run(cmd *cobra.Command, s Streams, args []string) error {
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
		return &exitError{code: ExitError, err: fmt.Errorf("nothing to judge the images by: known vulnerabilities %s, and the configuration has no images.policies", strings.TrimPrefix(gaps[0].Reason, "not run: "))}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	set, err := judgeImages(ctx, rs, args, *platform)
	if err != nil {
		return err
	}
	inv := inventory.NewInventory()
	for _, a := range args {
		inv.Add(inventory.NewImage(a))
	}
	so := scan.Options{Checks: r.checks, CheckOptions: r.opts, Suppressions: r.suppress, AcceptGaps: r.acceptGaps,
		Images: func(*inventory.Inventory) *facts.Set { return set }}
	res := scan.New(so).Inventory(inv)
	res.Coverage = append(res.Coverage, gaps...)
	return f.scan.finish(s, r, res)
}

// judgeImages learns the facts of each image: local sources read from
// disk (any that cannot be read stops the run: exit 2), references from
// their registries as scan --images reads them.
func judgeImages(ctx context.Context, rs *resolve.Resolver, images []string, platform v1.Platform) (*facts.Set, error) {
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
		set.Add(img, rs.Local(ctx, img, li.Reference, li.Digest, li.Image))
	}
	return set, nil
}
