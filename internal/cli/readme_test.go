package cli

import (
	"os"
	"regexp"
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

// TestBuildsLeaveOutGoPlugins: every documented way to build kubeward
// passes the tag that keeps kustomize's Go plugin loader out. kubeward never
// enables kustomize plugins (source/kustomize: DisabledPluginConfig), but
// the loader imports package plugin, which makes the linker export every
// symbol: 40 MB of binary, a dynamic link and a slower start.
func TestBuildsLeaveOutGoPlugins(t *testing.T) {
	const tag = "kustomize_disable_go_plugin_support"
	// A command that builds or installs the kubeward binary, in shell or in
	// a Dockerfile's exec form.
	build := regexp.MustCompile(`go"?,? "?(build|install)\b.*(\./cmd/kubeward|/cmd/kubeward@)`)
	for _, file := range []string{"../../README.md", "../../Dockerfile", "../../action.yml", "../../docs/ci.md"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, line := range strings.Split(string(data), "\n") {
			if build.MatchString(line) {
				found++
				if !strings.Contains(line, tag) {
					t.Errorf("%s builds kubeward without -tags %s: %s", file, tag, strings.TrimSpace(line))
				}
			}
		}
		if found == 0 {
			t.Errorf("%s: no command that builds kubeward found", file)
		}
	}
}
