package secrets

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

// SecretAsEnvVar reports Secrets handed to containers as environment
// variables. The environment is inherited by every child process, dumped in
// crash reports and debug endpoints, logged by frameworks at start-up and
// shown by some tools; a mounted file is read only by whoever opens it, and
// is updated in place when the Secret rotates.
//
// Reads: spec.{initContainers,containers}[*].env[*].valueFrom.secretKeyRef
// and envFrom[*].secretRef. One finding per reference.
// Allows: Secrets mounted as volumes; references whose key or variable
// names a non-secret fact kept with the credential (username, host, port,
// database...); ephemeral (debug) containers, which people add by hand and
// are not part of a manifest's design.
var SecretAsEnvVar = &check.Check{
	Meta: check.Meta{
		ID:       "secret-as-env-var",
		Title:    "Secret passed as an environment variable",
		Severity: check.Low,
		Category: check.CategorySecrets,
		Rationale: "Environment variables leak: child processes inherit them, crash dumps and debug pages print " +
			"them, and they do not change when the Secret is rotated. Files from a Secret volume do not have these problems.",
		Fix: "Mount the Secret as a volume (readOnly) and have the application read the file; many images accept " +
			"a *_FILE variable that names the file instead of the value.",
		Reads: []string{"spec.containers[*].env[*].valueFrom.secretKeyRef", "spec.containers[*].envFrom[*].secretRef",
			"spec.initContainers[*].env[*].valueFrom.secretKeyRef", "spec.initContainers[*].envFrom[*].secretRef"},
		Peers: []check.Peer{check.KubeLinter("read-secret-from-env-var")},
		Refs: []check.Reference{
			check.CIS("5.4.1", "Prefer using secrets as files over secrets as environment variables"),
			check.NSA("Network separation and hardening: Secrets"),
		},
	},
	Pod: secretAsEnvVar,
}

func init() { check.Register(SecretAsEnvVar) }

func secretAsEnvVar(_ *check.Context, p *inventory.Pod) []check.Result {
	var out []check.Result
	for _, c := range p.Containers() {
		if c.Kind == "ephemeralContainers" {
			continue
		}
		for i, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			if nonSecretKey(ref.Key) || nonSecretKey(e.Name) {
				continue // a username or host kept next to the password
			}
			out = append(out, check.Result{
				Path: c.Path.Child("env").Index(i).Child("valueFrom", "secretKeyRef"),
				Message: fmt.Sprintf("container %q reads key %q of Secret %q into env var %q",
					SafeName(c.Name), SafeName(ref.Key), SafeName(ref.Name), SafeName(e.Name)),
			})
		}
		for i, e := range c.EnvFrom {
			if e.SecretRef == nil {
				continue
			}
			out = append(out, check.Result{
				Path:    c.Path.Child("envFrom").Index(i).Child("secretRef"),
				Message: fmt.Sprintf("container %q loads every key of Secret %q into its environment", SafeName(c.Name), SafeName(e.SecretRef.Name)),
			})
		}
	}
	return out
}
