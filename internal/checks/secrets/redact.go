package secrets

import (
	"unicode"
	"unicode/utf8"

	"github.com/kubeward/kubeward/internal/fieldpath"
)

// withheld stands in for a name that cannot be shown.
const withheld = "(name withheld: it looks like a secret)"

// SafeName returns name for a message, or a stand-in when the name itself
// looks like a credential (a token pasted as a key), is not printable text
// or is too long to be a name. Env var, container, ConfigMap and Secret key
// names go through it before they reach a finding.
func SafeName(name string) string {
	if !nameIsSafe(name) {
		return withheld
	}
	return name
}

func nameIsSafe(name string) bool {
	if len(name) > maxName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return !Detect(name).Found()
}

// keyPath is parent[key], or parent itself when the key cannot be shown:
// the path is part of every finding.
func keyPath(parent *fieldpath.Path, key string) *fieldpath.Path {
	if !nameIsSafe(key) {
		return parent
	}
	return parent.Key(key)
}
