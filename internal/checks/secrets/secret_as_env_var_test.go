package secrets

import (
	"strconv"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestSecretAsEnvVar(t *testing.T) {
	checktest.RunFixtures(t, SecretAsEnvVar, nil, []checktest.Fixture{{
		Name: "secretKeyRef and envFrom secretRef fire at the reference",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: x
        envFrom:
        - configMapRef: {name: settings}
        - secretRef: {name: all-of-it}
      containers:
      - name: app
        image: x
        env:
        - {name: LOG_LEVEL, value: info}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}`,
		Want: []string{
			"Deployment/d spec.template.spec.initContainers[0].envFrom[1].secretRef",
			"Deployment/d spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef",
		},
	}, {
		Name: "mounted Secrets, ConfigMap references, non-secret keys and debug containers pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  volumes:
  - {name: db, secret: {secretName: db}}
  containers:
  - name: app
    image: x
    volumeMounts: [{name: db, mountPath: /run/secrets/db, readOnly: true}]
    env:
    - name: DB_USER
      valueFrom: {secretKeyRef: {name: db, key: username}}
    - name: DB_HOST
      valueFrom: {secretKeyRef: {name: db, key: host}}
    - name: MODE
      valueFrom: {configMapKeyRef: {name: settings, key: mode}}
  ephemeralContainers:
  - name: debug
    image: x
    env:
    - name: TOKEN
      valueFrom: {secretKeyRef: {name: db, key: token}}`,
	}})
}

func TestSecretAsEnvVarMessage(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: x
    env:
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: db, key: password}
    envFrom:
    - secretRef: {name: api}
`, nil, SecretAsEnvVar)
	want := []string{
		`11:9 container "app" reads key "password" of Secret "db" into env var "DB_PASSWORD"`,
		`13:7 container "app" loads every key of Secret "api" into its environment`,
	}
	if len(fs) != len(want) {
		t.Fatalf("findings = %+v", fs)
	}
	for i, f := range fs {
		if got := itoa(f.Position.Line) + ":" + itoa(f.Position.Column) + " " + f.Message; got != want[i] {
			t.Errorf("finding %d = %q, want %q", i, got, want[i])
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
