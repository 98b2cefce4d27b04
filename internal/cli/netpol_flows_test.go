package cli

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const shopFlows = "../netpol/flows/testdata/shop.jsonl"

func TestNetpolGenerateFromFlows(t *testing.T) {
	code, out, stderr := runCLI(t, "netpol", "generate", "--from-flows", shopFlows)
	if code != 0 || strings.Count(out, "kind: NetworkPolicy\n") != 4 || !strings.Contains(out, "name: observed-deployment-web\n") ||
		!strings.Contains(stderr, "4 policies from 9 flow records") || !strings.Contains(stderr, "Service shop/api") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	// gzip, -o yaml=FILE, and the same bytes.
	dir := t.TempDir()
	data, err := os.ReadFile(shopFlows)
	if err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "flows.jsonl.gz")
	f, _ := os.Create(gz)
	zw := gzip.NewWriter(f)
	zw.Write(data)
	zw.Close()
	f.Close()
	file := filepath.Join(dir, "netpol.yaml")
	if code, out2, stderr := runCLI(t, "netpol", "generate", "--from-flows", gz, "-o", "yaml="+file); code != 0 || out2 != "" {
		t.Fatalf("gzip: exit %d\n%s\n%s", code, out2, stderr)
	}
	if got, _ := os.ReadFile(file); string(got) != out {
		t.Errorf("yaml=FILE differs from stdout:\n%s", got)
	}
	if code, out2, _ := runCLI(t, "netpol", "generate", "--from-flows", shopFlows, "--external-prefix-v4", "24"); code != 0 || !strings.Contains(out2, "cidr: 203.0.113.0/24") {
		t.Errorf("--external-prefix-v4 24: exit %d\n%s", code, out2)
	}
}

// The input contract: no flow records is exit 2 with one sentence; a
// malformed line is reported at its line number and, after the policies,
// exits 2; --from-flows takes no manifests.
func TestNetpolGenerateFromFlowsInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o600)
	junk := filepath.Join(dir, "junk.jsonl")
	os.WriteFile(junk, []byte("hello\n{}\n"), 0o600)
	data, _ := os.ReadFile(shopFlows)
	mixed := filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(mixed, append(append([]byte{}, data...), []byte(`{"direction":"outbound","protocol":"TCP","port":0}`+"\n")...), 0o600)
	for _, tc := range []struct {
		args     []string
		code     int
		stderr   string
		policies bool
	}{
		{[]string{"--from-flows", empty}, ExitError, "empty.jsonl holds no flow records: it is empty", false},
		{[]string{"--from-flows", junk}, ExitError, "junk.jsonl holds no flow records: all 2 of its lines are malformed", false},
		{[]string{"--from-flows", filepath.Join(dir, "missing.jsonl")}, ExitError, "opening flow log", false},
		{[]string{"--from-flows", mixed}, ExitError, "mixed.jsonl:11: port 0", true},
		{[]string{"--from-flows", shopFlows, "-f", mixed}, ExitError, "do not name --connections, manifests or --cluster", false},
		{[]string{"--from-flows", shopFlows, "--external-prefix-v4", "40"}, ExitError, "want 0-32", false},
		{[]string{}, ExitError, "--connections FILE or --from-flows FILE is required", false},
	} {
		code, out, stderr := runCLI(t, append([]string{"netpol", "generate"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) || strings.Contains(out, "kind:") != tc.policies {
			t.Errorf("%v: exit %d\n%s\n%s", tc.args, code, out, stderr)
		}
	}
}
