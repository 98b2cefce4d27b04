package secrets

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestConfigMapCredential(t *testing.T) {
	checktest.RunFixtures(t, ConfigMapCredential, nil, []checktest.Fixture{{
		Name: "values by name and shape, settings in config files and binary keys fire at their key",
		YAML: `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  log-level: debug
  db-password: "` + fxNamedPass + `"
  webhook: ` + fxSlackHook + `
  app.conf: |
    [server]
    port = 8080
    [database]
    user = app
    password = ` + fxNamedPass + `
  settings.json: '{"endpoint":"https://api.internal","apiKey":"` + fxHighEntropy + `"}'
binaryData:
  key.pem: ` + b64(fxPEMPrivate) + `
  blob.bin: ` + b64("\x00\x01\x02"+fxStripe+"\xff\xfe"),
		Want: []string{
			"ConfigMap/cm data[db-password]", "ConfigMap/cm data[webhook]", "ConfigMap/cm data[app.conf]",
			"ConfigMap/cm data[settings.json]", "ConfigMap/cm binaryData[key.pem]", "ConfigMap/cm binaryData[blob.bin]",
		},
	}, {
		Name: "configuration without credentials passes",
		YAML: `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  password-file: /run/secrets/db
  token-ttl: "3600"
  admin-password: "${ADMIN_PASSWORD}"
  image: registry.k8s.io/sig-storage/csi-provisioner:v6.2.0
  checksum: sha256:3b4c2a9f6e1d8c7b5a4f3e2d1c0b9a8f7e6d5c4b3a29180706f5e4d3c2b1a090
  uid: 123e4567-e89b-12d3-a456-426614174000
  nsswitch.conf: |
    passwd:         files systemd
    group:          files systemd
  config.yaml: |
    auth:
      enabled: true
      passwordFile: /etc/app/password
      token: "{{ .Values.token }}"
      clientSecret: <client-secret>
    credentialsSecret: jaeger-creds
  model.py: |
    token = os.environ["HUGGING_FACE_HUB_TOKEN"]
    if password == "":
        raise SystemExit(1)
  dashboard.json: '{"uid":"Zq8Xw7Cv6Bn5Ml4Kj3Hg2Fd1Sa0Pq9","title":"Pods"}'
  _example: |
    # password: ` + fxNamedPass + `
    token: ` + fxNamedPass,
	}})
}

func TestConfigMapCredentialMessage(t *testing.T) {
	conf := strings.Repeat("# comment\n", 11) + "password: " + fxNamedPass + "\ntoken: " + fxGitHub + "\n"
	fs := checktest.Run(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  app.conf: |\n"+indent(conf, "    ")+"\n", nil, ConfigMapCredential)
	if len(fs) != 1 {
		t.Fatalf("findings = %+v, want one", fs)
	}
	f := fs[0]
	// Line 13 of the block scalar that starts after line 5 is the file's
	// line 18, which the message names and the position points at.
	want := `data key "app.conf" holds a GitHub token on line 18 (and 1 more)`
	if f.Message != want || f.Severity != check.High || f.Position.Line != 18 || f.Path != "data[app.conf]" {
		t.Errorf("finding = %d %s %s %q, want line 18 high data[app.conf] %q", f.Position.Line, f.Severity, f.Path, f.Message, want)
	}
	// A value whose lines are not the file's (a quoted string) says so.
	quoted := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  app.conf: " + strconv.Quote(conf) + "\n"
	fs = checktest.Run(t, quoted, nil, ConfigMapCredential)
	if len(fs) != 1 || fs[0].Message != `data key "app.conf" holds a GitHub token on line 13 of the value (and 1 more)` || fs[0].Position.Line != 5 {
		t.Errorf("quoted value: %+v", fs)
	}
}

// TestConfigMapCredentialFileLine is the corpus case: istio's
// OpenTelemetry sample holds a bearer token on the file's line 34, line 26
// of the block scalar under data.opentelemetry-collector-config.
// testdata/otel.yaml is istio/istio's samples/open-telemetry/otel.yaml at
// 86c9f01fd735fb01d8192f5bcaf0d424afb7f14c (Apache-2.0), unchanged.
func TestConfigMapCredentialFileLine(t *testing.T) {
	yaml, err := os.ReadFile("testdata/otel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fs := checktest.Run(t, string(yaml), nil, ConfigMapCredential)
	if len(fs) != 1 {
		t.Fatalf("findings = %+v, want one", fs)
	}
	if !strings.Contains(fs[0].Message, "on line 34") || fs[0].Position.Line != 34 {
		t.Errorf("finding at line %d: %q; want the file's line 34", fs[0].Position.Line, fs[0].Message)
	}
}
