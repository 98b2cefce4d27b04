package fix

import (
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
		A: difflib.SplitLines(string(old)), B: difflib.SplitLines(string(new)),
		FromFile: "a/" + name, ToFile: "b/" + name, Context: 3,
	})
}
