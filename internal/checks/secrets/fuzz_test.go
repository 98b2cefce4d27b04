package secrets

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var digits = regexp.MustCompile(`[0-9]+`)

// normDigits replaces numbers by 0: descriptions carry lengths and lines.
func normDigits(s string) string { return digits.ReplaceAllString(s, "0") }

// descriptionSet is every text a Detection can show, numbers as 0.
func descriptionSet() map[string]bool {
	set := map[string]bool{}
	for k := Kind(0); k <= numKinds; k++ {
		for c := NameClass(0); c <= numClasses; c++ {
			for _, n := range []int{0, 7} {
				set[normDigits(Detection{Kind: k, Class: c, Length: n}.String())] = true
			}
		}
	}
	return set
}

// describedShape is the form of describe's output around a description.
var describedShape = regexp.MustCompile(`^(.+?)( on line 0( of the value)?)?( \(and 0( or more)? more\))?$`)

// vocabulary is all the fixed text the detectors and checks print: every
// description, and the findings for the fixture credentials (which
// TestRedaction proves hold no part of them), numbers as 0.
func vocabulary() string {
	var b strings.Builder
	b.WriteString(describedVocabulary(descriptionSet()) + withheld + "\n")
	for _, r := range runFamily(fixtureSecrets) {
		b.WriteString(normDigits(r) + "\n")
	}
	return b.String()
}

// runFamily runs every check of the package on objects holding each value
// in every field the checks read, and returns each result's path and
// message.
func runFamily(values []string) []string {
	ctx := check.NewContext(nil)
	var out []string
	add := func(rs []check.Result) {
		for _, r := range rs {
			out = append(out, r.Path.String()+" "+r.Message)
		}
	}
	for _, v := range values {
		sec := &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: "s"},
			Data:       map[string][]byte{"d": []byte(v), "tls.key": []byte(v)},
			StringData: map[string]string{"password": v, "app.conf": "x: 1\n" + v},
			Type:       corev1.SecretTypeTLS,
		}
		cm := &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "cm"},
			Data:       map[string]string{"value": v, "password": v, "app.conf": "a: 1\ntoken: " + v + "\n" + v},
			BinaryData: map[string][]byte{"bin": []byte(v), "raw": append([]byte{0xff}, v...)},
		}
		pod := &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{
				{Name: "API_TOKEN", Value: v}, {Name: "OTHER", Value: v}, {Name: "AWS", Value: fxAWSKeyID},
				{Name: "REF", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
			}}}},
		}
		so, _ := inventory.New(sec, inventory.Source{File: "f.yaml"})
		co, _ := inventory.New(cm, inventory.Source{File: "f.yaml"})
		po, _ := inventory.New(pod, inventory.Source{File: "f.yaml"})
		add(secretCommittedData(ctx, so))
		add(configMapCredential(ctx, co))
		for _, p := range po.Pods() {
			add(envLiteralCredential(ctx, p))
			add(secretAsEnvVar(ctx, p))
		}
	}
	return out
}

// leaks returns a window of at least 6 bytes of secret found in out and
// not in allowed, with numbers as 0 on all sides.
func leaks(secret, out, allowed string) (string, bool) {
	secret, out = normDigits(secret), normDigits(out)
	if len(secret) < 6 {
		return "", false
	}
	for i := 0; i+6 <= len(secret); i++ {
		w := secret[i : i+6]
		if strings.Contains(out, w) && !strings.Contains(allowed, w) {
			return w, true
		}
	}
	return "", false
}

func seedCorpus(f *testing.F) {
	for _, v := range fixtureSecrets {
		f.Add(v)
		f.Add("password: " + v + "\ntoken=" + v)
	}
	for _, v := range []string{"", "eyJ.eyJ.", "-----BEGIN PRIVATE KEY-----", "a://b:c@d", "AKIA", "xoxb-", "\x00\xff", "password=\"", `{"token":"`} {
		f.Add(v)
	}
}

// FuzzDetect: whatever the input, the detectors describe it only with
// fixed text, keep to their bounds, and no piece of the input reaches the
// description.
func FuzzDetect(f *testing.F) {
	seedCorpus(f)
	set := descriptionSet()
	allowed := describedVocabulary(set) + withheld
	f.Fuzz(func(t *testing.T, v string) {
		var outs []string
		d := Detect(v)
		outs = append(outs, d.String())
		ds := ScanText(v)
		if len(ds) > maxHits {
			t.Fatalf("ScanText returned %d detections", len(ds))
		}
		n := strings.Count(v, "\n") + 1
		for _, d := range ds {
			if d.Line < 1 || d.Line > n {
				t.Fatalf("line %d outside 1..%d", d.Line, n)
			}
			outs = append(outs, d.String())
		}
		for _, aws := range []bool{false, true} {
			cs := Classify("API_TOKEN", v, aws)
			var line int
			outs = append(outs, describe(cs, lines(nil, nil, "the value", &line)))
		}
		for _, o := range outs {
			if o == "" {
				continue
			}
			m := describedShape.FindStringSubmatch(normDigits(o))
			if m == nil || !set[m[1]] {
				t.Fatalf("description %q is not fixed text", o)
			}
			if w, bad := leaks(v, o, allowed); bad {
				t.Fatalf("description %q holds %q from the input", o, w)
			}
		}
		if s := SafeName(v); s != v && s != withheld {
			t.Fatalf("SafeName returned neither the name nor the stand-in: %q", s)
		} else if s == v && Detect(v).Found() {
			t.Fatalf("SafeName showed a name that looks like a secret")
		}
	})
}

// FuzzChecks: whatever value sits in a Secret, a ConfigMap or an env var,
// no finding's message or path holds a piece of it.
func FuzzChecks(f *testing.F) {
	seedCorpus(f)
	allowed := vocabulary()
	f.Fuzz(func(t *testing.T, v string) {
		for _, r := range runFamily([]string{v}) {
			if w, bad := leaks(v, r, allowed); bad {
				t.Fatalf("finding %q holds %q from the value", r, w)
			}
		}
	})
}

// describedVocabulary is every description in the forms describe gives it.
func describedVocabulary(set map[string]bool) string {
	var b strings.Builder
	for d := range set {
		b.WriteString(d + " on line 0 (and 0 more)\n" + d + " (and 0 or more more)\n")
	}
	return b.String()
}

// FuzzMentionsCredential: the one-pass stem search finds a stem exactly
// when one of the stems is in the ASCII-lower-cased name.
func FuzzMentionsCredential(f *testing.F) {
	for _, s := range []string{"DB_PASSWORD", "SETTING_3", "apiKey", "x-auth-token", "PSK", "pwd", "pas", "ssecret", "KKEY", "Credential", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > maxName {
			return // NameClassOf does not ask
		}
		low := []byte(name)
		for i, c := range low {
			if isUpper(c) {
				low[i] = c + 'a' - 'A'
			}
		}
		want := false
		for _, st := range credentialStemNames {
			want = want || strings.Contains(string(low), st)
		}
		if got := mentionsCredential(name); got != want {
			t.Fatalf("mentionsCredential(%q) = %v, want %v", name, got, want)
		}
	})
}
