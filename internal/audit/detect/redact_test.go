package detect

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// A command line longer than maxCommand is cut, so a huge exec URI costs
// a bounded amount of work.
func TestRedactCommandBounded(t *testing.T) {
	long := []string{"sh", "-c", strings.Repeat("authorization:", 1<<16), "--token", "x"}
	out := RedactCommand(long)
	if n := len(strings.Join(out, "")); n > maxCommand+16 || len(out) != 3 {
		t.Errorf("%d bytes and %d arguments out", n, len(out))
	}
}

func TestRedactCommandShapes(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"mysql", "-uroot", "-pS3cr3t!x", "-e", "select 1"}, "mysql -uroot -pREDACTED -e select 1"},
		{[]string{"mysql", "-p", "shop"}, "mysql -p shop"}, // prompts; shop is the database
		{[]string{"kubectl", "--token", "eyJhbGciOi", "get", "pods"}, "kubectl --token REDACTED get pods"},
		{[]string{"curl", "-H", "Authorization: Bearer abc.def", "https://api"}, "curl -H Authorization: REDACTED https://api"},
		{[]string{"curl", "--header=X-API-Key: k3y", "https://api"}, "curl --header=X-API-Key: REDACTED https://api"},
		{[]string{"curl", "-u", "admin:hunter22", "https://api"}, "curl -u admin:REDACTED https://api"},
		{[]string{"curl", "--user", "admin:hunter22"}, "curl --user admin:REDACTED"},
		{[]string{"git", "clone", "https://bot:ghp_abcdef@github.com/o/r"}, "git clone https://bot:REDACTED"},
		{[]string{"redis-cli", "-a", "hunter22", "ping"}, "redis-cli -a REDACTED ping"},
		{[]string{"sshpass", "-p", "hunter22", "ssh", "h"}, "sshpass -p REDACTED ssh h"},
		{[]string{"docker", "login", "-u", "me", "-p", "hunter22", "r.io"}, "docker login -u me -p REDACTED r.io"},
		{[]string{"docker", "run", "-p", "8080:80", "nginx"}, "docker run -p 8080:80 nginx"}, // a port
		{[]string{"smbclient", "//h/s", "-U", "me%hunter22"}, "smbclient //h/s -U me%REDACTED"},
		{[]string{"ldapsearch", "-D", "cn=admin", "-w", "hunter22"}, "ldapsearch -D cn=admin -w REDACTED"},
		{[]string{"curl", "-d", `{"user":"a","password":"hunter22"}`, "u"}, `curl -d {"user":"a","password":REDACTED u`},
		{[]string{"env", "PGPASSWORD=hunter22", "psql"}, "env PGPASSWORD=REDACTED psql"},
		{[]string{"keytool", "-storepass", "hunter22"}, "keytool -storepass REDACTED"},
		{[]string{"ls", "-la", "/etc"}, "ls -la /etc"},
		// Scripts keep their shape.
		{[]string{"sh", "-c", "mysql -uroot -pS3cr3t db && echo ok"}, "sh -c mysql -uroot -pREDACTED db && echo ok"},
		{[]string{"sh", "-c", "curl -sH 'Authorization: Bearer abc' https://api | jq ."}, "sh -c curl -sH 'Authorization: REDACTED' https://api | jq ."},
		{[]string{"bash", "-lc", `kubectl --token "t0k en" get pods`}, `bash -lc kubectl --token "REDACTED" get pods`},
		{[]string{"sh", "-c", "export API_TOKEN=abc123; ./run"}, "sh -c export API_TOKEN=REDACTED; ./run"},
		{[]string{"sh", "-c", `sh -c 'mysql -phunter22'`}, `sh -c sh -c 'mysql -pREDACTED'`},
	}
	for _, tc := range tests {
		if got := strings.Join(RedactCommand(tc.args), " "); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

// secretAlphabet is what the generated secrets are made of: characters
// people put in passwords and tokens that survive a shell word, a URL's
// user info and JSON unchanged.
const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%^*_+-.,~"

// shapes are the ways people put a secret S on a command line; each
// returns the exec request's argument vector.
var shapes = []func(s string, r *rand.Rand) []string{
	func(s string, r *rand.Rand) []string {
		return []string{"mysql", "-u" + randWord(r), "-p" + s, "-e", "select 1"}
	},
	func(s string, r *rand.Rand) []string { return []string{"mysqldump", "--password=" + s, randWord(r)} },
	func(s string, r *rand.Rand) []string { return []string{"kubectl", "--token", s, "get", randWord(r)} },
	func(s string, r *rand.Rand) []string { return []string{"kubectl", "--token=" + s} },
	func(s string, r *rand.Rand) []string {
		return []string{"curl", "-s", "-H", pick(r, "Authorization", "authorization") + ": Bearer " + s, "https://" + randWord(r)}
	},
	func(s string, r *rand.Rand) []string { return []string{"curl", "--header", "X-API-Key: " + s} },
	func(s string, r *rand.Rand) []string {
		return []string{"curl", "-u", randWord(r) + ":" + s, "https://x"}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"git", "clone", "https://" + randWord(r) + ":" + s + "@github.com/o/r"}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"redis-cli", "-h", randWord(r), "-a", s, "ping"}
	},
	func(s string, r *rand.Rand) []string { return []string{"sshpass", "-p", s, "ssh", randWord(r)} },
	func(s string, r *rand.Rand) []string { return []string{"docker", "login", "-u", randWord(r), "-p", s} },
	func(s string, r *rand.Rand) []string {
		return []string{"env", strings.ToUpper(randWord(r)) + "_PASSWORD=" + s, "app"}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"curl", "-d", `{"password": "` + s + `"}`, "https://x"}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"openssl", "enc", "-aes256", "-pass", "pass:" + s}
	},
	// The same inside scripts, with either quote.
	func(s string, r *rand.Rand) []string {
		return []string{"sh", "-c", "mysql -u" + randWord(r) + " -p" + s + " " + randWord(r) + " && echo done"}
	},
	func(s string, r *rand.Rand) []string {
		q := pick(r, "'", `"`)
		return []string{"/bin/bash", "-c", "curl -sf -H " + q + "Authorization: Bearer " + s + q + " https://" + randWord(r) + " | jq ."}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"sh", "-ec", "kubectl --token " + s + " get pods -n " + randWord(r)}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"sh", "-c", strings.ToUpper(randWord(r)) + "_TOKEN=" + s + " ./run.sh"}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"sh", "-c", "echo start; redis-cli -a '" + s + "' info; echo end"}
	},
	func(s string, r *rand.Rand) []string {
		return []string{"sh", "-c", "sh -c 'PGPASSWORD=" + s + " psql -h db'"}
	},
}

