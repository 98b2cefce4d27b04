package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checkdoc"
	"github.com/spf13/cobra"
)

func newChecksCmd(s Streams) *cobra.Command {
	var out outputFlag
	var category, peer string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the checks kubeward runs",
		Long: "List every check with its severity, category and the ids of the matching checks of Trivy, kubescape, Polaris and kube-linter. " +
			"Opt-in checks run only when selected by their id. --peer finds the kubeward checks that match another scanner's check id. " +
			"-o markdown writes the check reference (docs/checks.md).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.parse("table"); err != nil {
				return err
			}
			checks := check.All()
			if category != "" {
				checks = slices.DeleteFunc(checks, func(c *check.Check) bool { return string(c.Category) != category })
				if len(checks) == 0 {
					return usageErr("no check has the category %q (see `kubeward checks`)", category)
				}
			}
			if peer != "" {
				checks = slices.DeleteFunc(checks, func(c *check.Check) bool {
					return !slices.ContainsFunc(c.Peers, func(p check.Peer) bool { return strings.EqualFold(p.ID, peer) })
				})
				if len(checks) == 0 {
					return usageErr("no check matches the peer check %q; docs/checks.md lists the peer checks kubeward does not adopt", peer)
				}
			}
			return out.write(s, func(format string, w io.Writer) error {
				switch format {
				case "json":
					metas := make([]check.Meta, len(checks))
					for i, c := range checks {
						metas[i] = c.Meta
					}
					return writeJSON(w, metas)
				case "markdown":
					return checkdoc.Markdown(w, checks)
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CHECK\tSEVERITY\tCATEGORY\tTITLE\tPEERS")
				for _, c := range checks {
					sev := c.Severity.String()
					if c.OptIn {
						sev += " (opt-in)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, sev, c.Category, c.Title, checkdoc.PeerIDs(c))
				}
				return tw.Flush()
			})
		},
	}
	out.register(cmd, []string{"table", "json", "markdown"}, "table", "")
	cmd.Flags().StringVar(&category, "category", "", "only checks of this category")
	cmd.Flags().StringVar(&peer, "peer", "", "only checks matching this check id of another scanner (KSV049, C-0037, pullPolicyNotAlways, ssh-port)")
	return cmd
}
