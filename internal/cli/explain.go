package cli

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checkdoc"
	"github.com/spf13/cobra"
)

func newExplainCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "explain CHECK",
		Short: "Explain a check: why it matters, what it reads, how to fix it",
		Args:  cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var ids []string
			for _, c := range check.All() {
				ids = append(ids, c.ID+"\t"+c.Title)
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok := check.Get(args[0])
			if !ok {
				return usageErr("no check %q (see `kubeward checks`)", args[0])
			}
			return checkdoc.Explain(s.Out, c)
		},
	}
}
