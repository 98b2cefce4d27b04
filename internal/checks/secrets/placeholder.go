package secrets

import (
	"strings"

	"github.com/kubeward/kubeward/internal/placeholder"
)

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
	return placeholder.IsTemplate(t)
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
	if c == NotCredential || len(t) < 4 || len(t) > placeholder.MaxLen || isReference(t) || isPublicMaterial(t) {
		return false
	}
	if inUse && notAValueInUse(t) || !inUse && placeholder.Is(t) {
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
	return placeholder.Unfilled(t) || placeholder.Word(t) && NameClassOf(strings.ToLower(t)) == NotCredential
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
