// Package cli is kubeward's command line: one file per subcommand, each a
// thin adapter from flags to the engine.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kubeward/kubeward/internal/report"
	"github.com/spf13/cobra"
)

// Exit codes. They are part of the interface: CI gates depend on them, and
// the reports state them (report.Summary.ExitCode).
const (
	ExitClean    = report.ExitClean    // no finding at or above the gate
	ExitFindings = report.ExitFindings // findings at or above the gate (or another gate failed)
	ExitError    = report.ExitError    // usage error, or input that could not be read or parsed
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr marks an error as the user's (bad flag, bad argument).
func usageErr(format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...)}
}

// Streams are the process's standard streams, replaced in tests.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	// OutFile is Out as a file when it is one, to detect a terminal.
	OutFile *os.File
}

// NewRoot builds the command tree.
func NewRoot(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubeward",
		Short: "Find and stop insecure Kubernetes settings, from CI to run time",
		Long: `kubeward finds insecure Kubernetes settings in manifests, Helm charts and Kustomize
overlays, in a running cluster, at admission, and in the API server's audit events.

Exit codes: 0 clean, 1 findings at or above the gate (each command's help says
which), 2 usage or input error, including input that holds nothing to judge.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionLine(),
	}
	// --version prints what `kubeward version` prints.
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(
		newScanCmd(s),
		newChecksCmd(s),
		newExplainCmd(s),
		newNetpolCmd(s),
		newRBACCmd(s),
		newPolicyCmd(s),
		newVersionCmd(s),
		newAuditCmd(s),
		newWebhookCmd(s),
		newControllerCmd(s),
		newNodeCmd(s),
		newImagesCmd(s),
		newDiffCmd(s),
		newFixCmd(s),
		newAgentCmd(s),
	)
	return root
}

// Main runs the command line and returns the process exit code.
func Main(args []string, s Streams) int {
	root := NewRoot(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitClean
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(s.Err, "kubeward: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors (unknown flag, wrong arguments) are usage errors.
	fmt.Fprintf(s.Err, "kubeward: %v\n", err)
	return ExitError
}
