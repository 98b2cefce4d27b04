package secrets

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// corpusDir and quirksDir are the shared corpora beside the repository.
func corpusDir(tb testing.TB) string { return sharedtest.Dir(tb, "corpus") }
func quirksDir(tb testing.TB) string { return sharedtest.Dir(tb, "corpus-quirks") }

var familyChecks = []*check.Check{SecretCommittedData, EnvLiteralCredential, ConfigMapCredential, SecretAsEnvVar}

// TestCorpus scans the real-world corpus with this family's checks (see
// checktest.Corpus: no check may fail, counts are logged, and
// KUBEWARD_CORPUS_OUT receives every finding for reading false positives).
// It asserts that findings carry positions, and that no message, once the
// names it quotes are taken out, holds a piece of any corpus value the
// detectors flag.
func TestCorpus(t *testing.T) {
	res := checktest.Corpus(t, nil, familyChecks...)
	var messages strings.Builder
	for _, f := range res.Findings {
		if f.Position.Line == 0 {
			t.Errorf("finding without a position: %+v", f)
		}
		messages.WriteString(quoted.ReplaceAllString(f.Message, `""`) + "\n")
	}
	if len(res.Findings) == 0 {
		t.Fatal("no findings on the corpus")
	}
	allowed := vocabulary()
	flagged := 0
	for _, v := range corpusValues(t) {
		if strings.Contains(v.value, "\n") || len(Classify(v.name, v.value, true)) == 0 {
			continue
		}
		flagged++
		if w, bad := leaks(v.value, messages.String(), allowed); bad {
			t.Errorf("a message holds %q, a piece of a flagged value", w)
		}
	}
	t.Logf("%d flagged one-line values checked for leaks", flagged)
}

// quoted matches the names a message quotes (passed through SafeName).
var quoted = regexp.MustCompile(`"[^"]*"`)

// TestQuirks runs the checks over files that break other scanners: no
// check may fail on them.
func TestQuirks(t *testing.T) {
	res, _, err := scan.New(scan.Options{Checks: familyChecks}).Files(loader.Default(), []string{quirksDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		t.Logf("%s %s:%d %s [%s] %s", f.CheckID, f.Source.File, f.Position.Line, f.Severity, f.Path, f.Message)
	}
	for _, p := range res.Problems {
		if strings.Contains(p.Message, "(a bug; please report it)") {
			t.Errorf("%s", p)
		}
	}
}
