package secrets

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// maxPlaceholder bounds the text examined for placeholder markers; longer
// values are real content (a placeholder is short).
const maxPlaceholder = 4 << 10

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

// IsPlaceholder reports whether v is obviously not a real value: empty,
// a template or variable reference (${VAR}, $(VAR), {{ .Values.x }}, %s),
// a value in angle brackets (<changeme>), a marker such as REPLACE_ME or
// "example", a run of x or *, or the base64 encoding of one of those.
func IsPlaceholder(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" {
		return true
	}
	if len(t) > maxPlaceholder {
		return false
	}
	if isTemplate(t) {
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
	if d, ok := decodeBase64(t); ok && d != t && len(d) >= 1 && IsPlaceholder(d) {
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

// isTemplate reports whether t holds template or variable syntax that a
// tool replaces before the value is used.
func isTemplate(t string) bool {
	for _, m := range []string{"{{", "${", "$(", "%(", "#{", "<%", "[[", "%s", "%v"} {
		if strings.Contains(t, m) {
			return true
		}
	}
	if t[0] == '$' && len(t) > 1 { // $VAR
		rest := t[1:]
		for i := 0; i < len(rest); i++ {
			if !isAlnumOrUnderscore(rest[i]) {
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
	if len(t) < 4 || len(t)%4 != 0 || len(t) > maxPlaceholder {
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

// referencePrefixes start values that name where a secret is, not the
// secret: secret managers, files, mounted paths.
var referencePrefixes = []string{
	"vault:", "ref+", "secret:", "secretref:", "secrets://", "op://", "sm://", "awssm:", "gcpsm:",
	"arn:aws:secretsmanager:", "arn:aws:ssm:", "azurekeyvault:", "akv:", "keyvault:", "projects/",
	"/", "./", "../", "~/", "file:", "@/", "env:", "k8s:",
}

// isReference reports whether v points at a secret instead of holding it.
func isReference(v string) bool {
	t := strings.TrimSpace(v)
	low := strings.ToLower(t[:min(len(t), 32)]) // the prefixes are short
	for _, p := range referencePrefixes {
		if strings.HasPrefix(low, p) {
			return true
		}
	}
	return isTemplate(t)
}

// isPublicMaterial reports whether v is only certificates or public keys,
// which are not secret (ca.crt, tls.crt, authorized_keys).
func isPublicMaterial(v string) bool {
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "ssh-rsa ") || strings.HasPrefix(t, "ssh-ed25519 ") || strings.HasPrefix(t, "ecdsa-sha2-") ||
		strings.HasPrefix(t, "sk-ssh-") || strings.HasPrefix(t, "sk-ecdsa-") {
		return !strings.Contains(t, "PRIVATE KEY")
	}
	if !strings.HasPrefix(t, "-----BEGIN ") || strings.Contains(t, "PRIVATE KEY") {
		return false
	}
	for rest := t; rest != ""; {
		i := strings.Index(rest, "-----BEGIN ")
		if i < 0 {
			break
		}
		label := rest[i+len("-----BEGIN "):]
		if !(strings.HasPrefix(label, "CERTIFICATE-----") || strings.HasPrefix(label, "PUBLIC KEY-----") ||
			strings.HasPrefix(label, "RSA PUBLIC KEY-----") || strings.HasPrefix(label, "X509 CRL-----") ||
			strings.HasPrefix(label, "TRUSTED CERTIFICATE-----") || strings.HasPrefix(label, "PGP PUBLIC KEY BLOCK-----") ||
			strings.HasPrefix(label, "DH PARAMETERS-----") || strings.HasPrefix(label, "CERTIFICATE REQUEST-----")) {
			return false
		}
		rest = label
	}
	return true
}

// isLiteralCredential reports whether v, the value of a name of class c,
// is a usable credential written out: not empty, longer than a credential
// written by hand (keys and tokens are found by shape), a placeholder, a
// reference, a URL (URLs with passwords are found by shape), a switch, a
// short number, public material or a sentence.
//
// inUse judges a value written to a running cluster (an audit event)
// rather than one in a repository: there a value that only looks like a
// placeholder (changeme, MY-KEY, "secret") is the value in use, and only
// what is left to be filled or is no value at all passes (notAValueInUse).
func isLiteralCredential(v string, c NameClass, inUse bool) bool {
	t := strings.TrimSpace(v)
	if c == NotCredential || len(t) < 4 || len(t) > maxPlaceholder || isReference(t) || isPublicMaterial(t) {
		return false
	}
	if inUse && notAValueInUse(t) || !inUse && IsPlaceholder(t) {
		return false
	}
	if strings.Contains(t, "://") || strings.Count(t, " ") >= 3 {
		return false
	}
	if len(t) <= 5 && allDigits(t) {
		return false
	}
	if isCode(t) {
		return false
	}
	if (c == SecretValue || c == Credentials) && isObjectName(t) {
		return false // credentialsSecret: jaeger-creds names a Secret object
	}
	if c == AuthValue { // AUTH is also a mode ("basic", "ldap"): ask for a credential's shape
		user, pass, ok := strings.Cut(t, ":")
		if !(ok && user != "" && pass != "" && !strings.Contains(t, " ")) {
			_, strong := highEntropy(t)
			return strong
		}
	}
	return true
}

// notAValueInUse reports values that hold no credential even in a
// running cluster: left for the application or an installer to fill (a
// template or variable, <x>, __X__), a mask (********), or a null or switch
// word ("none", "false"); not a word that names a credential, which there
// is the credential ("password=secret").
func notAValueInUse(t string) bool {
	low := strings.ToLower(t)
	return isTemplate(t) || wrapped(t) || repeated(low) || placeholderWords[low] && NameClassOf(low) == NotCredential
}

// isCode reports values that are program expressions reading the secret
// from elsewhere (os.environ["TOKEN"], getenv("PASSWORD"), config.get(...)).
func isCode(t string) bool {
	if strings.Contains(t, "os.environ") || strings.Contains(t, "getenv") || strings.Contains(t, "process.env") {
		return true
	}
	open := strings.IndexAny(t, "([")
	return open > 0 && (strings.HasSuffix(t, ")") || strings.HasSuffix(t, "]"))
}

// isObjectName reports a Kubernetes object name with a dash, such as
// "db-credentials": what *Secret and *Credentials settings usually hold.
func isObjectName(t string) bool {
	if len(t) > 253 || !strings.Contains(t, "-") {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(isLower(c) || isDigit(c) || c == '-' || c == '.') {
			return false
		}
	}
	return isAlnum(t[0]) && isAlnum(t[len(t)-1])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
