// Package placeholder recognises values written to be replaced: a
// documentation's "<your-token>", "${PASSWORD}", "changeme" or
// "...base64 encoded data...". The secret checks do not report them, and
// the decoder does not call them input errors.
package placeholder

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// MaxLen bounds the text examined for placeholder markers; longer
// values are real content (a placeholder is short).
const MaxLen = 4 << 10

// placeholderMarkers are substrings that only values written to be
// replaced contain. Matching is case-insensitive.
var placeholderMarkers = []string{
	"changeme", "change-me", "change_me", "change me", "changethis", "change-this", "change_this",
	"replaceme", "replace-", "replace_", "replace with", "to-be-replaced",
	"example", "placeholder", "dummy", "redacted", "sample",
	"your-", "your_", "yourpassword", "yoursecret", "yourtoken", "your password", "your secret", "your token", "<your",
	"insert-", "insert_", "insert ", "fixme", "todo", "xxxx", "****", "...", "____",
	"not-a-real", "notreal", "not_a_real", "fake", "foobar",
}

// placeholderWords are whole values that stand for "no credential here":
// the name of the thing, switch values, and null spellings.
var placeholderWords = map[string]bool{
	"password": true, "passwd": true, "pass": true, "secret": true, "token": true, "apikey": true,
	"api-key": true, "api_key": true, "key": true, "credentials": true, "none": true, "null": true,
	"nil": true, "undefined": true, "empty": true, "unset": true, "n/a": true, "na": true, "-": true,
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"enabled": true, "disabled": true, "required": true, "optional": true, "default": true,
	"tbd": true, "<none>": true, "~": true, "''": true, `""`: true,
}

// Is reports whether v is obviously not a real value: empty,
// a template or variable reference (${VAR}, $(VAR), {{ .Values.x }}, %s),
// a value in angle brackets (<changeme>), a marker such as REPLACE_ME or
// "example", a run of x or *, or the base64 encoding of one of those.
func Is(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" {
		return true
	}
	if len(t) > MaxLen {
		return false
	}
	if IsTemplate(t) {
		return true
	}
	low := strings.ToLower(t)
	if placeholderWords[low] {
		return true
	}
	if wrapped(t) {
		return true
	}
	// Markers hold no character unLeet changes, so searching the mapped
	// text finds them in the text and in its leet spelling ("Ch4ngeMe").
	unleet := strings.Map(unLeet, low)
	for _, m := range placeholderMarkers {
		if strings.Contains(unleet, m) {
			return true
		}
	}
	for _, w := range shoutedWords {
		if strings.Contains(t, w) { // HF_TOKEN, GOOGLE_API_KEY_VAL, nvapi-NVKEY
			return true
		}
	}
	if repeated(low) || namesCredential(low) {
		return true
	}
	if d, ok := decodeBase64(t); ok && d != t && len(d) >= 1 && Is(d) {
		return true
	}
	return false
}

// shoutedWords in capitals inside a value mark the name of a variable
// written where its value should be; real tokens almost never contain them.
var shoutedWords = []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"}

// wrapped reports values in brackets (<changeme>, [password]) or between
// double underscores or at signs (__SERVICEACCOUNT_TOKEN__, @PASSWORD@),
// which installers substitute.
func wrapped(t string) bool {
	if len(t) < 2 {
		return false
	}
	first, last := t[0], t[len(t)-1]
	switch {
	case first == '<' && last == '>':
		return true
	case first == '[' && last == ']' && !strings.Contains(t, "\n"):
		return true
	case len(t) > 4 && strings.HasPrefix(t, "__") && strings.HasSuffix(t, "__"):
		return true
	case len(t) > 2 && first == '@' && last == '@':
		return true
	}
	return false
}

// unLeet maps digits and symbols that stand for letters back to them.
func unLeet(r rune) rune {
	switch r {
	case '4', '@':
		return 'a'
	case '3':
		return 'e'
	case '1', '!':
		return 'i'
	case '0':
		return 'o'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	}
	return r
}

// credentialWords are the words whose presence among the words of a
// phrase ("hello secret", "my password here") marks a description.
var credentialWords = map[string]bool{
	"password": true, "passwd": true, "passphrase": true, "secret": true, "token": true, "credential": true, "credentials": true,
}

// namesCredential reports whether low is a phrase of several words that
// names a credential: a description or demo value, not a credential.
func namesCredential(low string) bool {
	words := strings.Fields(low)
	if len(words) < 2 || len(low) > 64 {
		return false
	}
	for _, w := range words {
		if credentialWords[strings.Trim(w, ".,;:!?'\"")] {
			return true
		}
	}
	return false
}

// IsTemplate reports whether t holds template or variable syntax that a
// tool replaces before the value is used.
func IsTemplate(t string) bool {
	for _, m := range []string{"{{", "${", "$(", "%(", "#{", "<%", "[[", "%s", "%v"} {
		if strings.Contains(t, m) {
			return true
		}
	}
	if len(t) > 1 && t[0] == '$' { // $VAR
		rest := t[1:]
		for i := 0; i < len(rest); i++ {
			if !isWordByte(rest[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// repeated reports whether s is one character repeated ("xxxxxxxx",
// "00000000", "********").
func repeated(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// decodeBase64 decodes standard base64 of printable text.
func decodeBase64(t string) (string, bool) {
	if len(t) < 4 || len(t)%4 != 0 || len(t) > MaxLen {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(t)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return "", false
		}
	}
	return string(b), true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Documentation reports whether v is a placeholder a person writes for
// another to replace (a marker, a value in brackets): Is without the bare
// words (true, none, password) and the empty value, which are also what a
// mistyped field holds, and without templates ({{ .Values.x }}, ${VAR}),
// which say the input was not rendered.
func Documentation(v string) bool {
	t := strings.TrimSpace(v)
	return t != "" && !placeholderWords[strings.ToLower(t)] && !IsTemplate(t) && Is(t)
}

// Unfilled reports values left for a program or an installer to fill: a
// template or variable, a value in brackets or between markers (<x>,
// __X__), a mask (********). Unlike Is, it holds even for a value written
// to a running cluster, where "changeme" is the value in use.
func Unfilled(v string) bool {
	t := strings.TrimSpace(v)
	return IsTemplate(t) || wrapped(t) || repeated(strings.ToLower(t))
}

// Word reports a whole value that stands for "no value here" or names the
// thing instead of holding it: none, false, password, token.
func Word(v string) bool { return placeholderWords[strings.ToLower(strings.TrimSpace(v))] }
