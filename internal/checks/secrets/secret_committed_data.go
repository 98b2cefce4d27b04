package secrets

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/placeholder"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SecretCommittedData reports Secret manifests that carry values: a value
// committed to a repository is readable by everyone who can read the
// repository, its forks and its history, long after it is deleted.
//
// Reads: data, stringData, type. One finding per Secret (the fix, taking the
// Secret out of the repository, is per Secret), at the key holding the
// strongest evidence, with the number of other keys holding values.
// Allows: empty values and placeholders (placeholder.Is: <changeme>, ${VAR},
// REPLACE_ME, "example", base64 of those; unrendered Helm values fail to
// decode as base64 and arrive empty); certificates and public keys; keys
// naming non-secret facts (username, namespace, host, known_hosts...) whose
// value has no credential shape; config files (multi-line values) without a
// credential in them, which operators make people ship as Secrets
// (alertmanager.yaml); tls.key and ssh-privatekey values that are not
// private keys; service-account-token Secrets without data, which ask the
// control plane for a token. A kubernetes.io/tls Secret with an example
// certificate still commits a private key and is reported.
//
// Only objects read from files (Source.File set) are checked: in a cluster
// scan or at admission, a Secret holding data is what a Secret is for.
var SecretCommittedData = &check.Check{
	Meta: check.Meta{
		ID:       "secret-committed-data",
		Title:    "Secret manifest holds a value",
		Severity: check.High,
		Category: check.CategorySecrets,
		Rationale: "A Secret committed with its data exposes the value to everyone who can read the repository, " +
			"its forks, CI logs and history; base64 is an encoding, not encryption.",
		Fix: "Remove the value from the repository and rotate it; create the Secret at deploy time from a secret " +
			"manager (External Secrets Operator, Vault, a cloud secret manager) or commit it encrypted (Sealed Secrets, SOPS).",
		Reads: []string{"data", "stringData", "type"},
		Refs:  externalStorageRefs,
	},
	Object: secretCommittedData,
	Kinds:  []schema.GroupKind{inventory.KindSecret},
}

func init() { check.Register(SecretCommittedData) }

// committed is one key of a Secret that holds a value.
type committed struct {
	field, key string
	ds         []Detection // what the value looks like; empty for a plain value
	class      NameClass   // what the key's name says
	sev        check.Severity
}

// stronger orders keys: severity, then a recognised shape, then a
// credential name.
func (a *committed) stronger(b *committed) bool {
	if a.sev != b.sev {
		return a.sev > b.sev
	}
	if (len(a.ds) > 0) != (len(b.ds) > 0) {
		return len(a.ds) > 0
	}
	return a.class != NotCredential && b.class == NotCredential
}

func secretCommittedData(_ *check.Context, o *inventory.Object) []check.Result {
	s, ok := o.Typed.(*corev1.Secret)
	if !ok || o.Source.File == "" || o.Source.Cluster != "" {
		return nil
	}
	var keys []*committed
	for _, k := range sortedKeys(s.Data) {
		if c := committedValue(s.Type, "data", k, string(s.Data[k])); c != nil {
			keys = append(keys, c)
		}
	}
	for _, k := range sortedKeys(s.StringData) {
		if c := committedValue(s.Type, "stringData", k, s.StringData[k]); c != nil {
			keys = append(keys, c)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	best := keys[0]
	for _, c := range keys[1:] {
		if c.stronger(best) {
			best = c
		}
	}
	path, line := keyPath(fieldpath.New(best.field), best.key), 0
	what := best.class.Noun()
	if len(best.ds) > 0 {
		at := lines(o, path, "the value", &line)
		if best.field == "data" {
			at = lines(nil, path, "the decoded value", &line) // base64: no line of the file
		}
		what = describe(best.ds, at)
	}
	msg := fmt.Sprintf("%s key %q holds %s, committed with the manifest", best.field, SafeName(best.key), what)
	switch n := len(keys) - 1; n {
	case 0:
	case 1:
		msg += "; 1 more key holds a value"
	default:
		msg += fmt.Sprintf("; %d more keys hold values", n)
	}
	return []check.Result{{Path: path, Message: msg, Severity: best.sev, Line: line}}
}

// committedValue judges one key; nil means nothing committed worth saying.
func committedValue(typ corev1.SecretType, field, key, v string) *committed {
	c := &committed{field: field, key: key, class: NameClassOf(key), sev: check.High}
	c.ds = Classify(key, v, HasAWSKeyID(v))
	if len(c.ds) > 0 {
		c.sev = max(c.sev, c.ds[0].Severity())
	}
	privateKey := len(c.ds) > 0 && (c.ds[0].Kind == PrivateKey || c.ds[0].Kind == EncryptedPrivateKey)
	switch {
	case typ == corev1.SecretTypeTLS && key == corev1.TLSPrivateKeyKey,
		typ == corev1.SecretTypeSSHAuth && key == corev1.SSHAuthPrivateKey:
		if !privateKey {
			return nil // "Hello, world" is no key; an example key still is one
		}
		c.sev = check.Critical
	case typ == corev1.SecretTypeServiceAccountToken && key == corev1.ServiceAccountTokenKey:
		if len(c.ds) == 0 && placeholder.Is(v) {
			return nil
		}
		c.sev = check.Critical
	case len(c.ds) > 0:
	case strings.Contains(strings.TrimSpace(v), "\n"):
		return nil // a config file with no credential in it
	case placeholder.Is(v) || isPublicMaterial(v) || nonSecretKey(key):
		return nil
	case c.class == NotCredential && isSetting(v):
		return nil // CRYPTO_KEY_CIPHER: aes-xts-plain64 configures, it is not secret
	}
	return c
}

// nonSecretLastWords name facts that travel with credentials in a Secret
// but are not secret themselves.
var nonSecretLastWords = map[string]bool{
	"username": true, "user": true, "login": true, "namespace": true, "host": true, "hostname": true,
	"port": true, "database": true, "db": true, "dbname": true, "region": true, "email": true,
	"endpoint": true, "bucket": true, "server": true, "url": true, "uri": true, "address": true,
	"name": true, "id": true, "cluster": true, "project": true, "tenant": true, "domain": true,
	"crt": true, "cert": true, "pem": true, "ca": true, "type": true, "path": true, "hosts": true,
	"size": true, "length": true, "cipher": true, "algorithm": true, "provider": true, "mode": true,
	"version": true, "format": true, "timeout": true, "ttl": true, "enabled": true,
}

// isSetting reports a short lower-case word or number, such as "sha256",
// "256" or "aes-xts-plain64": under a key whose name does not say
// credential, a setting kept with the secret rather than a secret.
func isSetting(v string) bool {
	t := strings.TrimSpace(v)
	if len(t) > 16 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(isLower(c) || isDigit(c) || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func nonSecretKey(key string) bool {
	w := splitWords(key)
	if len(w) == 0 {
		return false
	}
	last := w[len(w)-1]
	return nonSecretLastWords[last] || strings.HasSuffix(last, "username") || strings.HasSuffix(last, "accountname")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
