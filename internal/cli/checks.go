package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checkdoc"
	"github.com/spf13/cobra"
)

func newChecksCmd(s Streams) *cobra.Command {
	var output, category string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the checks kubeward runs",
		Long:  "List every check with its severity and category. -o markdown writes the check reference (docs/checks.md).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := check.All()
			if category != "" {
				var err error
				if checks, err = check.Select(checks, []string{"category:" + category}, nil); err != nil {
					return usageErr("%v", err)
				}
			}
			switch output {
			case "table":
				tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CHECK\tSEVERITY\tCATEGORY\tTITLE")
				for _, c := range checks {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, c.Category, c.Title)
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
	return cmd
}
