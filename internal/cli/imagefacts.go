package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/image"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/image/verify"
	"github.com/kubeward/kubeward/internal/image/vulnscan"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/cluster"
	"github.com/kubeward/kubeward/internal/version"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
)

// maxConfiguredFile bounds the certificates and TUF roots the
// configuration names (each a few KB).
const maxConfiguredFile = 1 << 20

// imageFlags are how a command reads registries (scan --images, images
// --resolve): off by default, so that a scan never reaches the network
// unasked.
type imageFlags struct {
	enabled bool
	cache   string
	// cacheMaxSize, maxImageSize and analyses bound the disk a run's
	// image reading takes (docs/images.md, "Disk").
	cacheMaxSize, maxImageSize string
	analyses                   int
	// client is the run's registry client, which close releases (its
	// private temporary directory, when there is no cache).
	client *registry.Client
}

// close releases what the run's registry client holds; the command that
// asked for a resolver defers it.
func (f *imageFlags) close() {
	if f.client != nil {
		_ = f.client.Close()
	}
}

func (f *imageFlags) register(cmd *cobra.Command, name string, def bool, usage string) {
	fl := cmd.Flags()
	fl.BoolVar(&f.enabled, name, def, usage)
	f.registerDisk(fl)
}

// registerDisk registers where images are cached and the bounds on the
// disk their reading takes.
func (f *imageFlags) registerDisk(fl *pflag.FlagSet) {
	fl.StringVar(&f.cache, "image-cache", "", "directory of the content-addressed image cache (default images.registry.cache, else the user cache directory's kubeward/images)")
	fl.StringVar(&f.cacheMaxSize, "image-cache-max-size", "", "bound on the image cache's size (the private temporary directory's without a cache); past it the entries used longest ago are removed (default images.registry.cacheMaxSize, else 10Gi)")
	fl.StringVar(&f.maxImageSize, "max-image-size", "", "bound on the bytes of one image's layers unpacked to list its packages; a larger image's vulnerabilities are not judged (default images.maxImageSize, else 8Gi)")
	fl.IntVar(&f.analyses, "image-analyses", 0, "images whose packages are listed at once, each taking up to twice --max-image-size of disk while it is read (default the number of CPUs, at most 8)")
}

// sizes are the disk bounds of the flags, else of the configuration
// file (0: the default).
func (f *imageFlags) sizes(cfg foundConfig) (cacheMax, maxImage int64, err error) {
	im := &cfg.file.Images
	for _, s := range []struct {
		flag, flagValue, fileValue string
		to                         *int64
	}{
		{"--image-cache-max-size", f.cacheMaxSize, im.Registry.CacheMaxSize, &cacheMax},
		{"--max-image-size", f.maxImageSize, im.MaxImageSize, &maxImage},
	} {
		if s.flagValue != "" {
			if *s.to, err = config.ParseSize(s.flagValue); err != nil {
				return 0, 0, usageErr("%s: %v", s.flag, err)
			}
			continue
		}
		*s.to, _ = config.ParseSize(s.fileValue) // validated with the file
	}
	if f.analyses < 0 {
		return 0, 0, usageErr("--image-analyses: %d is negative", f.analyses)
	}
	return cacheMax, maxImage, nil
}

// resolver builds what reads the registries for a run: the client (the
// configuration's timeout, retries and cache; proxies from the
// environment), the verifier of images.policies with its trusted root, and
// keychains (nil: the Docker configuration and credential helpers).
func (f *imageFlags) resolver(cfg foundConfig, keychains resolve.Keychains, analyzers ...resolve.Analyzer) (*resolve.Resolver, error) {
	im := &cfg.file.Images
	cacheMax, maxImage, err := f.sizes(cfg)
	if err != nil {
		return nil, err
	}
	for _, a := range analyzers {
		if v, ok := a.(*vulnscan.Analyzer); ok {
			v.SBOM.MaxImageBytes = maxImage
		}
	}
	opts := registry.Options{UserAgent: "kubeward/" + version.String(), CacheDir: f.cache, CacheMaxBytes: cacheMax}
	if im.Registry.Timeout != "" {
		opts.Timeout, _ = time.ParseDuration(im.Registry.Timeout) // validated with the file
	}
	if im.Registry.Retries != nil {
		opts.Retries = *im.Registry.Retries
		if opts.Retries == 0 {
			opts.Retries = -1 // zero means no retry here, the default elsewhere
		}
	}
	if opts.CacheDir == "" {
		opts.CacheDir = cfg.file.RelativePath(im.Registry.Cache)
	}
	if im.Registry.CAFile != "" {
		pool, err := caPool(cfg.file.RelativePath(im.Registry.CAFile))
		if err != nil {
			return nil, usageErr("images.registry.caFile: %v", err)
		}
		opts.RootCAs = pool
	}
	if opts.CacheDir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			opts.CacheDir = filepath.Join(d, "kubeward", "images")
		}
	}
	client, err := registry.New(opts)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	f.close()
	f.client = client
	ro := resolve.Options{Client: client, Keychains: keychains, Analyzers: analyzers, Analyses: f.analyses}
	if len(im.Policies) > 0 {
		v, err := imageVerifier(cfg)
		if err != nil {
			return nil, err
		}
		ro.Verifier = v
	}
	return resolve.New(ro), nil
}

