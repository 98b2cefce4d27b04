package cli

import "github.com/spf13/cobra"

// newImagesCmd groups the image commands.
func newImagesCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "images",
		Short: "What images are: their packages (SBOM) and the vulnerability database",
		Long: `Image supply chain (docs/images.md): the software packages of an image as an SBOM,
and the OSV database the known-vulnerability checks match them against.`,
	}
	cmd.AddCommand(newImagesSBOMCmd(s), newImagesDBCmd(s))
	return cmd
}
