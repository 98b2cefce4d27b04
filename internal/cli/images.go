package cli

import (
	"fmt"
	"io"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/listing"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/spf13/cobra"
)

// imagesInput loads what the image inventory reads: every workload kind,
// in full. It is never registered; it only tells the loader what to keep.
var imagesInput = &check.Check{
	Meta:      check.Meta{ID: "image-inventory", Title: "Image inventory", Severity: check.Info, Category: check.CategoryImage, Rationale: "-", Fix: "-"},
	Inventory: func(*check.Context, *inventory.Inventory) []check.Result { return nil },
	Needs:     inventory.WorkloadKinds,
}

type imagesFlags struct {
	out     outputFlag
	input   inputFlags
	cluster clusterFlags
	images  imageFlags
	vulnDB  vulnDBFlags
}

func newImagesCmd(s Streams) *cobra.Command {
	f := &imagesFlags{}
	cmd := &cobra.Command{
		Use:   "images [PATH|-]...",
		Short: "List the container images of the input; their SBOMs and the vulnerability database",
		Long: `List every container image reference of the input (files, Helm charts, Kustomize
overlays, standard input, or the cluster with --cluster) with every place that
uses it: the object, the container, and the file and line of its image field.
Each reference is split as the kubelet reads it: registry, repository, tag
(latest when none is given) and digest.

With --resolve, each distinct image is looked up in its registry once: the
digest a tag points to, the verdict of images.policies on its signatures
and attestations, and the advisories of the OSV database (--vuln-db; never
downloaded here: "images db update") that match its packages
(docs/images.md). Credentials come from the Docker
configuration and credential helpers; with --cluster, from each workload's
imagePullSecrets and service account. In cluster mode the digests the running
pods report are listed too, and --resolve judges them as well.

Subcommands: "images check IMAGE..." judges images on their own (a registry's,
or one built locally before it is pushed: oci-dir:, oci-archive:,
docker-archive:) with scan's findings and exit codes, "images sbom IMAGE" writes
an image's SBOM, "images db update" fetches the vulnerability database
(docs/images.md). A directory named like a subcommand is listed as ./db.

Exit codes: 0 listed, 2 usage or input error (input that holds no workload is
an error).`,
		Example: `  kubeward images deploy/
  kubeward images --cluster -o json=images.json
  kubeward images --resolve charts/web --values prod.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.images.close()
			return f.run(cmd, s, args)
		},
	}
	f.out.register(cmd, []string{"table", "json"}, "table", "")
	f.input.registerQuery(cmd)
	f.cluster.register(cmd)
	f.images.register(cmd, "resolve", false, "look each image up in its registry: the digest of tags, the verdict of images.policies and known vulnerabilities")
	f.vulnDB.register(cmd)
	cmd.AddCommand(newImagesCheckCmd(s), newImagesSBOMCmd(s), newImagesDBCmd(s))
	return cmd
}

func (f *imagesFlags) run(cmd *cobra.Command, s Streams, args []string) error {
	if err := f.out.parse("table"); err != nil {
		return err
	}
	found, err := loadConfig(s.Err, f.input.configPath)
	if err != nil {
		return err
	}
	var inv *inventory.Inventory
	var keychains resolve.Keychains
	if f.cluster.enabled {
		if len(args) > 0 {
			return usageErr("--cluster lists the cluster's images; do not name paths")
		}
		loaded, err := f.cluster.load(cmd.Context(), inventory.WorkloadKinds, nil, s.Err)
		if err != nil {
			return err
		}
		for gk, why := range loaded.Unreadable {
			fmt.Fprintf(s.Err, "kubeward: %s not listed: %s\n", gk.Kind, why)
		}
		inv = loaded.Inventory
		if f.images.enabled {
			if keychains, err = f.cluster.keychains(); err != nil {
				return err
			}
		}
	} else {
		if len(args) == 0 {
			args = []string{"."}
		}
		if inv, err = f.input.query(s, args, imagesInput); err != nil {
			return err
		}
	}
	var rs *resolve.Resolver
	if f.images.enabled {
		an, gap, err := vulnerabilityAnalysis(found, f.vulnDB, &check.Options{})
		if err != nil {
			return err
		}
		var analyzers []resolve.Analyzer
		if an != nil {
			analyzers = append(analyzers, an)
		} else {
			fmt.Fprintf(s.Err, "kubeward: known vulnerabilities %s\n", gap)
		}
		if rs, err = f.images.resolver(found, keychains, analyzers...); err != nil {
			return err
		}
	}
	images := listing.Build(inv, nil)
	if len(images) == 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("the input holds no container image (no Pod, workload or pod template)")}
	}
	if rs != nil {
		images = listing.Build(inv, rs.Resolve(cmd.Context(), resolve.Uses(inv)))
	}
	return f.out.write(s, func(format string, w io.Writer) error {
		if format == "json" {
			return listing.WriteJSON(w, images)
		}
		return listing.WriteTable(w, images)
	})
}
