package secrets

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestEnvLiteralCredential(t *testing.T) {
	checktest.RunFixtures(t, EnvLiteralCredential, nil, []checktest.Fixture{{
		Name: "credentials by name and by shape fire at the value, init containers too",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: x
        env:
        - {name: DB_PASSWORD, value: "` + fxNamedPass + `"}
      containers:
      - name: app
        image: x
        env:
        - {name: LOG_LEVEL, value: debug}
        - {name: GITHUB_TOKEN, value: ` + fxGitHub + `}
        - {name: CONFIG_BLOB, value: "` + fxJWT + `"}
        - {name: DATABASE_URL, value: "` + fxURLPass + `"}
        - {name: clientSecret, value: "` + fxHighEntropy + `"}`,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].env[0].value",
			"Deployment/d spec.template.spec.containers[0].env[1].value",
			"Deployment/d spec.template.spec.containers[0].env[2].value",
			"Deployment/d spec.template.spec.containers[0].env[3].value",
			"Deployment/d spec.template.spec.containers[0].env[4].value",
		},
	}, {
		Name: "an AWS secret key is recognised next to its key id, whatever its name",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    env:
    - {name: S3_ID, value: ` + fxAWSKeyID + `}
    - {name: S3_B, value: "` + fxAWSSecret + `"}`,
		Want: []string{"Pod/p spec.containers[0].env[0].value", "Pod/p spec.containers[0].env[1].value"},
	}, {
		Name: "references, placeholders and values about credentials pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: x
    env:
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
    - {name: API_TOKEN, value: "$(TOKEN_FROM_SECRET)"}
    - {name: API_KEY, value: "${API_KEY}"}
    - {name: ADMIN_PASSWORD, value: "<changeme>"}
    - {name: HF_TOKEN, value: HF_TOKEN}
    - {name: MYSQL_ROOT_PASSWORD, value: changeme}
    - {name: MYSQL_ALLOW_EMPTY_PASSWORD, value: "1"}
    - {name: PASSWORD_FILE, value: /run/secrets/db-password}
    - {name: GOOGLE_APPLICATION_CREDENTIALS, value: /var/secrets/google/key.json}
    - {name: TOKEN_TTL, value: "3600"}
    - {name: AUTH_ENABLED, value: "true"}
    - {name: BASIC_AUTH, value: ldap}
    - {name: SECRET_NAME, value: db-credentials}
    - {name: TLS_SECRET, value: ingress-tls}
    - {name: MAX_TOTAL_TOKENS, value: "2048"}
    - {name: AWS_ACCESS_KEY_ID_EXAMPLE, value: AKIAIOSFODNN7EXAMPLE}
    - {name: MODEL_ID, value: google/gemma-4-31B-it}
    - {name: IMAGE, value: "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0"}
    - {name: AUTH_URL, value: "https://auth.example.org/token"}
    - {name: UPSTREAM, value: "http://user@upstream:8080"}`,
	}})
}

func TestEnvLiteralCredentialMessageAndSeverity(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: x
    env:
    - name: DB_PASSWORD
      value: "`+fxNamedPass+`"
    - name: GOOGLE_KEY
      value: `+fxGoogleKey+`
    - name: SOMETHING
      value: `+fxHighEntropy+`
`, nil, EnvLiteralCredential)
	want := []struct {
		line int
		sev  check.Severity
		msg  string
	}{
		{10, check.High, `env var "DB_PASSWORD" of container "app" holds a password as a literal value`},
		{12, check.Critical, `env var "GOOGLE_KEY" of container "app" holds a Google API key as a literal value`},
		{14, check.Medium, `env var "SOMETHING" of container "app" holds a high-entropy string of 40 characters as a literal value`},
	}
	if len(fs) != len(want) {
		t.Fatalf("findings = %+v, want %d", fs, len(want))
	}
	for i, w := range want {
		f := fs[i]
		if f.Position.Line != w.line || f.Position.Column != 7 || f.Severity != w.sev || f.Message != w.msg {
			t.Errorf("finding %d = %d:%d %s %q\nwant %d:7 %s %q", i, f.Position.Line, f.Position.Column, f.Severity, f.Message, w.line, w.sev, w.msg)
		}
	}
}

// TestEnvLiteralCredentialAWSPair: a 40-character base64 value is an AWS
// secret access key (critical) when a key id sits in the same pod, and only
// a high-entropy string (medium) otherwise.
func TestEnvLiteralCredentialAWSPair(t *testing.T) {
	pod := func(id string) string {
		return `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: x, env: [{name: S3_ID, value: "` + id + `"}]}
  - {name: b, image: x, env: [{name: S3_B, value: "` + fxAWSSecret + `"}]}`
	}
	last := func(fs []check.Finding) check.Finding {
		if len(fs) == 0 {
			t.Fatal("no findings")
		}
		return fs[len(fs)-1]
	}
	f := last(checktest.Run(t, pod(fxAWSKeyID), nil, EnvLiteralCredential))
	if f.Severity != check.Critical || f.Message != `env var "S3_B" of container "b" holds an AWS secret access key as a literal value` {
		t.Errorf("with a key id: %s %q", f.Severity, f.Message)
	}
	f = last(checktest.Run(t, pod("none"), nil, EnvLiteralCredential))
	if f.Severity != check.Medium || f.Message != `env var "S3_B" of container "b" holds a high-entropy string of 40 characters as a literal value` {
		t.Errorf("without a key id: %s %q", f.Severity, f.Message)
	}
}
