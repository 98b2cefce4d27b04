package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every command's -o has scan's meaning: a format, or FORMAT=FILE,
// repeatable. A new command that gives -o another meaning fails here.
func TestOutputFlagHasOneMeaning(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		if f := c.Flags().Lookup("output"); f != nil {
			seen++
			if f.Shorthand != "o" || f.Value.Type() != "stringArray" || !strings.Contains(f.Usage, "FORMAT=FILE") {
				t.Errorf("%s: -o is %s %q: want a repeatable FORMAT[=FILE]", c.CommandPath(), f.Value.Type(), f.Usage)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(Streams{}))
	if seen < 12 {
		t.Errorf("only %d commands have -o", seen)
	}
}

// Each command writes FORMAT=FILE to the file and nothing to standard
// output, and refuses an unknown format before doing any work.
func TestOutputToFileEverywhere(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string { return writeTestFile(t, dir, name, content) }
	app := write("app.yaml", netpolFixture)
	rb := write("rbac.yaml", rbacManifests)
	log := auditFixture(t)
	privileged := write("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n")
	for _, tc := range []struct {
		name string
		args []string
		json bool // the file holds one JSON document (else JSON lines)
	}{
		{"scan", []string{"scan", privileged, "--fail-on", "none"}, true},
		{"checks", []string{"checks"}, true},
		{"netpol matrix", []string{"netpol", "matrix", "-f", app}, true},
		{"netpol explain", []string{"netpol", "explain", "shop/Deployment/web", "shop/Deployment/api", "9000", "-f", app}, true},
		{"rbac who-can", []string{"rbac", "who-can", "get", "secrets", "-n", "shop", "-f", rb}, true},
		{"rbac can", []string{"rbac", "can", "user:ci-bot", "-f", rb}, true},
		{"rbac paths", []string{"rbac", "paths", "-f", rb}, true},
		{"rbac unused", []string{"rbac", "unused", "--audit", log, "-f", rb}, true},
		{"policy test", []string{"policy", "test", "-f", policyExample("policies"), policyExample("manifests")}, true},
		{"audit rules", []string{"audit", "rules"}, true},
		{"audit scan", []string{"audit", "scan", log}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "out.json")
			code, out, stderr := runCLI(t, append(tc.args, "-o", "json="+file)...)
			if code == ExitError {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if strings.TrimSpace(out) != "" {
				t.Errorf("standard output is not empty:\n%s", out)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if tc.json {
				if !json.Valid(data) {
					t.Errorf("not JSON:\n%s", data)
				}
			} else if as := alertsOf(t, string(data)); len(as) == 0 {
				t.Errorf("no alerts in %s", data)
			}
			code, _, stderr = runCLI(t, append(tc.args, "-o", "yaml")...)
			if code != ExitError || !strings.Contains(stderr, `unknown output format "yaml"`) {
				t.Errorf("-o yaml: exit %d\n%s", code, stderr)
			}
		})
	}
}

// audit scan once took -o as a file name: -o json wrote a file named json.
func TestAuditScanOutput(t *testing.T) {
	log := auditFixture(t)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })

	code, out, stderr := runCLI(t, "audit", "scan", log, "-o", "json")
	if code != 0 || len(alertsOf(t, out)) != 3 {
		t.Errorf("-o json: exit %d\n%s\n%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "json")); err == nil {
		t.Error("-o json wrote a file named json")
	}

	code, out, _ = runCLI(t, "audit", "scan", log, "-o", "table")
	for _, want := range []string{"HIGH", "privileged-pod", "by alice", "audit.log:1", "fix:", "3 alerts (1 high, 2 medium)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("-o table: exit %d, no %q in\n%s", code, want, out)
		}
	}

	table := filepath.Join(dir, "alerts.txt")
	jsonl := filepath.Join(dir, "alerts.jsonl")
	code, out, _ = runCLI(t, "audit", "scan", log, "-o", "table="+table, "-o", "json="+jsonl)
	tb, _ := os.ReadFile(table)
	jl, _ := os.ReadFile(jsonl)
	if code != 0 || out != "" || !strings.Contains(string(tb), "privileged-pod") || len(alertsOf(t, string(jl))) != 3 {
		t.Errorf("two files: exit %d, stdout %q\ntable %s\njson %s", code, out, tb, jl)
	}

	// The old meaning is refused with the way to say it now.
	code, _, stderr = runCLI(t, "audit", "scan", log, "-o", "alerts.jsonl")
	if code != ExitError || !strings.Contains(stderr, "json=alerts.jsonl") {
		t.Errorf("-o alerts.jsonl: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "audit", "watch", log, "-o", "table"); code != ExitError || !strings.Contains(stderr, `unknown output format "table"`) {
		t.Errorf("watch -o table: exit %d\n%s", code, stderr)
	}
}

// writeTestFile writes content to dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
