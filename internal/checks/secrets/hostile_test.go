package secrets

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/placeholder"
)

// hostileValues are inputs built to make a careless matcher quadratic or
// unbounded: many prefixes with long tails, unterminated armour, endless
// authorities, binary noise, and lines beyond the line limit.
func hostileValues() map[string]string {
	r := rand.New(rand.NewPCG(7, 11))
	noise := make([]byte, 2<<20)
	for i := range noise {
		noise[i] = byte(r.UintN(256))
	}
	return map[string]string{
		"jwt prefixes":      strings.Repeat("eyJ.", 1<<18),
		"jwt long segments": "eyJ" + strings.Repeat("A", 1<<20) + "." + strings.Repeat("B", 1<<20),
		"pem headers":       strings.Repeat("-----BEGIN PRIVATE KEY-----", 1<<15),
		"pem long body":     "-----BEGIN PRIVATE KEY-----" + strings.Repeat("QUJD", 1<<19),
		"url schemes":       strings.Repeat("a://", 1<<18),
		"url authority":     strings.Repeat("ab://"+strings.Repeat("u", 400)+":", 1<<11),
		"aws prefixes":      strings.Repeat("AKIA", 1<<18),
		"slack prefixes":    strings.Repeat("xoxb-", 1<<18),
		"webhook":           "hooks.slack.com/services/" + strings.Repeat("/A", 1<<19),
		"binary":            string(noise),
		"one long line":     "password=" + strings.Repeat("x", 2<<20),
		"many settings":     strings.Repeat("password: Vx9Lq2Rm7Tk4\n", 1<<16),
		"many pairs":        strings.Repeat(`a="b" `, 1<<17),
	}
}

// TestHostileInputs runs every detector on hostile values: each must
// return, with at most maxHits detections. (A quadratic matcher would not
// finish these in the test timeout; the benchmark measures the time.)
func TestHostileInputs(t *testing.T) {
	for name, v := range hostileValues() {
		t.Run(name, func(t *testing.T) {
			Detect(v)
			if ds := ScanText(v); len(ds) > maxHits {
				t.Errorf("ScanText: %d detections", len(ds))
			}
			if ds := Classify("API_TOKEN", v, true); len(ds) > maxHits {
				t.Errorf("Classify: %d detections", len(ds))
			}
			placeholder.Is(v)
			SafeName(v)
		})
	}
}

// TestScanBound: only the first maxScan bytes of a value are searched.
func TestScanBound(t *testing.T) {
	pad := strings.Repeat("a", maxScan-len(fxGitHub)-1) + "\n"
	if !Detect(pad + fxGitHub).Found() {
		t.Error("a token just inside the bound was not found")
	}
	if Detect(pad + " " + fxGitHub).Found() {
		t.Error("a token beyond the bound was found")
	}
}
