package exposure

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source"
)

// The real-world corpus (see /work/shared/corpus/README.md) is outside the
// repository; KUBEWARD_CORPUS points elsewhere.
func corpusDir(tb testing.TB) string {
	dir := os.Getenv("KUBEWARD_CORPUS")
	if dir == "" {
		dir = "/work/shared/corpus"
	}
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("corpus not available: %v", err)
	}
	return dir
}

// scanCorpus runs this package's checks (the only ones linked into its test
// binary) over the corpus.
func scanCorpus(tb testing.TB) *scan.Result {
	res, _ := scan.New(scan.Options{Checks: check.All()}).Files(&source.Files{}, []string{corpusDir(tb)})
	return res
}

// TestCorpus runs every check of the package over real manifests: none may
// fail, and the counts per check are logged (go test -run Corpus -v). Set
// KUBEWARD_CORPUS_OUT to a file to get every finding, one per line, to read.
func TestCorpus(t *testing.T) {
	res := scanCorpus(t)
	for _, p := range res.Problems {
		if strings.HasPrefix(p.Message, "check ") {
			t.Errorf("%s", p)
		}
	}
	counts := map[string]int{}
	var lines []string
	for _, f := range res.Findings {
		counts[f.CheckID+" "+f.Severity.String()]++
		lines = append(lines, fmt.Sprintf("%s\t%s\t%s:%d\t%s\t%s\t%s", f.CheckID, f.Severity, f.Source.File, f.Position.Line, f.Object, f.Path, f.Message))
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%6d %s", counts[k], k)
	}
	t.Logf("%d objects, %d findings", res.Objects, len(res.Findings))
	if out := os.Getenv("KUBEWARD_CORPUS_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkCorpus(b *testing.B) {
	corpusDir(b)
	for b.Loop() {
		scanCorpus(b)
	}
}
