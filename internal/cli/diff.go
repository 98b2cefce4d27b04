package cli

import (
	"fmt"
	"io"

	"github.com/kubeward/kubeward/internal/baseline"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/spf13/cobra"
)

func newDiffCmd(s Streams) *cobra.Command {
	var out outputFlag
	var failOn string
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two JSON reports: new, fixed and unchanged findings",
		Long: `Compare the findings of two JSON reports of kubeward scan (-o json=FILE): new
findings (in NEW only), fixed ones (in OLD only, or suppressed since) and unchanged
ones. Findings are matched by their fingerprint (check, object, field path), so
moved lines, renamed files, reordered documents and reworded messages do not make
a finding new; two findings with one fingerprint are matched one for one, the
same file first (docs/ci.md).

Exit codes: 0, or 1 with --fail-on when a new finding is at or above it; 2 when a
report cannot be read.`,
		Example: `  kubeward scan -o json=old.json deploy/   # on the target branch
  kubeward scan -o json=new.json deploy/   # on the change
  kubeward diff old.json new.json --fail-on high`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.parse("table"); err != nil {
				return err
			}
			gate := check.SeverityUnknown
			if failOn != "none" {
				sev, err := check.ParseSeverity(failOn)
				if err != nil {
					return usageErr("--fail-on: %v", err)
				}
				gate = sev
			}
			var reports [2]*baseline.Report
			for i, path := range args {
				r, err := baseline.ReadFile(path)
				if err != nil {
					return usageErr("%v", err)
				}
				reports[i] = r
			}
			d := baseline.Compare(reports[0], reports[1])
			if err := out.write(s, func(format string, w io.Writer) error { return d.Write(w, format) }); err != nil {
				return err
			}
			if gate != check.SeverityUnknown {
				if n := d.AtOrAbove(gate); n > 0 {
					return &exitError{code: ExitFindings, err: fmt.Errorf("%d new finding(s) at or above %s", n, gate)}
				}
			}
			return nil
		},
	}
	out.register(cmd, baseline.Formats(), "table", "")
	cmd.Flags().StringVar(&failOn, "fail-on", "none", "exit 1 when a new finding has this severity or higher: info, low, medium, high, critical or none")
	return cmd
}
