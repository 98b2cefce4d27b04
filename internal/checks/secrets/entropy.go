package secrets

import (
	"math"
	"strings"

	"github.com/kubeward/kubeward/internal/placeholder"
)

// highEntropy reports whether v, trimmed, is one random-looking token of
// base64 or base64url characters, and its length. It is the detector of last
// resort, so it asks a lot before it fires:
//   - 20 to 512 characters of [A-Za-z0-9+/_-] with at most two '=' of
//     padding at the end: anything with a dot, colon, '@' or space (hosts,
//     URLs, image references, paths with extensions, sentences) is not one;
//   - upper- and lower-case letters and digits all present: hex digests,
//     UUIDs and lower-case names never are;
//   - not a path ("/..."), a flag ("--...") or a placeholder;
//   - a class change (upper/lower/digit) between most neighbouring letters
//     and digits, which random strings have (about 62%) and camelCase
//     identifiers or words joined by separators do not (about 15%);
//   - Shannon entropy near the maximum its length allows.
func highEntropy(v string) (int, bool) {
	t := strings.TrimSpace(v)
	if len(t) < minGeneric || len(t) > maxGeneric {
		return 0, false
	}
	body := strings.TrimRight(t, "=")
	if len(t)-len(body) > 2 || len(body) < minGeneric {
		return 0, false
	}
	if body[0] == '/' || strings.HasPrefix(body, "--") {
		return 0, false
	}
	var up, lo, dig, pairs, changes int
	prev := -1 // class of the previous byte; -1 after a symbol
	for i := 0; i < len(body); i++ {
		c := body[i]
		cls := -1
		switch {
		case isUpper(c):
			up, cls = up+1, 0
		case isLower(c):
			lo, cls = lo+1, 1
		case isDigit(c):
			dig, cls = dig+1, 2
		case c == '+' || c == '/' || c == '_' || c == '-':
		default:
			return 0, false
		}
		if prev >= 0 && cls >= 0 {
			pairs++
			if cls != prev {
				changes++
			}
		}
		prev = cls
	}
	if up == 0 || lo == 0 || dig == 0 {
		return 0, false
	}
	// Pairs across a symbol are not counted: "google/gemma-4-31B-it" is
	// words joined by separators, not a random string.
	if float64(changes) < 0.35*float64(pairs) {
		return 0, false
	}
	if shannon(body) < entropyThreshold(len(body)) {
		return 0, false
	}
	if placeholder.Is(t) {
		return 0, false
	}
	return len(t), true
}

// entropyThreshold is the Shannon entropy (bits per character) a random
// token of n characters over a 62-64 letter alphabet reaches in all but
// about 1% of draws (measured by TestEntropyThresholdCalibration); shorter
// strings cannot reach log2(64) because they repeat too few characters.
func entropyThreshold(n int) float64 {
	return math.Min(0.82*math.Log2(float64(n)), 4.8)
}

// shannon is the entropy in bits per byte of s's byte distribution.
func shannon(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
