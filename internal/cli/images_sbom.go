package cli

import (
	"cmp"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/local"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/sbom"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/version"
	"github.com/spf13/cobra"
)

type sbomFlags struct {
	platform string
	timeout  time.Duration
	caFile   string
	name     string
	out      outputFlag
}

func newImagesSBOMCmd(s Streams) *cobra.Command {
	f := &sbomFlags{}
	cmd := &cobra.Command{
		Use:   "sbom IMAGE|SOURCE",
		Short: "Write an image's packages as an SPDX or CycloneDX SBOM",
		Long: `Read an image from its registry (credentials from the Docker configuration and
credential helpers), or from disk before it is pushed (oci-dir:PATH, an OCI image
layout directory; oci-archive:PATH, the same as a tar; docker-archive:PATH, a
docker save tarball; an archive plain or compressed with gzip, bzip2 or zstd
(not xz); PATH:NAME or PATH@sha256:... chooses one image of several,
--platform one of an index), and list the packages of its layers: Debian,
Ubuntu, Alpine and rpm packages, the chisel manifest of Ubuntu chiselled
images, Go binaries' modules, npm lockfiles and node_modules, Java archives,
Python distributions, installed Ruby gems, Rust binaries built with
cargo-auditable, .NET .deps.json, PHP composer.lock and conda packages. The
document describes the image by its digest, and by its repository: the
registry's, the reference a local image names itself by (a docker save
RepoTag, a whole reference name), or --name REPOSITORY[:TAG], the one a local
image will be pushed as (an OCI layout whose reference name is only a tag
names none). Attest it with cosign attest (predicate type spdxjson or
cyclonedx) so that scans read it instead of the layers.`,
		Example: `  kubeward images sbom ghcr.io/acme/app:1.4.2 -o spdx=app.spdx.json
  kubeward images sbom ghcr.io/acme/app@sha256:... -o cyclonedx
  kubeward images sbom oci-dir:build/oci -o spdx=app.spdx.json
  kubeward images sbom oci-dir:out:1.4 --name ghcr.io/acme/app:1.4 -o cyclonedx=app.cdx.json
  docker save app:dev -o app.tar && kubeward images sbom docker-archive:app.tar`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPushName(f.name, args); err != nil {
				return err
			}
			return f.run(cmd.Context(), s, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.platform, "platform", "linux/amd64", "the image to read from a multi-platform index (os/arch[/variant])")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "bound on reading and listing the image")
	fl.StringVar(&f.name, "name", "", "REPOSITORY[:TAG] a local image will be pushed as, which the document names (no digest: the image's own is read)")
	fl.StringVar(&f.caFile, "registry-ca", "", "PEM file of certificate authorities the registry's certificate is checked against, besides the system's")
	f.out.register(cmd, sbom.Formats(), "spdx", "")
	return cmd
}

func (f *sbomFlags) run(ctx context.Context, s Streams, image string) error {
	if err := f.out.parse("spdx"); err != nil {
		return err
	}
	platform, err := v1.ParsePlatform(f.platform)
	if err != nil {
		return usageErr("--platform: %v", err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var img v1.Image
	var subject sbom.Subject
	if local.IsLocal(image) {
		li, err := local.Open(image, *platform)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		defer li.Close()
		img, subject = li.Image, sbom.Subject{Reference: cmp.Or(f.name, image)}
		if named, err := reference.ParseNormalizedNamed(cmp.Or(f.name, li.Reference)); err == nil {
			subject.Repository = reference.TrimNamed(named).String()
		}
	} else {
		var client *registry.Client
		if img, subject, client, err = f.remote(ctx, image, *platform); err != nil {
			return err
		}
		defer client.Close() // its temporary directory: images sbom keeps no cache
	}
	list, err := sbom.FromImage(ctx, img, sbom.Options{})
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("%s: %w", image, err)}
	}
	for _, p := range list.Problems {
		fmt.Fprintf(s.Err, "warning: %s\n", p)
	}
	// The SBOM names the platform's image, not the index a tag may name.
	h, err := img.Digest()
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("%s: %w", image, err)}
	}
	subject.Digest, subject.Tool, subject.ToolVersion = h.String(), "kubeward", version.String()
	return f.out.write(s, func(format string, w io.Writer) error { return list.Write(w, format, subject) })
}

// remote reads a registry's image through a client the caller closes
// once the image is read (no layer is read before: nothing to close on
// an error).
func (f *sbomFlags) remote(ctx context.Context, image string, platform v1.Platform) (v1.Image, sbom.Subject, *registry.Client, error) {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return nil, sbom.Subject{}, nil, usageErr("%q is not an image reference (nor a local source %s:PATH): %v", image, strings.Join(local.Schemes, ":PATH, "), err)
	}
	ref, err := name.ParseReference(reference.TagNameOnly(named).String())
	if err != nil {
		return nil, sbom.Subject{}, nil, usageErr("%q is not an image reference: %v", image, err)
	}
	opts := registry.Options{UserAgent: "kubeward/" + version.String()}
	if f.caFile != "" {
		if opts.RootCAs, err = caPool(f.caFile); err != nil {
			return nil, sbom.Subject{}, nil, usageErr("--registry-ca: %v", err)
		}
	}
	client, err := registry.New(opts)
	if err != nil {
		return nil, sbom.Subject{}, nil, &exitError{code: ExitError, err: err}
	}
	session, err := client.Session("default", nil)
	if err != nil {
		return nil, sbom.Subject{}, nil, &exitError{code: ExitError, err: err}
	}
	digest, err := session.Resolve(ctx, ref)
	if err != nil {
		return nil, sbom.Subject{}, nil, &exitError{code: ExitError, err: fmt.Errorf("%s: %w", image, err)}
	}
	img, err := session.Image(ctx, digest, platform)
	if err != nil {
		return nil, sbom.Subject{}, nil, &exitError{code: ExitError, err: fmt.Errorf("%s: %w", image, err)}
	}
	return img, sbom.Subject{Reference: image, Repository: reference.TrimNamed(named).String()}, client, nil
}

// caPool is the system's certificate authorities and those of a PEM file
// (read within a bound: a device is an error, not a hang).
func caPool(file string) (*x509.CertPool, error) {
	pem, err := source.ReadFile(file, maxConfiguredFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}
