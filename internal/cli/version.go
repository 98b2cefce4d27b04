package cli

import (
	"fmt"
	"runtime"

	"github.com/kubeward/kubeward/internal/version"
	"github.com/spf13/cobra"
)

func newVersionCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the kubeward version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(s.Out, versionLine())
			return nil
		},
	}
}

// versionLine is kubeward's version with the Go release and platform it was
// built for; `go install ...@vX.Y.Z` records X.Y.Z in the build info.
func versionLine() string {
	return fmt.Sprintf("kubeward %s (%s, %s/%s)", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
