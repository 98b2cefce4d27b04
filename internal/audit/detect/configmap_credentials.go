package detect

import (
	"regexp"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// configMapCredentials detects credentials stored in ConfigMaps (Falco:
// Create/Modify Configmap With Private Credentials), which anyone who can
// read configuration can read.
//
// Reads: verb, objectRef (configmaps), the request body (data and
// binaryData keys, data values), user, the authorization decision and
// response code.
//
// Fires on an authorized create, update or patch of a ConfigMap with a key
// named like a credential (password, secret, token, api key, access key,
// private key, credentials) or a value holding an AWS access key id, a PEM
// private key, or a password/secret/token assignment. Falco matches the
// word "password" anywhere in the object, which also fires on
// "password-policy: strict"; kubeward looks at keys and at credential
// shapes only. The alert names the keys, never the values.
func configMapCredentials() Rule {
	return Rule{
		Meta: Meta{
			ID:       "configmap-credentials",
			Title:    "Credentials stored in a ConfigMap",
			Severity: check.Medium,
			MITRE:    []Technique{tCredentialsInFiles},
			Fires:    "a ConfigMap written with credential-named keys or credential-shaped values",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Move the values to a Secret (with encryption at rest) or an external secret store, rotate them, and reference them from the pod.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !writes(ev.Verb) || !ev.Is("", "configmaps") || !ev.Allowed() {
				return nil
			}
			cm, ok := v.ConfigMap()
			if !ok {
				return nil
			}
			var keys []string
			for k, val := range cm.Data {
				if secretKey.MatchString(k) || credentialValue.MatchString(val) {
					keys = append(keys, k)
				}
			}
			for k := range cm.BinaryData {
				if secretKey.MatchString(k) {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				return nil
			}
			sort.Strings(keys)
			return outcome(v, hit("ConfigMap "+ev.Namespace()+"/"+v.objectName(&cm.Metadata)+" holds credentials",
				"keys", strings.Join(keys, ",")), check.Medium)
		},
	}
}

// secretKey matches key names that end in a credential word, optionally
// with a file extension: "db_password", "AWS_SECRET_ACCESS_KEY",
// "client-secret", "token.txt"; not "tokenFile", "password-policy" or
// "secret-name" (a reference to a Secret).
var secretKey = regexp.MustCompile(`(?i)(^|[^a-z])(password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)(\.[a-z0-9]+)?$`)

// credentialValue matches credential shapes in values: AWS access key ids,
// PEM private keys, and assignments of a non-empty password, secret or
// token.
var credentialValue = regexp.MustCompile(`AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|(?i)\b(password|passwd|secret|token|api_?key)\s*[:=]\s*["']?[^\s"'$<{]{4,}`)
