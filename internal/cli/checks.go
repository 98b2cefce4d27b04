package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checkdoc"
	"github.com/spf13/cobra"
)

func newChecksCmd(s Streams) *cobra.Command {
	var output, category, peer string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the checks kubeward runs",
		Long: "List every check with its severity, category and the ids of the matching checks of Trivy, kubescape, Polaris and kube-linter. " +
			"Opt-in checks run only when selected by their id. --peer finds the kubeward checks that match another scanner's check id. " +
			"-o markdown writes the check reference (docs/checks.md).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			switch output {
			case "table":
				tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CHECK\tSEVERITY\tCATEGORY\tTITLE\tPEERS")
				for _, c := range checks {
					sev := c.Severity.String()
					if c.OptIn {
						sev += " (opt-in)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, sev, c.Category, c.Title, checkdoc.PeerIDs(c))
				}
				return tw.Flush()
			case "json":
				metas := make([]check.Meta, len(checks))
				for i, c := range checks {
					metas[i] = c.Meta
				}
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(metas)
			case "markdown":
				return checkdoc.Markdown(s.Out, checks)
			}
			return usageErr("unknown output %q (want table, json or markdown)", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or markdown")
	cmd.Flags().StringVar(&category, "category", "", "only checks of this category")
	cmd.Flags().StringVar(&peer, "peer", "", "only checks matching this check id of another scanner (KSV049, C-0037, pullPolicyNotAlways, ssh-port)")
	return cmd
}
