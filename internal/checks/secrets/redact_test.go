package secrets

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// fixtureSecrets are every fixture value that findings must never show.
var fixtureSecrets = []string{
	fxAWSKeyID, fxAWSSecret, fxGoogleKey, fxGitHub, fxGitHubPAT, fxGitLab, fxSlack, fxSlackHook, fxStripe,
	fxJWT, fxURLPass, fxHighEntropy, fxNamedPass, fxPEMPrivate, fxPEMEncrypted,
}

// secretPart is the part of a fixture that is secret, for the ones that
// wrap a credential in public text (a URL, a PEM armour).
func secretPart(v string) string {
	switch v {
	case fxURLPass:
		return "Vx9Lq2Rm7Tk4Wz8Pn3"
	case fxSlackHook:
		return "T01ABCDEF/B02GHIJKL/Zq8Xw7Cv6Bn5Ml4Kj3Hg2Fd1"
	case fxPEMPrivate, fxPEMEncrypted:
		lines := strings.Split(v, "\n")
		return strings.Join(lines[1:len(lines)-2], "\n")
	}
	return v
}

// redactionFixture holds every fixture secret in every place the checks
// read: Secret data and stringData (raw and inside config files), env
// values (raw and by name), ConfigMap data (single values, config-file
// lines, one-line settings) and binaryData.
func redactionFixture() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Secret\nmetadata: {name: committed}\ndata:\n")
	for i, v := range fixtureSecrets {
		b.WriteString("  d" + itoa(i) + ": " + b64(v) + "\n")
	}
	b.WriteString("stringData:\n  config.yaml: |\n")
	for i, v := range fixtureSecrets {
		b.WriteString(indent("password"+itoa(i)+": "+strings.ReplaceAll(v, "\n", `\n`), "    ") + "\n")
	}
	b.WriteString("---\napiVersion: v1\nkind: Pod\nmetadata: {name: pod}\nspec:\n  containers:\n  - name: app\n    image: x\n    env:\n")
	for i, v := range fixtureSecrets {
		js, _ := json.Marshal(v)
		b.WriteString("    - {name: API_TOKEN_" + itoa(i) + ", value: " + string(js) + "}\n")
		b.WriteString("    - {name: OTHER_" + itoa(i) + ", value: " + string(js) + "}\n")
	}
	b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n")
	for i, v := range fixtureSecrets {
		js, _ := json.Marshal(v)
		b.WriteString("  value" + itoa(i) + ": " + string(js) + "\n")
		b.WriteString("  secret" + itoa(i) + ": " + string(js) + "\n")
		line, _ := json.Marshal(`{"user":"u","clientSecret":` + string(js) + `}`)
		b.WriteString("  settings" + itoa(i) + ".json: " + string(line) + "\n")
		b.WriteString("  app" + itoa(i) + ".conf: |\n" + indent("# settings\nserver.port=8080\napi.token="+strings.ReplaceAll(v, "\n", `\n`), "    ") + "\n")
	}
	b.WriteString("binaryData:\n")
	for i, v := range fixtureSecrets {
		b.WriteString("  bin" + itoa(i) + ": " + b64("\x00\xff"+v+"\xfe") + "\n")
	}
	return b.String()
}

// TestRedaction runs every check over fixtures holding known credentials
// and asserts that no finding, in any field of its JSON form, holds any
// of them or any 6-character piece of them.
func TestRedaction(t *testing.T) {
	fs := checktest.Run(t, redactionFixture(), nil, SecretCommittedData, EnvLiteralCredential, ConfigMapCredential, SecretAsEnvVar)
	byCheck := map[string]int{}
	for _, f := range fs {
		byCheck[f.CheckID]++
	}
	// Every fixture must be found, or the test proves nothing. Not found by
	// design: the plain password under names that do not say credential
	// (OTHER_12, value12, bin12), and in binary data, where only token
	// shapes are looked for, the AWS secret key and the high-entropy string.
	n := len(fixtureSecrets)
	want := map[string]int{SecretCommittedData.ID: 1, EnvLiteralCredential.ID: 2*n - 1, ConfigMapCredential.ID: 5*n - 4}
	for id, w := range want {
		if byCheck[id] != w {
			t.Errorf("%s: %d findings, want %d", id, byCheck[id], w)
		}
	}
	js, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	assertNoLeak(t, string(js), fixtureSecrets, "")
}

// assertNoLeak fails when out holds any 6-byte window of the secret part
// of a value (the whole value if shorter) that is not also part of allowed
// (the fixed text checks print).
func assertNoLeak(t testing.TB, out string, values []string, allowed string) {
	t.Helper()
	for _, v := range values {
		for _, form := range []string{secretPart(v), strings.ReplaceAll(secretPart(v), "\n", `\n`)} {
			if len(form) < 6 {
				if form != "" && strings.Contains(out, form) && !strings.Contains(allowed, form) {
					t.Errorf("output holds the value %q", form)
				}
				continue
			}
			for i := 0; i+6 <= len(form); i++ {
				w := form[i : i+6]
				if strings.Contains(out, w) && !strings.Contains(allowed, w) {
					t.Errorf("output holds %q, a piece of a secret value", w)
					break
				}
			}
		}
	}
}

// TestSafeName: names that are themselves credentials are withheld, from
// messages and from paths.
func TestSafeName(t *testing.T) {
	for _, name := range []string{"DB_PASSWORD", "app.conf", "tls.key", "api-token"} {
		if SafeName(name) != name {
			t.Errorf("SafeName(%q) = %q", name, SafeName(name))
		}
	}
	for _, name := range []string{fxGitHub, fxAWSKeyID, fxHighEntropy, "bad\x00name", strings.Repeat("n", maxName+1)} {
		if SafeName(name) != withheld {
			t.Errorf("SafeName(%q) = %q, want it withheld", name, SafeName(name))
		}
	}
	fs := checktest.Run(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  `+fxGitHub+`: "`+fxNamedPass+`"
  `+fxHighEntropy+`: "`+fxGitHub+`"
`, nil, ConfigMapCredential)
	if len(fs) != 1 || fs[0].Path != "data" || !strings.Contains(fs[0].Message, withheld) {
		t.Errorf("findings = %+v, want one at data with the key withheld", fs)
	}
	js, _ := json.Marshal(fs)
	assertNoLeak(t, string(js), []string{fxGitHub, fxHighEntropy, fxNamedPass}, "")
}