func randWord(r *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 1+r.IntN(8))
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func secret(r *rand.Rand) string {
	b := make([]byte, 8+r.IntN(24))
	for i := range b {
		b[i] = secretAlphabet[r.IntN(len(secretAlphabet))]
	}
	return string(b)
}

// checkRedacted asserts that the secret survives neither RedactCommand nor
// RedactURI (decoded or not), nor the exec alert's command detail.
func checkRedacted(t *testing.T, args []string, s string) {
	t.Helper()
	if got := strings.Join(RedactCommand(args), "\x00"); strings.Contains(got, s) {
		t.Fatalf("secret %q survives RedactCommand(%q): %q", s, args, got)
	}
	uri := "/api/v1/namespaces/a/pods/p/exec?" + url.Values{"command": args, "container": {"c"}}.Encode()
	red := RedactURI(uri)
	dec, _ := url.QueryUnescape(red)
	if strings.Contains(red, s) || strings.Contains(dec, s) || strings.Contains(red, url.QueryEscape(s)) {
		t.Fatalf("secret %q survives RedactURI(%q): %q", s, uri, red)
	}
	if c := commandOf(uri); strings.Contains(c, s) {
		t.Fatalf("secret %q survives in the command detail %q", s, c)
	}
}

// TestRedactPlantedSecrets generates command lines in every shape with a
// random secret and random surroundings: the secret never survives.
func TestRedactPlantedSecrets(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 17))
	for i := range 10000 {
		shape := shapes[i%len(shapes)]
		s := secret(r)
		checkRedacted(t, shape(s, r), s)
	}
}

// FuzzRedactCommand drives the same generator from fuzz input, and checks
// that any input at all is handled without a panic and bounded.
func FuzzRedactCommand(f *testing.F) {
	f.Add(uint8(0), uint64(1), "hunter22hunter22", "sh\x00-c\x00echo hi")
	f.Add(uint8(4), uint64(2), "abc.def-ghi_jkl", "curl\x00-H\x00Authorization: Bearer x")
	f.Add(uint8(15), uint64(3), "T0k3n!#%^*", "sh\x00-c\x00'unterminated \"quote")
	f.Add(uint8(19), uint64(4), "p4ss.word,~", "bash\x00-c\x00a; b && c || (d | e) \\\\")
	f.Fuzz(func(t *testing.T, shape uint8, seed uint64, s, raw string) {
		args := strings.Split(raw, "\x00")
		out := RedactCommand(args)
		if len(out) > len(args) || len(strings.Join(out, "")) > maxCommand+len("…")+len(out)*len(redacted) {
			t.Fatalf("%d arguments (%d bytes) in, %d (%d bytes) out", len(args), len(raw), len(out), len(strings.Join(out, "")))
		}
		_ = RedactURI("/x?" + url.Values{"command": args}.Encode())
		if len(s) < 8 || strings.Trim(s, secretAlphabet) != "" {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed))
		args = shapes[int(shape)%len(shapes)](s, r)
		checkRedacted(t, args, s)
	})
}
