package secrets

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/scan"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// indent prefixes every line of s for a YAML block scalar.
func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+by)
}

func TestSecretCommittedData(t *testing.T) {
	checktest.RunFixtures(t, SecretCommittedData, nil, []checktest.Fixture{{
		Name: "a password in data fires at its key",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: db}
data:
  username: ` + b64("app") + `
  password: ` + b64(fxNamedPass),
		Want: []string{"Secret/db data[password]"},
	}, {
		Name: "stringData fires too, one finding per Secret at the strongest key",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: s}
stringData:
  a-setting: ` + fxNamedPass + `
  api-token: ` + fxGitHub + `
  db-password: ` + fxHighEntropy,
		Want: []string{"Secret/s stringData[api-token]"},
	}, {
		Name: "an example TLS key is still a committed private key",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data:
  tls.crt: ` + b64("-----BEGIN CERTIFICATE-----\nMIIC"+strings.Repeat("Ab9+", 20)+"\n-----END CERTIFICATE-----\n") + `
  tls.key: ` + b64(fxPEMPrivate),
		Want: []string{"Secret/tls data[tls.key]"},
	}, {
		Name: "a config file with a credential inside fires; one without does not",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: with}
stringData:
  app.yaml: |
    server:
      port: 8080
    database:
      password: ` + fxNamedPass + `
---
apiVersion: v1
kind: Secret
metadata: {name: without}
stringData:
  alertmanager.yaml: |
    route:
      receiver: "null"
    receivers:
    - name: "null"`,
		Want: []string{"Secret/with stringData[app.yaml]"},
	}, {
		Name: "a service account token Secret with a token fires; the request for one does not",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: token, annotations: {kubernetes.io/service-account.name: app}}
type: kubernetes.io/service-account-token
data:
  token: ` + b64(fxJWT) + `
  ca.crt: ` + b64("-----BEGIN CERTIFICATE-----\nMIIC"+strings.Repeat("Ab9+", 20)+"\n-----END CERTIFICATE-----") + `
---
apiVersion: v1
kind: Secret
metadata: {name: request, annotations: {kubernetes.io/service-account.name: app}}
type: kubernetes.io/service-account-token`,
		Want: []string{"Secret/token data[token]"},
	}, {
		Name: "placeholders, empty values, public material and non-secret facts pass",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: placeholders}
stringData:
  password: <changeme>
  token: ${API_TOKEN}
  api-key: REPLACE_ME
  secret: "{{ .Values.secret }}"
  client-secret: example-client-secret
  empty: ""
  username: admin
  host: db.internal
  known_hosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
  cipher: aes-xts-plain64
data:
  base64-placeholder: ` + b64("changeme") + `
  ca.crt: ` + b64("-----BEGIN CERTIFICATE-----\nMIIC"+strings.Repeat("Ab9+", 20)+"\n-----END CERTIFICATE-----"),
	}, {
		Name: "an ssh-auth Secret whose key is not a key passes",
		YAML: `apiVersion: v1
kind: Secret
metadata: {name: phony}
type: kubernetes.io/ssh-auth
data:
  ssh-privatekey: ` + b64("Hello, world\n"),
	}})
}

func TestSecretCommittedDataSeverityAndMessage(t *testing.T) {
	tests := []struct {
		yaml string
		sev  check.Severity
		msg  string
	}{{
		yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: " + fxNamedPass,
		sev:  check.High, msg: `stringData key "password" holds a password, committed with the manifest`,
	}, {
		yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  key.pem: |\n" + indent(fxPEMPrivate, "    "),
		sev:  check.Critical, msg: `stringData key "key.pem" holds a PEM private key on line 6, committed with the manifest`,
	}, {
		yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  aws: " + fxAWSKeyID + "\n  a: " + fxNamedPass + "\n  b: " + fxHighEntropy,
		sev:  check.Critical, msg: `stringData key "aws" holds an AWS access key id, committed with the manifest; 2 more keys hold values`,
	}}
	for _, tt := range tests {
		fs := checktest.Run(t, tt.yaml, nil, SecretCommittedData)
		if len(fs) != 1 || fs[0].Severity != tt.sev || fs[0].Message != tt.msg {
			t.Errorf("findings = %+v\nwant one %s: %s", fs, tt.sev, tt.msg)
		}
	}
}

// TestSecretCommittedDataOnlyManifests: a Secret read from a cluster or an
// admission review holds data by design.
func TestSecretCommittedDataOnlyManifests(t *testing.T) {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: "live", Namespace: "default"},
		StringData: map[string]string{"password": fxNamedPass},
	}
	for _, src := range []inventory.Source{{Cluster: "prod"}, {}} {
		o, err := inventory.New(s.DeepCopy(), src)
		if err != nil {
			t.Fatal(err)
		}
		if rs := secretCommittedData(check.NewContext(nil), o); len(rs) != 0 {
			t.Errorf("source %+v: results = %+v, want none", src, rs)
		}
	}
	o, _ := inventory.New(s.DeepCopy(), inventory.Source{File: "secret.yaml"})
	if rs := secretCommittedData(check.NewContext(nil), o); len(rs) != 1 {
		t.Errorf("from a file: results = %+v, want one", rs)
	}
}

// TestSecretCommittedDataUnrenderedHelm: a Helm template read as a
// manifest has values that are not base64; the decoder reports them and
// drops them, and the check has nothing to say.
func TestSecretCommittedDataUnrenderedHelm(t *testing.T) {
	e := scan.New(scan.Options{Checks: []*check.Check{SecretCommittedData}})
	dec := &manifest.Decoder{Reads: e.Runner.ReadsContent, Log: e.Log}
	var fs []check.Finding
	n := dec.Decode(manifest.Input{Name: "templates/secret.yaml", Data: []byte(`apiVersion: v1
kind: Secret
metadata: {name: chart}
data:
  password: "{{ .Values.password | b64enc }}"
`)}, func(o *inventory.Object) { fs = append(fs, e.Runner.CheckObject(e.Ctx, o)...) })
	if n != 1 || len(fs) != 0 {
		t.Errorf("objects = %d, findings = %+v; want 1 object and no finding", n, fs)
	}
	errs := 0
	for _, p := range e.Log.Problems() {
		if p.Level == diag.Error {
			errs++
		}
	}
	if errs != 1 {
		t.Errorf("problems = %+v, want the invalid base64 reported once", e.Log.Problems())
	}
}
