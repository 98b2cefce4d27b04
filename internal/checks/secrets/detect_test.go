package secrets

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/placeholder"
)

// Fixture credentials. They are made up for these tests (no service
// accepts them) but have the exact shape of real ones; the JWT is built
// from a real header and payload.
const (
	fxAWSKeyID     = "AKIAZ7Q4M2XKRT5HVW3N"
	fxAWSSecret    = "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"
	fxGoogleKey    = "AIzaSyD3q7Xv9Lm2Kp8Rt5Wz0Yb4Nc6Hj1Gf3Ds"
	fxGitHub       = "ghp_Q9w8E7r6T5y4U3i2O1p0A9s8D7f6G5h4J3k2"
	fxGitHubPAT    = "github_pat_11AAQ9W8E70Rt5Ty4Ui3Op_Zx9Cv8Bn7Mq6Wl5Ek4Rj3Th2Yg1Uf0Id9Os8Pa7"
	fxGitLab       = "glpat-Zq8Xw7Cv6Bn5Ml4Kj3Hg"
	fxSlack        = "xoxb-1234567890-0987654321-Zq8Xw7Cv6Bn5Ml4Kj3Hg2Fd"
	fxSlackHook    = "https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/Zq8Xw7Cv6Bn5Ml4Kj3Hg2Fd1"
	fxStripe       = "sk_live_51Hq8Xw7Cv6Bn5Ml4Kj3Hg2Fd1Sa0"
	fxJWT          = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrdWJld2FyZC10ZXN0IiwiaWF0IjoxNzAwMDAwMDAwfQ.Qm9yVxK3r8Zt2Lw5Yp7Nc1Hd4Jf6Gs9Ak0Ub3Ie5Ox"
	fxURLPass      = "postgres://app:Vx9Lq2Rm7Tk4Wz8Pn3@db.internal:5432/app"
	fxHighEntropy  = "Jq3Vx8Lm2Rt7Kp9Wz4Yb6Nc1Hd5Gf0Ds3Ea8Uy2T"
	fxNamedPass    = "Tr0ub4dor-Horse-91"
	fxPEMPrivate   = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAvQ3x9Lm2Rt7Kp9Wz4Yb6Nc1Hd5Gf0Ds3Ea8Uy2TqVx8Lm2Rt7Kp9W\nz4Yb6Nc1Hd5Gf0Ds3Ea8Uy2TqVx8Lm2Rt7Kp9Wz4Yb6Nc1Hd5Gf0Ds3Ea8Uy2TqVx8Lm\n-----END RSA PRIVATE KEY-----\n"
	fxPEMEncrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIv3x9Lm2Rt7KpAgIIAD\nAMBggqhkiG9w0CCQUAMBQGCCqGSIb3DQMHBAgWz4Yb6Nc1Hd5GBIIEyKq3Vx8Lm2Rt7Kp\n-----END ENCRYPTED PRIVATE KEY-----\n"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name, value string
		want        Kind
	}{
		{"aws key id", fxAWSKeyID, AWSAccessKeyID},
		{"aws key id in text", "aws_access_key_id = " + fxAWSKeyID + "\n", AWSAccessKeyID},
		{"aws documentation key", "AKIAIOSFODNN7EXAMPLE", None},
		{"aws key id inside a longer word", "X" + fxAWSKeyID, None},
		{"aws unique id is not a key", "AIDAZ7Q4M2XKRT5HVW3N", None},
		{"google api key", fxGoogleKey, GoogleAPIKey},
		{"github classic", fxGitHub, GitHubToken},
		{"github fine-grained", fxGitHubPAT, GitHubToken},
		{"github placeholder", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", None},
		{"gitlab", fxGitLab, GitLabToken},
		{"slack", fxSlack, SlackToken},
		{"slack placeholder", "xoxb-your-token-goes-here-0000000000", None},
		{"slack webhook", fxSlackHook, SlackWebhook},
		{"slack webhook placeholder", "https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX", None},
		{"stripe live", fxStripe, StripeKey},
		{"stripe test key is not reported", "sk_test_51Hq8Xw7Cv6Bn5Ml4Kj3Hg2Fd1Sa0", HighEntropy},
		{"jwt", fxJWT, JWT},
		{"jwt in a header", "Authorization: Bearer " + fxJWT, JWT},
		{"three base64 segments that are not a jwt", "eyJub3Rqc29u.eyJ4IjoxfQ.abc", None},
		{"pem private key", fxPEMPrivate, PrivateKey},
		{"pem private key with escaped newlines (JSON)", strings.ReplaceAll(fxPEMPrivate, "\n", `\n`), PrivateKey},
		{"encrypted pem", fxPEMEncrypted, EncryptedPrivateKey},
		{"pem with an elided body", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", None},
		{"pem with a short fake body", "-----BEGIN OPENSSH PRIVATE KEY-----\nabcdefghijklmnopqrstuvwxy1234567890\n-----END OPENSSH PRIVATE KEY-----", None},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIC" + strings.Repeat("Ab9+", 20) + "\n-----END CERTIFICATE-----", None},
		{"url with password", fxURLPass, URLPassword},
		{"url with password in a jdbc string", "jdbc:mysql://root:Vx9Lq2Rm7Tk4@mysql:3306/db", URLPassword},
		{"url without password", "https://user@example.com/path", None},
		{"url with a reference password", "postgres://app:$(DB_PASSWORD)@db:5432/app", None},
		{"url with an encoded reference", "redis://:%24%7BREDIS_PASSWORD%7D@redis:6379", None},
		{"url with placeholder password", "amqp://guest:<password>@rabbit:5672", None},
		{"url with empty password", "mongodb://admin:@mongo:27017", None},
		{"high entropy", fxHighEntropy, HighEntropy},
		{"hex digest", "sha256:3b4c2a9f6e1d8c7b5a4f3e2d1c0b9a8f7e6d5c4b3a29180706f5e4d3c2b1a090", None},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", None},
		{"image reference", "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0", None},
		{"model path", "google/gemma-4-31B-it", None},
		{"camelCase identifier", "ServiceAccountTokenVolumeProjection1", None},
		{"path", "/var/run/secrets/kubernetes.io/serviceaccount/token", None},
		{"flag", "--enable-leader-election=true", None},
		{"sentence", "The quick brown fox jumps over the lazy dog 42 times", None},
		{"short", "Ab3", None},
		{"empty", "", None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.value); got.Kind != tt.want {
				t.Errorf("Detect = %v (%s), want %v (%s)", got.Kind, got, tt.want, Detection{Kind: tt.want})
			}
		})
	}
}

