package secrets

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/placeholder"
)

// externalStorageRefs are the references of the checks that find a
// credential stored where it does not belong.
var externalStorageRefs = []check.Reference{
	check.CIS("5.4.2", "Consider external secret storage"),
	check.NSA("Network separation and hardening: Secrets"),
}

// Classify is what the value checks ask of a named value (an env var, a
// ConfigMap key): the strongest of its shape, what its name says when the
// value is a literal, and, when an AWS access key id sits in the same
// object (awsNearby), whether it has the shape of the AWS secret access key
// that goes with it, or, failing those, a credential setting inside a
// one-line value. Multi-line values are scanned as text, line by line.
// It returns every detection (at most maxHits), best first.
func Classify(name, value string, awsNearby bool) []Detection {
	return classify(name, value, awsNearby, false)
}

// classify is Classify; inUse as for isLiteralCredential.
func classify(name, value string, awsNearby, inUse bool) []Detection {
	if strings.Contains(strings.TrimSpace(value), "\n") {
		ds := scanText(value, inUse)
		if len(ds) == 0 && isLiteralCredential(value, NameClassOf(name), inUse) {
			ds = []Detection{{Kind: NamedLiteral, Class: NameClassOf(name)}}
		}
		sortBest(ds)
		return ds
	}
	d := Detect(value)
	if d.Kind == None || d.Kind == HighEntropy {
		if awsNearby && isAWSSecretShape(value) {
			return []Detection{{Kind: AWSSecretKey}}
		}
		if c := NameClassOf(name); isLiteralCredential(value, c, inUse) {
			return []Detection{{Kind: NamedLiteral, Class: c}}
		}
		if len(value) <= maxLine { // one line of settings: user=u;password=p, {"token":"t"}
			if c, ok := settingLine(value, inUse); ok {
				return []Detection{{Kind: NamedLiteral, Class: c}}
			}
		}
	}
	if !d.Found() {
		return nil
	}
	return []Detection{d}
}

// sortBest moves the strongest detection first, keeping the others in order.
func sortBest(ds []Detection) {
	b := 0
	for i := range ds {
		if better(ds[i], ds[b]) {
			b = i
		}
	}
	if b > 0 {
		best := ds[b]
		copy(ds[1:b+1], ds[:b])
		ds[0] = best
	}
}

// HasAWSKeyID reports whether v holds an AWS access key id.
func HasAWSKeyID(v string) bool {
	found := false
	if !strings.Contains(v, "AKIA") && !strings.Contains(v, "ASIA") {
		return false
	}
	scanShapes(v, func(k Kind, _ int) bool {
		found = k == AWSAccessKeyID
		return !found
	})
	return found
}

// isAWSSecretShape: 40 characters of base64 with upper, lower and digits.
func isAWSSecretShape(v string) bool {
	t := strings.TrimSpace(v)
	if len(t) != 40 {
		return false
	}
	var up, lo, dig bool
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case isUpper(c):
			up = true
		case isLower(c):
			lo = true
		case isDigit(c):
			dig = true
		case c == '/' || c == '+':
		default:
			return false
		}
	}
	return up && lo && dig && !placeholder.Is(t)
}

// describe renders the strongest of ds and where it is in a multi-line
// value: "a password on line 12 (and 2 more)", the line as at says (see
// lines). Only fixed text and numbers.
func describe(ds []Detection, at func(line int) string) string {
	if len(ds) == 0 {
		return ""
	}
	s := ds[0].String()
	if ds[0].Line > 0 {
		s += " " + at(ds[0].Line)
	}
	if len(ds) > 1 {
		more := fmt.Sprintf("%d", len(ds)-1)
		if len(ds) >= maxHits {
			more += " or more"
		}
		s += fmt.Sprintf(" (and %s more)", more)
	}
	return s
}

// lines says where line n of the string at path is: on the file's line
// when the value is written so that its lines are the file's (a block
// scalar, "|"), else on the line of the value (of, such as "the decoded
// value"). line receives the file's line, 0 when there is none.
func lines(o *inventory.Object, path *fieldpath.Path, of string, line *int) func(int) string {
	return func(n int) string {
		if o != nil {
			if pos, ok := o.ValueLine(path, n); ok {
				*line = pos.Line
				return fmt.Sprintf("on line %d", pos.Line)
			}
		}
		return fmt.Sprintf("on line %d of %s", n, of)
	}
}

// textOrBinary returns b as a string and whether it is text; line numbers
// mean nothing in binary data.
func textOrBinary(b []byte) (string, bool) { return string(b), utf8.Valid(b) }
