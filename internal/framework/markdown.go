package framework

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Markdown writes docs/frameworks.md: every framework with its controls,
// the checks that decide each, or why it is manual.
func Markdown(w io.Writer) error {
	fws, err := All()
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	b.WriteString(`# Compliance frameworks

<!-- Generated from internal/framework/data by go test ./internal/framework -update; do not edit. -->

` + "`kubeward scan --framework ID`" + ` runs the checks that decide the framework's controls and
adds a result per control to the table, JSON (` + "`frameworks[]`" + `), Markdown and HTML reports:

- **passed**: every check of the control ran on its input and found nothing;
- **failed**: a check found something (the failing objects are listed);
- **not applicable**: the input holds nothing the control's checks read (control-plane
  controls on application manifests), or a component the coverage accepts as absent;
- **not checked**: a coverage gap left one of its checks out or partial (a kind the identity
  could not list, a control plane the API does not show): never called passed;
- **manual**: no check can decide it; the reason is given below.

The score is passed / (passed + failed + not checked), in percent: what was not looked at
counts against it, what does not apply and what is manual do not count.
Control ids are the framework's own; where the framework numbers nothing, they are Trivy's
compliance ids, and kubescape's control ids are listed beside them.
` + "`kubeward controller --framework ID`" + ` judges the same controls on the live cluster's
findings, as they change: it writes a cluster report per framework, a result per control
(docs/controller.md#framework-reports), and exports the score and the controls by status as
Prometheus gauges (docs/controller.md#metrics).

| framework | controls | decided by checks | manual | Trivy | kubescape |
|---|---:|---:|---:|---|---|
`)
	for _, fw := range fws {
		d, m := fw.Counts()
		fmt.Fprintf(b, "| [`%s`](#%s) %s | %d | %d | %d | %s | %s |\n", fw.ID, anchor(fw.ID), fw.Title,
			len(fw.Controls), d, m, code(fw.Peers["trivy"]), code(fw.Peers["kubescape"]))
	}
	for _, fw := range fws {
		fmt.Fprintf(b, "\n## %s\n\n%s (version %s, <%s>).\n\n", fw.ID, oneLine(fw.Description), fw.Version, fw.URL)
		b.WriteString("| control | title | kubescape | decided by |\n|---|---|---|---|\n")
		for _, c := range fw.Controls {
			by := "manual: " + oneLine(c.Manual)
			if len(c.Checks) > 0 {
				by = checkLinks(c.Checks)
			}
			if len(c.Related) > 0 {
				by += "; related: " + checkLinks(c.Related)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", c.ID, cell(c.Title), code(c.Kubescape), cell(by))
		}
	}
	return b.Flush()
}

func anchor(id string) string { return strings.ReplaceAll(id, ".", "") }

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", `\|`) }

func checkLinks(ids []string) string {
	links := make([]string, len(ids))
	for i, id := range ids {
		links[i] = fmt.Sprintf("[`%s`](checks.md#%s)", id, id)
	}
	return strings.Join(links, ", ")
}