func TestNameClassOf(t *testing.T) {
	tests := []struct {
		name string
		want NameClass
	}{
		{"DB_PASSWORD", Password}, {"dbPassword", Password}, {"spring.datasource.password", Password},
		{"adminpassword", Password}, {"MYSQL_ROOT_PASSWORD", Password}, {"DB_PWD", Password}, {"SMTP_PASS", Password},
		{"password_in", Password}, {"password2", Password}, {"PASSWORD_B64", Password},
		{"CLIENT_SECRET", SecretValue}, {"clientSecret", SecretValue}, {"jwt-secret", SecretValue},
		{"GITHUB_TOKEN", Token}, {"authToken", Token}, {"oauth2Token", Token},
		{"API_KEY", APIKey}, {"apiKey", APIKey}, {"APIKey", APIKey}, {"x-api-key", APIKey},
		{"AWS_SECRET_ACCESS_KEY", SecretKey}, {"MINIO_SECRET_KEY", SecretKey}, {"azurestorageaccountkey", SecretKey},
		{"AZURE_STORAGE_KEY", SecretKey}, {"tls.key", PrivateKeyName}, {"PRIVATE_KEY", PrivateKeyName},
		{"ENCRYPTION_KEY", EncryptionKey}, {"credentials", Credentials}, {"BASIC_AUTH", AuthValue},
		// About a credential, not one.
		{"PASSWORD_FILE", NotCredential}, {"TOKEN_TTL", NotCredential}, {"SECRET_NAME", NotCredential},
		{"AUTH_ENABLED", NotCredential}, {"AWS_ACCESS_KEY_ID", NotCredential}, {"MINIO_ACCESS_KEY", NotCredential},
		{"MAX_TOTAL_TOKENS", NotCredential}, {"PWD", NotCredential}, {"KEY", NotCredential}, {"CACHE_KEY", NotCredential},
		{"BYPASS", NotCredential}, {"tokenizer", NotCredential}, {"", NotCredential}, {strings.Repeat("a", 300) + "password", NotCredential},
	}
	for _, tt := range tests {
		if got := NameClassOf(tt.name); got != tt.want {
			t.Errorf("NameClassOf(%q) = %s, want %s", tt.name, got.Noun(), tt.want.Noun())
		}
	}
}

func TestIsPlaceholder(t *testing.T) {
	yes := []string{"", "  ", "<changeme>", "<Client Secret>", "${DB_PASSWORD}", "$(TOKEN)", "$TOKEN", "{{ .Values.password }}",
		"REPLACE_ME", "replace-default-auth", "changeme", "CHANGE_ME", "example-token", "your-api-key", "xxxxxxxx", "********",
		"password", "SECRET", "HF_TOKEN", "GOOGLE_API_KEY_VAL", "nvapi-NVKEY", "__SERVICEACCOUNT_TOKEN__", "@DB_PASS@",
		"Ple4seCh4ngeThisN0tAVerySecretV4lue", "hello secret", "Simple passphrase", "Y2hhbmdlbWU=", /* base64 of changeme */
		"%s", "TODO", "dummy", "INSERT_ETCD_DISCOVERY_TOKEN"}
	no := []string{fxNamedPass, fxHighEntropy, "hunter2", "s3cr3t-Value", "correct horse battery staple", "c-krit"}
	for _, v := range yes {
		if !placeholder.Is(v) {
			t.Errorf("placeholder.Is(%q) = false, want true", v)
		}
	}
	for _, v := range no {
		if placeholder.Is(v) {
			t.Errorf("placeholder.Is(%q) = true, want false", v)
		}
	}
}

