package cli

import (
	"fmt"
	"os"
	"slices"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/fix"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/spf13/cobra"
)

func newFixCmd(s Streams) *cobra.Command {
	var in inputFlags
	var write bool
	cmd := &cobra.Command{
		Use:   "fix [PATH]...",
		Short: "Write the safe fixes of findings into the manifests (a diff, or --write)",
		Long: `Fix the findings whose remedy is mechanical and safe for every workload, in the
files they were found in: allowPrivilegeEscalation: false (allow-privilege-escalation),
capabilities.drop: [ALL] (capabilities-drop-all; capabilities.add still adds back
what it names) and a RuntimeDefault seccomp profile on the pod (linux-hardening; a
pod that sets a profile keeps it). Every workload kind, containers and
initContainers, multi-document files, Lists and JSON.

Only the bytes of the fix change: comments, quoting, indentation and order are
kept, and each edited document must decode to the original object plus the fix,
or it is left alone and named. Without --write, the unified diff is printed
(git apply takes it); with --write, the files are rewritten.

Helm templates, Kustomize builds and standard input are refused: the text they
were read from is not the text a fix would edit. Suppressed findings are not
fixed. automountServiceAccountToken is not set: whether a pod calls the API is
not in its manifest. docs/fix.md says more.

Exit codes: 0 nothing to fix, or every fix written; 1 fixes to write (without
--write) or findings that could not be fixed safely; 2 usage or input error, a
Helm template or Kustomize build, input with nothing to check (no workload).`,
		Example: `  kubeward fix deploy/                # show the diff
  kubeward fix --write deploy/        # write it
  kubeward fix deploy/ | git apply    # the same, through git`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			if slices.Contains(args, "-") {
				return usageErr("kubeward fix edits files and cannot write standard input back: save it to a file and name the file")
			}
			found, err := loadConfig(s.Err, in.configPath)
			if err != nil {
				return err
			}
			l, err := in.loader(s, found)
			if err != nil {
				return err
			}
			checks, err := check.Select(check.All(), fix.Checks(), nil)
			if err != nil {
				return err
			}
			sup := &check.Suppressions{Rules: found.file.Suppressions, Origin: found.path}
			engine := scan.New(scan.Options{Checks: checks, Suppressions: sup})
			res, inv, err := engine.Files(l, args)
			if err != nil {
				return loadError(s.Err, engine.Log, err)
			}
			return runFix(s, res, fix.Own(inv), write)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.configPath, "config", "", "configuration file: its paths.exclude and suppressions apply (default: .kubeward.yaml in the working directory or the nearest parent up to the repository root)")
	fl.BoolVar(&write, "write", false, "rewrite the files instead of printing the diff")
	return cmd
}

// runFix plans, patches and prints or writes; the exit code counts input
// errors and refusals (2), then what is left to fix (1).
func runFix(s Streams, res *scan.Result, own func(inventory.Source, inventory.Ref) bool, write bool) error {
	errs := 0
	for _, p := range res.Problems {
		if p.Level == diag.Error {
			fmt.Fprintln(s.Err, p)
			errs++
		}
	}
	if len(res.NoInput) == len(res.Checks) {
		// Objects, but none a fix applies to (a tree of ConfigMaps): "0
		// fixes" would pass a path that missed the workloads.
		return &exitError{code: ExitError, err: fmt.Errorf("the input holds no workload (Pod, workload or pod template): nothing to fix or judge")}
	}
	plan, refused := fix.Plan(res.Findings, own)
	for _, r := range refused {
		fmt.Fprintln(s.Err, r)
	}
	errs += len(refused)
	files := make([]string, 0, len(plan))
	for f := range plan {
		files = append(files, f)
	}
	slices.Sort(files)
	written, left, changed := 0, 0, 0
	for _, file := range files {
		data, err := source.ReadFile(file, loader.DefaultMaxFileBytes)
		if err != nil {
			fmt.Fprintf(s.Err, "%s: %v\n", file, err)
			errs++
			continue
		}
		out, results := fix.Patch(data, plan[file])
		for _, r := range results {
			if r.Err != nil {
				fmt.Fprintf(s.Err, "%s:%d: %s: %s not written: %v\n", file, r.Line, r.Object, r.Kind, r.Err)
				left++
			} else {
				written++
			}
		}
		if string(out) == string(data) {
			continue
		}
		changed++
		if write {
			st, err := os.Stat(file)
			if err == nil {
				err = os.WriteFile(file, out, st.Mode().Perm())
			}
			if err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("writing %s: %w", file, err)}
			}
			continue
		}
		d, err := fix.Diff(file, data, out)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		fmt.Fprint(s.Out, d)
	}
	verb := "to write (run with --write)"
	if write {
		verb = "written"
	}
	fmt.Fprintf(s.Err, "kubeward fix: %d fix(es) in %d file(s) %s", written, changed, verb)
	if left > 0 {
		fmt.Fprintf(s.Err, "; %d left to fix by hand", left)
	}
	fmt.Fprintln(s.Err)
	if !write {
		left += written
	}
	switch {
	case errs > 0:
		return &exitError{code: ExitError, err: fmt.Errorf("%d input error(s) or refused input(s): not everything was fixed", errs)}
	case left > 0:
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d fix(es) not written", left)}
	}
	return nil
}
