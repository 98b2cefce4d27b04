package detect

import (
	"encoding/base64"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/secrets"
	"github.com/kubeward/kubeward/internal/inventory"
)

// configMapCredentials detects credentials stored in ConfigMaps (Falco:
// Create/Modify Configmap With Private Credentials), which anyone who can
// read configuration can read.
//
// Reads: verb, objectRef (configmaps), the request body (data and
// binaryData), user, the authorization decision and response code.
//
// Fires on an authorized create, update or patch of a ConfigMap that the
// scan's configmap-credential check (internal/checks/secrets, the same
// classifier) finds a credential in: a key named like a credential with a
// literal value (DB_PASSWORD, aws_secret_access_key), a credential shape in
// a value (an AWS access key id, a PEM private key, a JWT, a token of a
// known service), or, inside a config file held in a key, a setting line
// whose name says credential and whose value is a literal
// ("aws_secret_access_key = ...", "db_password=...", "client_secret: ...",
// "passphrase = ..."). Falco matches the word "password" anywhere in the
// object, which also fires on "password-policy: strict" and misses
// client_secret; templates and variables (${DB_PASSWORD}), null words and
// references (tokenFile, secret-name) do not fire here. Unlike the scan, a
// value that only looks like a placeholder (changeme, MY-KEY) fires: written
// to a running cluster, it is the value in use (Falco's own example,
// "aws_secret_access_key = MY-KEY", is one). The alert names the keys and
// what they hold, never the values. A JSON patch body is not judged.
func configMapCredentials() Rule {
	return Rule{
		Meta: Meta{
			ID:       "configmap-credentials",
			Title:    "Credentials stored in a ConfigMap",
			Severity: check.Medium,
			MITRE:    []Technique{tCredentialsInFiles},
			Fires:    "a ConfigMap written with a credential in a value, a credential-named key, or a credential setting in a config file it holds",
			Reads:    []string{"verb", "objectRef", "requestObject", "user", "annotations", "responseStatus.code"},
			Fix:      "Move the values to a Secret (with encryption at rest) or an external secret store, rotate them, and reference them from the pod.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !writes(ev.Verb) || !ev.Is("", "configmaps") || !ev.Allowed() {
				return nil
			}
			body, ok := v.ConfigMap()
			if !ok || len(body.Data)+len(body.BinaryData) == 0 {
				return nil
			}
			cm := &corev1.ConfigMap{Data: body.Data}
			for k, b64 := range body.BinaryData {
				if b, err := base64.StdEncoding.DecodeString(b64); err == nil {
					if cm.BinaryData == nil {
						cm.BinaryData = map[string][]byte{}
					}
					cm.BinaryData[k] = b
				}
			}
			results := secrets.ConfigMapCredentialsInUse(&inventory.Object{Typed: cm})
			if len(results) == 0 {
				return nil
			}
			keys := make([]string, 0, len(results))
			found := make([]string, 0, len(results))
			for _, r := range results {
				key := "(withheld)" // a key name that could itself be a secret
				if e, ok := r.Path.Last(); ok && e.IsKey {
					key = e.Name
				}
				keys = append(keys, key)
				found = append(found, r.Message)
			}
			const maxFound = 8
			if len(found) > maxFound {
				found = append(found[:maxFound], fmt.Sprintf("and %d more", len(found)-maxFound))
			}
			return outcome(v, hit("ConfigMap "+ev.Namespace()+"/"+v.objectName(&body.Metadata)+" holds credentials",
				"keys", strings.Join(keys, ","), "found", strings.Join(found, "; ")), check.Medium)
		},
	}
}
