package secrets

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// EnvLiteralCredential reports container environment variables whose
// literal value is a credential, by shape (private keys, cloud keys,
// service tokens, JWTs, URLs with passwords, high-entropy strings) or by
// name (DB_PASSWORD, clientSecret, API_KEY...) with a literal value.
//
// Reads: spec.{initContainers,containers,ephemeralContainers}[*].env[*].value
// and .name. One finding per variable, at its value.
// Allows: values from valueFrom; empty values; placeholders and references
// ($(OTHER_VAR), ${VAR}, {{ .Values.x }}, vault:..., file paths); names
// whose last word says the value is about a credential, not one
// (PASSWORD_FILE, TOKEN_TTL, SECRET_NAME, AUTH_ENABLED); switches, short
// numbers, public keys and certificates.
var EnvLiteralCredential = &check.Check{
	Meta: check.Meta{
		ID:       "env-literal-credential",
		Title:    "Credential written into an environment variable",
		Severity: check.High,
		Category: check.CategorySecrets,
		Rationale: "A credential written into a pod spec is stored in the repository and in plain text in etcd, and " +
			"anyone who can read the workload (get deployments, kubectl describe) can read it.",
		Fix: "Rotate the credential; put it in a Secret created outside the repository and mount it as a file " +
			"(or, if the application only reads environment variables, use env[].valueFrom.secretKeyRef).",
		Reads: []string{"spec.containers[*].env[*].value", "spec.initContainers[*].env[*].value", "spec.ephemeralContainers[*].env[*].value"},
		Peers: []check.Peer{check.Polaris("sensitiveContainerEnvVar"), check.KubeLinter("env-var-secret"), check.Kubescape("C-0012")},
		Refs:  externalStorageRefs,
	},
	Pod: envLiteralCredential,
}

func init() { check.Register(EnvLiteralCredential) }

func envLiteralCredential(_ *check.Context, p *inventory.Pod) []check.Result {
	cs := p.Containers()
	aws := false
	for _, c := range cs {
		for _, e := range c.Env {
			aws = aws || HasAWSKeyID(e.Value)
		}
	}
	var out []check.Result
	for _, c := range cs {
		for i, e := range c.Env {
			if e.Value == "" {
				continue
			}
			ds := Classify(e.Name, e.Value, aws)
			if len(ds) == 0 {
				continue
			}
			path, line := c.Path.Child("env").Index(i).Child("value"), 0
			out = append(out, check.Result{
				Path: path,
				Message: fmt.Sprintf("env var %q of container %q holds %s as a literal value", SafeName(e.Name), SafeName(c.Name),
					describe(ds, lines(p.Object, path, "the value", &line))),
				Severity: ds[0].Severity(),
				Line:     line,
			})
		}
	}
	return out
}
