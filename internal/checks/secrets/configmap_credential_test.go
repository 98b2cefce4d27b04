package secrets

import (
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
	want := `data key "app.conf" holds a GitHub token on line 13 (and 1 more)`
	if f.Message != want || f.Severity != check.High || f.Position.Line != 5 || f.Path != "data[app.conf]" {
		t.Errorf("finding = %d %s %s %q, want line 5 high data[app.conf] %q", f.Position.Line, f.Severity, f.Path, f.Message, want)
	}
}
