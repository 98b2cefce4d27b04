package cli

import (
	"os"
	"strings"
	"testing"
)

// TestCIRunsTheReadmeTestCommand keeps .ci/run honest: the command CI runs
// last is the README's test command, so CI tests what a new user runs.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## The two commands")
	if !ok {
		t.Fatal("README.md has no section \"## The two commands\"")
	}
	var blocks []string
	for rest := section; len(blocks) < 2; {
		_, after, ok := strings.Cut(rest, "```sh\n")
		if !ok {
			t.Fatalf("README.md's two commands: found %d sh blocks", len(blocks))
		}
		block, tail, _ := strings.Cut(after, "```")
		blocks, rest = append(blocks, strings.TrimSpace(block)), tail
	}
	run, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(run)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != blocks[1] {
		t.Errorf(".ci/run ends with %q, the README's test command is %q", last, blocks[1])
	}
}
