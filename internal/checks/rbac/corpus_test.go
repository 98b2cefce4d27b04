package rbac

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

// TestCorpus runs the RBAC checks over the real-world corpus
// (/work/shared/corpus, or KUBEWARD_CORPUS): no check may fail, the counts
// per check are logged, and KUBEWARD_CORPUS_OUT receives every finding.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("KUBEWARD_CORPUS")
	if dir == "" {
		dir = "/work/shared/corpus"
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	res, _ := scan.New(scan.Options{Checks: check.All()}).Files(&source.Files{}, []string{dir})
	for _, p := range res.Problems {
		if strings.HasPrefix(p.Message, "check ") {
			t.Errorf("%s", p)
		}
	}
	counts := map[string]int{}
	lines := make([]string, 0, len(res.Findings))
	for _, f := range res.Findings {
		counts[f.CheckID]++
		lines = append(lines, fmt.Sprintf("%s\t%s\t%s:%d\t%s\t%s", f.CheckID, f.Severity, f.Source.File, f.Position.Line, f.Path, f.Message))
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t.Logf("%6d %s", counts[id], id)
	}
	t.Logf("%d objects, %d findings", res.Objects, len(res.Findings))
	if out := os.Getenv("KUBEWARD_CORPUS_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
