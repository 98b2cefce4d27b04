package fix

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Diff is the unified diff (three lines of context) that turns old into
// new, with the file named as git names it (a/NAME, b/NAME), so that
// `git apply` and `patch -p1` take it; "" when they are equal.
func Diff(name string, old, new []byte) (string, error) {
	if string(old) == string(new) {
		return "", nil
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(old), B: lines(new),
		FromFile: "a/" + name, ToFile: "b/" + name, Context: 3,
	})
}

// lines splits text after each newline; a last line without one says so,
// as diff does.
func lines(text []byte) []string {
	l := strings.SplitAfter(string(text), "\n")
	if last := len(l) - 1; l[last] == "" {
		l = l[:last]
	} else {
		l[last] += "\n\\ No newline at end of file\n"
	}
	return l
}
