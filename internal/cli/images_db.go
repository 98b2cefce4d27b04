package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/spf13/cobra"
)

// vulnDBFlags locate the OSV database: --vuln-db, else the configuration's
// images.vulnerabilities.db.dir, else the user cache directory.
type vulnDBFlags struct {
	dir string
}

func (f *vulnDBFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "vuln-db", "", "`DIR` of the OSV database, as \"kubeward images db update\" writes it (default: images.vulnerabilities.db.dir of the configuration, else $XDG_CACHE_HOME/kubeward/osv); a copy works offline")
}

// resolve returns the database directory and whether it was chosen (flag
// or configuration) rather than defaulted.
func (f *vulnDBFlags) resolve(cfg *config.File) (dir string, chosen bool, err error) {
	switch {
	case f.dir != "":
		return f.dir, true, nil
	case cfg != nil && cfg.Images.Vulnerabilities.DB.Dir != "":
		return cfg.Images.Vulnerabilities.DB.Dir, true, nil
	}
	d, err := vulndb.DefaultDir()
	if err != nil {
		return "", false, usageErr("%v", err)
	}
	return d, false, nil
}

func newImagesDBCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Fetch and inspect the OSV vulnerability database",
		Long: `The known-vulnerability checks match image packages against the OSV database:
per-ecosystem archives (all.zip) as osv.dev publishes them, indexed by kubeward.
"update" fetches them; scans only read them and never download. For an
air-gapped site, run update where the archives can be reached (or from a
mirror, or a file:// copy of the bucket) and copy the directory; scans take
the copy's path (docs/images.md).`,
	}
	cmd.AddCommand(newImagesDBUpdateCmd(s), newImagesDBStatusCmd(s))
	return cmd
}

type dbUpdateFlags struct {
	db         vulnDBFlags
	configPath string
	ecosystems []string
	remote     string
	timeout    time.Duration
	out        outputFlag
}

func newImagesDBUpdateCmd(s Streams) *cobra.Command {
	f := &dbUpdateFlags{}
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Fetch the OSV archives of the ecosystems images are made of",
		Long: `Fetch each ecosystem's OSV archive unless the copy is current (a conditional
request), check its CRC32C when the server gives one, and index it. Each
ecosystem is replaced whole, so an interrupted update leaves the previous copy.

Ecosystems: --ecosystem, else images.vulnerabilities.db.ecosystems of the
configuration, else those the database already holds, else ` + strings.Join(vulndb.DefaultEcosystems(), ", ") + `.
A scan that finds packages of an ecosystem the database lacks says which to add.`,
		Example: `  kubeward images db update
  kubeward images db update --ecosystem Debian,Alpine,Go,npm --vuln-db /srv/osv
  kubeward images db update --remote-host file:///mnt/osv-mirror --vuln-db /srv/osv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd.Context(), s)
		},
	}
	f.db.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.configPath, "config", "", "configuration file (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root)")
	fl.StringSliceVar(&f.ecosystems, "ecosystem", nil, "OSV ecosystem to fetch, as osv.dev names it (Debian, Alpine, Go, npm, PyPI, \"Red Hat\"...; repeatable or comma-separated)")
	fl.StringVar(&f.remote, "remote-host", "", "where the archives are, as <host>/<ecosystem>/all.zip (default: images.vulnerabilities.db.remoteHost, else "+vulndb.DefaultRemote+"); https://, http:// or file://")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "bound on the whole update")
	f.out.register(cmd, []string{"table", "json"}, "table", "")
	return cmd
}

func (f *dbUpdateFlags) run(ctx context.Context, s Streams) error {
	if err := f.out.parse("table"); err != nil {
		return err
	}
	found, err := loadConfig(s.Err, f.configPath)
	if err != nil {
		return err
	}
	cfg := found.file.Images.Vulnerabilities.DB
	dir, _, err := f.db.resolve(found.file)
	if err != nil {
		return err
	}
	opts := vulndb.UpdateOptions{
		Remote:     cmp.Or(f.remote, cfg.RemoteHost),
		Ecosystems: f.ecosystems,
		// The default transport honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
		Client: &http.Client{Timeout: f.timeout},
	}
	if len(opts.Ecosystems) == 0 {
		opts.Ecosystems = cfg.Ecosystems
	}
	if len(opts.Ecosystems) == 0 {
		opts.Ecosystems = vulndb.Ecosystems(dir)
	}
	if len(opts.Ecosystems) == 0 {
		opts.Ecosystems = vulndb.DefaultEcosystems()
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	fmt.Fprintf(s.Err, "kubeward: updating %s in %s\n", strings.Join(opts.Ecosystems, ", "), dir)
	updated, err := vulndb.Update(ctx, dir, opts)
	werr := f.out.write(s, func(format string, w io.Writer) error {
		return writeDBUpdate(w, format, dir, updated)
	})
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("vulnerability database: %w", err)}
	}
	return werr
}

func writeDBUpdate(w io.Writer, format, dir string, updated []vulndb.Updated) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"dir": dir, "ecosystems": updated})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ECOSYSTEM\tARCHIVE\tSIZE\tINDEX RECORDS")
	for _, u := range updated {
		state := "fetched"
		if u.Unchanged {
			state = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", u.Ecosystem, state, mib(u.Bytes), u.Records)
	}
	return tw.Flush()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

type dbStatusFlags struct {
	db         vulnDBFlags
	configPath string
	out        outputFlag
}

func newImagesDBStatusCmd(s Streams) *cobra.Command {
	f := &dbStatusFlags{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the ecosystems the OSV database holds and when each was fetched",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.out.parse("table"); err != nil {
				return err
			}
			found, err := loadConfig(s.Err, f.configPath)
			if err != nil {
				return err
			}
			dir, _, err := f.db.resolve(found.file)
			if err != nil {
				return err
			}
			ecos := vulndb.Ecosystems(dir)
			if len(ecos) == 0 {
				return &exitError{code: ExitError, err: fmt.Errorf("no OSV archives in %s (fetch them with kubeward images db update)", dir)}
			}
			type row struct {
				Ecosystem string    `json:"ecosystem"`
				Fetched   time.Time `json:"fetched"`
				Source    string    `json:"source"`
			}
			var rows []row
			for _, e := range slices.Sorted(slices.Values(ecos)) {
				fetched, source := vulndb.ReadMeta(dir, e)
				rows = append(rows, row{e, fetched, source})
			}
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					return enc.Encode(map[string]any{"dir": dir, "ecosystems": rows})
				}
				fmt.Fprintf(w, "%s\n", dir)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ECOSYSTEM\tFETCHED\tAGE\tSOURCE")
				for _, r := range rows {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Ecosystem, r.Fetched.Format(time.RFC3339), age(r.Fetched), r.Source)
				}
				return tw.Flush()
			})
		},
	}
	f.db.register(cmd)
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root)")
	f.out.register(cmd, []string{"table", "json"}, "table", "")
	return cmd
}

func age(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	d := time.Since(t)
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
