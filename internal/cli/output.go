package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kubeward/kubeward/internal/report"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// outputFlag is -o of every command, with one meaning everywhere: a format,
// written to standard output, or FORMAT=FILE, written to FILE; repeatable,
// with at most one output on standard output. The spec is read by
// report.ParseOutputOf, as scan's is.
type outputFlag struct {
	specs   []string
	formats []string
	outs    []output // parsed
}

// register adds -o for these formats; def is the default named in the help
// ("" for a default that depends on the terminal, explained by note).
func (o *outputFlag) register(cmd *cobra.Command, formats []string, def, note string) {
	o.formats = formats
	usage := "output format: " + orList(formats) + "; FORMAT=FILE writes to a file (repeatable"
	if def != "" {
		usage += "; default " + def
	}
	if note != "" {
		usage += "; " + note
	}
	cmd.Flags().StringArrayVarP(&o.specs, "output", "o", nil, usage+")")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return formats, cobra.ShellCompDirectiveNoFileComp
	})
}

// parse validates every -o before any work is done, so a usage error never
// follows a report already written; without -o the output is def on
// standard output.
func (o *outputFlag) parse(def string) error {
	o.outs = nil
	if o.formats == nil {
		return nil // the command has no -o (webhook serve prepares a scan's run)
	}
	specs := o.specs
	if len(specs) == 0 {
		specs = []string{def}
	}
	toStdout := 0
	for _, spec := range specs {
		format, file, err := report.ParseOutputOf(spec, o.formats)
		if err != nil {
			return usageErr("-o: %v", err)
		}
		if file == "" {
			if toStdout++; toStdout > 1 {
				return usageErr("only one output can go to standard output; use FORMAT=FILE for the others")
			}
		}
		o.outs = append(o.outs, output{format, file})
	}
	return nil
}

// output is one -o: a format, written to file or, when file is "", stdout.
type output struct{ format, file string }

// stdout reports whether o goes to standard output.
func (o output) stdout() bool { return o.file == "" }

// writeEach renders each parsed output with render, to standard output or
// to a new file. A failed write is an input/output error (exit 2).
func (of *outputFlag) writeEach(s Streams, render func(o output, w io.Writer) error) error {
	for _, o := range of.outs {
		if o.stdout() {
			if err := render(o, s.Out); err != nil {
				return &exitError{code: ExitError, err: err}
			}
			continue
		}
		f, err := os.Create(o.file)
		if err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("output %s: %w", o.file, err)}
		}
		err = render(o, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("write %s: %w", o.file, err)}
		}
	}
	return nil
}

// only returns the flag with only the outputs of one format.
func (o *outputFlag) only(format string) *outputFlag {
	c := *o
	c.outs = nil
	for _, out := range o.outs {
		if out.format == format {
			c.outs = append(c.outs, out)
		}
	}
	return &c
}

// write is writeEach for a renderer that needs only the format.
func (o *outputFlag) write(s Streams, render func(format string, w io.Writer) error) error {
	return o.writeEach(s, func(out output, w io.Writer) error { return render(out.format, w) })
}

// terminalWidth is the width of the terminal f is, 0 (the renderer's
// default) when it is none.
func terminalWidth(f *os.File) int {
	if f == nil {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil || w < 40 {
		return 0
	}
	return w
}

// orList joins formats as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