func TestIsLiteralCredential(t *testing.T) {
	yes := []string{"hunter2", fxNamedPass, "Password$123456"}
	no := []string{"", "abc", "1234", "true", "/etc/secret/password", "vault:secret/data/db#password", "https://auth.example.org/token",
		`os.environ["HF_TOKEN"]`, "getSecret()", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host", "Enter your password here please"}
	for _, v := range yes {
		if !isLiteralCredential(v, Password, false) {
			t.Errorf("isLiteralCredential(%q) = false, want true", v)
		}
	}
	for _, v := range no {
		if isLiteralCredential(v, Password, false) {
			t.Errorf("isLiteralCredential(%q) = true, want false", v)
		}
	}
	if isLiteralCredential("db-credentials", SecretValue, false) {
		t.Error("an object name under a *Secret key is a reference, not a credential")
	}
	if isLiteralCredential("basic", AuthValue, false) || !isLiteralCredential("admin:Vx9Lq2Rm", AuthValue, false) {
		t.Error("AUTH needs a credential's shape")
	}
}

// A value written to a running cluster is judged in use: what only looks
// like a placeholder is the credential there; what is left to be filled,
// masked or null is not.
func TestIsLiteralCredentialInUse(t *testing.T) {
	for _, v := range []string{"MY-KEY", "changeme", "secret", "password", "example-password", "hunter2"} {
		if !isLiteralCredential(v, Password, true) {
			t.Errorf("in use, %q is a credential", v)
		}
	}
	for _, v := range []string{"${DB_PASSWORD}", "{{ .Values.pw }}", "$TOKEN", "<password>", "__PASSWORD__", "********", "none", "false", "", "abc", "/etc/secret/password"} {
		if isLiteralCredential(v, Password, true) {
			t.Errorf("in use, %q is not a credential", v)
		}
	}
	if isLiteralCredential("MY-KEY", SecretKey, false) {
		t.Error("in a repository MY-KEY is a placeholder")
	}
}

func TestScanText(t *testing.T) {
	text := strings.Join([]string{
		"# database settings",          // 1
		"db:",                          // 2
		"  host: db.internal",          // 3
		"  password: " + fxNamedPass,   // 4
		"  password_file: /run/db",     // 5
		`  token: "${TOKEN}"`,          // 6
		"aws_key = " + fxAWSKeyID,      // 7
		`{"clientSecret": "Zq8Xw7Cv"}`, // 8
		`jaas = org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="Vx9Lq2Rm7";`, // 9
		"url: jdbc:x://h;user=u;password=Qz8Lm2Rt", // 10
		"requirepass Vx9Lq2Rm7Tk4",                 // 11
		"if [ \"$password\" == \"x\" ]; then",      // 12
		"passwd:         files systemd",            // 13
		"cluster-token: 2048",                      // 14
	}, "\n")
	got := map[int]Kind{}
	for _, d := range ScanText(text) {
		got[d.Line] = d.Kind
	}
	want := map[int]Kind{4: NamedLiteral, 7: AWSAccessKeyID, 8: NamedLiteral, 9: NamedLiteral, 10: NamedLiteral, 11: NamedLiteral}
	if len(got) != len(want) {
		t.Errorf("ScanText lines = %v, want %v", got, want)
	}
	for l, k := range want {
		if got[l] != k {
			t.Errorf("line %d: got %v, want %v", l, got[l], k)
		}
	}
}

// TestEntropyThresholdCalibration checks the claim of entropyThreshold:
// random base62 tokens of every length pass highEntropy almost always
// (those lacking a digit, about 3% at 20 characters, are rejected on
// purpose).
func TestEntropyThresholdCalibration(t *testing.T) {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{20, 24, 32, 40, 64, 128, 512} {
		pass := 0
		const draws = 2000
		for range draws {
			b := make([]byte, n)
			for i := range b {
				b[i] = alpha[r.IntN(len(alpha))]
			}
			if _, ok := highEntropy(string(b)); ok {
				pass++
			}
		}
		if rate := float64(pass) / draws; rate < 0.94 {
			t.Errorf("length %d: %.1f%% of random tokens pass, want at least 94%%", n, 100*rate)
		}
	}
}