// imageVerifier prepares images.policies: the trusted root from
// images.trustedRoot (air-gapped sites) or else, when a policy needs one,
// from Sigstore's TUF repository.
func imageVerifier(cfg foundConfig) (*verify.Verifier, error) {
	im := &cfg.file.Images
	vo := verify.Options{}
	if cfg.path != "" {
		vo.BaseDir = filepath.Dir(cfg.path)
	}
	switch {
	case im.TrustedRoot != "":
		tr, err := verify.LoadTrustedRoot(cfg.file.RelativePath(im.TrustedRoot))
		if err != nil {
			return nil, usageErr("images.trustedRoot: %v", err)
		}
		vo.Trusted = tr
	case verify.NeedsTrustedRoot(im.Policies):
		tr, err := fetchTrustedRoot(cfg)
		if err != nil {
			return nil, &exitError{code: ExitError, err: fmt.Errorf("the Sigstore trusted root could not be fetched with TUF (%v); air-gapped sites give images.trustedRoot, a trusted_root.json", err)}
		}
		vo.Trusted = tr
	}
	v, err := verify.New(im.Policies, vo)
	if err != nil {
		return nil, usageErr("config %s: %v", cfg.path, err)
	}
	return v, nil
}

// fetchTrustedRoot reads the trusted root through TUF: Sigstore's public
// instance by default, or images.tuf's mirror and initial root.
func fetchTrustedRoot(cfg foundConfig) (*root.TrustedRoot, error) {
	t := cfg.file.Images.TUF
	o := tuf.DefaultOptions()
	if t.Mirror != "" {
		o.RepositoryBaseURL = t.Mirror
	}
	if t.Root != "" {
		b, err := source.ReadFile(cfg.file.RelativePath(t.Root), maxConfiguredFile)
		if err != nil {
			return nil, err
		}
		o.Root = b
	}
	if t.Cache != "" {
		o.CachePath = cfg.file.RelativePath(t.Cache)
	}
	return root.FetchTrustedRootWithOptions(o)
}

// imageResolver is the resolver of a run that reads registries (scan
// --images, the webhook): images.policies, and known vulnerabilities
// (vulnerabilityAnalysis, which may only report why they cannot be
// judged: the gaps, for the coverage of the selected checks).
func (f *scanFlags) imageResolver(r *run, keychains resolve.Keychains) (*resolve.Resolver, []scan.Gap, error) {
	an, gap, err := vulnerabilityAnalysis(r.config, f.vulnDB, r.opts)
	if err != nil {
		return nil, nil, err
	}
	var analyzers []resolve.Analyzer
	if an != nil {
		an.Platform = f.platform
		analyzers = append(analyzers, an)
	}
	var gaps []scan.Gap
	if gap != "" && slices.ContainsFunc(r.checks, func(c *check.Check) bool { return c.ID == image.Vulnerable.ID }) {
		gaps = append(gaps, scan.Gap{ID: "vulnerability-database", Reason: strings.TrimPrefix(gap, "not run: "), NotRun: []string{image.Vulnerable.ID}})
	}
	rs, err := f.images.resolver(r.config, keychains, analyzers...)
	return rs, gaps, err
}

// imageHook is the scan engine's hook that learns the facts of an
// inventory's images, and the coverage gaps of the run's image analysis.
func (f *scanFlags) imageHook(ctx context.Context, r *run, keychains resolve.Keychains) (func(*inventory.Inventory) *facts.Set, []scan.Gap, error) {
	rs, gaps, err := f.imageResolver(r, keychains)
	if err != nil {
		return nil, nil, err
	}
	return func(inv *inventory.Inventory) *facts.Set { return rs.Resolve(ctx, resolve.Uses(inv)) }, gaps, nil
}

// clusterKeychains pull with the workloads' own credentials.
func (c *clusterFlags) keychains() (resolve.Keychains, error) {
	cfg, _, err := cluster.Connect(c.options())
	if err != nil {
		return nil, usageErr("%v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return resolve.ClusterKeychains(cs), nil
}
