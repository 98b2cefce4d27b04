package secrets

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/placeholder"
)

// Kind is what a value looks like.
type Kind uint8

// The kinds, specific shapes first; NamedLiteral and HighEntropy are the
// weakest evidence.
const (
	None Kind = iota
	PrivateKey
	EncryptedPrivateKey
	AWSAccessKeyID
	AWSSecretKey
	GoogleAPIKey
	StripeKey
	GitHubToken
	GitLabToken
	SlackToken
	SlackWebhook
	JWT
	URLPassword
	NamedLiteral
	HighEntropy
	numKinds
)

// kindText is the only text a Detection shows for a kind: fixed, never
// derived from the value.
var kindText = [numKinds]string{
	None:                "no credential",
	PrivateKey:          "a PEM private key",
	EncryptedPrivateKey: "an encrypted PEM private key",
	AWSAccessKeyID:      "an AWS access key id",
	AWSSecretKey:        "an AWS secret access key",
	GoogleAPIKey:        "a Google API key",
	StripeKey:           "a Stripe live secret key",
	GitHubToken:         "a GitHub token",
	GitLabToken:         "a GitLab personal access token",
	SlackToken:          "a Slack token",
	SlackWebhook:        "a Slack webhook URL",
	JWT:                 "a JSON Web Token",
	URLPassword:         "a URL with an embedded password",
	NamedLiteral:        "a credential",
	HighEntropy:         "a high-entropy string",
}

// Detection says what a value looks like and, for text, on which line. It
// holds no part of the value: its String is the only description of a value
// that findings carry.
type Detection struct {
	Kind Kind
	// Class is what the name says the value is, for NamedLiteral.
	Class NameClass
	// Length is the number of characters, for HighEntropy.
	Length int
	// Line is the 1-based line in a multi-line value; 0 when not known.
	Line int
}

// Found reports whether the value looked like a credential.
func (d Detection) Found() bool { return d.Kind != None }

// String describes the value, never showing it: "a PEM private key",
// "a password", "a high-entropy string of 40 characters".
func (d Detection) String() string {
	switch {
	case d.Kind >= numKinds:
		return kindText[None]
	case d.Kind == NamedLiteral:
		return d.Class.Noun()
	case d.Kind == HighEntropy && d.Length > 0:
		return fmt.Sprintf("%s of %d characters", kindText[HighEntropy], d.Length)
	}
	return kindText[d.Kind]
}

// Severity grades what leaked: private keys and cloud or payment
// credentials are critical; tokens and passwords found by shape or by name
// are high; a high-entropy string with nothing else to go on is medium.
func (d Detection) Severity() check.Severity {
	switch d.Kind {
	case None:
		return check.SeverityUnknown
	case PrivateKey, AWSAccessKeyID, AWSSecretKey, GoogleAPIKey, StripeKey:
		return check.Critical
	case HighEntropy:
		return check.Medium
	}
	return check.High
}

// better reports whether a is stronger evidence than b.
func better(a, b Detection) bool {
	if a.Severity() != b.Severity() {
		return a.Severity() > b.Severity()
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Line != 0 && (b.Line == 0 || a.Line < b.Line)
}

// Bounds on the work one value may cause. Kubernetes stores at most 1 MiB
// per object, so nothing real is longer than maxScan.
const (
	maxScan       = 1 << 20
	maxGeneric    = 512 // longer single tokens are blobs, not credentials
	minGeneric    = 20
	maxPEMBody    = 64 << 10
	maxAuthority  = 512
	maxJWTSegment = 16 << 10
)

// Detect reports the strongest credential shape in v: a known token format
// anywhere in it, or, for a value that is one token, a high-entropy string.
// Names are not considered; see NameClassOf.
func Detect(v string) Detection {
	var best Detection
	scanShapes(v, func(k Kind, _ int) bool {
		if d := (Detection{Kind: k}); better(d, best) {
			best = d
		}
		return best.Severity() < check.Critical
	})
	if !best.Found() {
		if n, ok := highEntropy(v); ok {
			best = Detection{Kind: HighEntropy, Length: n}
		}
	}
	return best
}

// shape finds one token format. match is called at each occurrence of
// prefix and returns the end of the token, or the kind None.
type shape struct {
	prefix string
	match  func(s string, at int) (end int, k Kind)
}

// shapes are searched by an anchor each; tokens sharing an anchor share a
// pass over the value (gh for classic GitHub tokens, xox for Slack's).
var shapes = []shape{
	{"-----BEGIN ", matchPEM},
	{"AKIA", matchAWSKeyID},
	{"ASIA", matchAWSKeyID},
	{"AIza", matchGoogleKey},
	{"k_live_", matchStripe},
	{"gh", matchGitHub},
	{"github_pat_", matchGitHub},
	{"glpat-", matchGitLab},
	{"xox", matchSlack},
	{"hooks.slack.com/", matchSlackWebhook},
	{"eyJ", matchJWT},
	{"://", matchURLPassword},
}

// scanShapes calls emit with the kind and offset of each token shape in s
// (per shape in order of offset) until emit returns false. Every matcher
// stops at the first byte that cannot belong to its token, so the work is
// linear in len(s) for each shape.
func scanShapes(s string, emit func(k Kind, off int) bool) {
	if len(s) > maxScan {
		s = s[:maxScan]
	}
	// Which bytes a short value holds (most are): a shape whose prefix
	// starts with none of them is skipped without a search.
	var has [256]bool
	short := len(s) <= 64
	if short {
		for i := 0; i < len(s); i++ {
			has[s[i]] = true
		}
	}
	for _, sh := range shapes {
		if short && !has[sh.prefix[0]] {
			continue
		}
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], sh.prefix)
			if i < 0 {
				break
			}
			at := off + i
			end, k := sh.match(s, at)
			if k == None {
				off = at + len(sh.prefix)
				continue
			}
			if !emit(k, at) {
				return
			}
			off = max(end, at+len(sh.prefix))
		}
	}
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isUpper(c) || isLower(c) || isDigit(c) }

// isWord is the alphabet of base64url tokens.
func isWord(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// run returns the end of the run of bytes from i for which ok holds.
func run(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

// startsToken reports whether a token may start at i: the byte before is
// not part of the same alphabet, so a prefix inside a longer word is skipped.
func startsToken(s string, i int, ok func(byte) bool) bool { return i == 0 || !ok(s[i-1]) }

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

// fixed matches a prefix followed by exactly n bytes of an alphabet.
func fixed(s string, at, prefix, n int, ok func(byte) bool, k Kind) (int, Kind) {
	if !startsToken(s, at, ok) {
		return 0, None
	}
	end := run(s, at+prefix, ok)
	if end-at-prefix != n || placeholder.Is(s[at:end]) {
		return 0, None
	}
	return end, k
}

// atLeast matches a prefix followed by n or more bytes of an alphabet.
func atLeast(s string, at, prefix, n int, ok func(byte) bool, k Kind) (int, Kind) {
	if !startsToken(s, at, ok) {
		return 0, None
	}
	end := run(s, at+prefix, ok)
	if end-at-prefix < n || placeholder.Is(s[at:end]) {
		return 0, None
	}
	return end, k
}

func isUpperAlnum(c byte) bool { return isUpper(c) || isDigit(c) }

// matchAWSKeyID: AKIA (long-term) or ASIA (temporary) and 16 upper-case
// letters or digits. Other AWS prefixes (AIDA, AROA...) are identifiers,
// not credentials. A key id always holds a digit; requiring one skips
// upper-case constants that happen to start with ASIA.
func matchAWSKeyID(s string, at int) (int, Kind) {
	end, k := fixed(s, at, 4, 16, isUpperAlnum, AWSAccessKeyID)
	if k == None || !hasDigit(s[at+4:end]) {
		return 0, None
	}
	return end, k
}

func matchGoogleKey(s string, at int) (int, Kind) {
	return fixed(s, at, 4, 35, isWord, GoogleAPIKey)
}

// matchStripe: sk_live_ or rk_live_ (found by k_live_) and at least 16
// more characters.
func matchStripe(s string, at int) (int, Kind) {
	if at == 0 || (s[at-1] != 's' && s[at-1] != 'r') {
		return 0, None
	}
	return atLeast(s, at-1, len("sk_live_"), 16, isAlnumOrUnderscore, StripeKey)
}

func isAlnumOrUnderscore(c byte) bool { return isAlnum(c) || c == '_' }

// matchGitHub: ghp_, gho_, ghu_, ghs_ or ghr_ and exactly 36 letters and
// digits, or github_pat_ and at least 22 more.
func matchGitHub(s string, at int) (int, Kind) {
	if strings.HasPrefix(s[at:], "github_pat_") {
		return atLeast(s, at, len("github_pat_"), 22, isAlnumOrUnderscore, GitHubToken)
	}
	if at+4 > len(s) || strings.IndexByte("pousr", s[at+2]) < 0 || s[at+3] != '_' || !startsToken(s, at, isAlnumOrUnderscore) {
		return 0, None
	}
	end := run(s, at+4, isAlnum)
	if end-at-4 != 36 || (end < len(s) && s[end] == '_') || placeholder.Is(s[at:end]) {
		return 0, None
	}
	return end, GitHubToken
}

func matchGitLab(s string, at int) (int, Kind) {
	return atLeast(s, at, len("glpat-"), 20, isWord, GitLabToken)
}

func isAlnumOrDash(c byte) bool { return isAlnum(c) || c == '-' }

// matchSlack: xoxa-, xoxb-, xoxe-, xoxp-, xoxr- or xoxs- and at least 20
// more characters with a digit (real tokens carry numeric team and user
// ids).
func matchSlack(s string, at int) (int, Kind) {
	if at+5 > len(s) || strings.IndexByte("abeprs", s[at+3]) < 0 || s[at+4] != '-' || !startsToken(s, at, isWord) {
		return 0, None
	}
	end := run(s, at+5, isAlnumOrDash)
	if end-at-5 < 20 || !hasDigit(s[at+5:end]) || placeholder.Is(s[at:end]) {
		return 0, None
	}
	return end, SlackToken
}

func isPathWord(c byte) bool { return isAlnum(c) || c == '/' || c == '_' }

// matchSlackWebhook: hooks.slack.com/services/T.../B.../secret (or
// /workflows/...): at least three more path segments, the last a long one.
func matchSlackWebhook(s string, at int) (int, Kind) {
	base := at + len("hooks.slack.com/")
	var ts int
	switch {
	case strings.HasPrefix(s[base:], "services/"):
		ts = base + len("services/")
	case strings.HasPrefix(s[base:], "workflows/"):
		ts = base + len("workflows/")
	default:
		return 0, None
	}
	end := run(s, ts, isPathWord)
	tail := s[ts:end]
	if strings.Count(tail, "/") < 2 || len(tail)-strings.LastIndexByte(tail, '/')-1 < 16 || placeholder.Is(tail) {
		return 0, None
	}
	return end, SlackWebhook
}

// matchPEM: a PEM header naming a private key, then a body of at least 64
// base64 characters using at least 16 distinct ones, so that "...",
// "<your key>" and "XXXX" bodies of documentation do not count. The body
// ends at the next "-----", which keeps the scan linear.
func matchPEM(s string, at int) (int, Kind) {
	hdr := at + len("-----BEGIN ")
	close := strings.Index(s[hdr:min(len(s), hdr+64)], "-----")
	if close < 0 {
		return 0, None
	}
	label := s[hdr : hdr+close]
	if !strings.HasSuffix(label, "PRIVATE KEY") && label != "PGP PRIVATE KEY BLOCK" {
		return 0, None
	}
	bodyStart := hdr + close + 5
	body := s[bodyStart:min(len(s), bodyStart+maxPEMBody)]
	if e := strings.Index(body, "-----"); e >= 0 {
		body = body[:e]
	}
	var seen [256]bool
	n, distinct := 0, 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		if isAlnum(c) || c == '+' || c == '/' {
			n++
			if !seen[c] {
				seen[c] = true
				distinct++
			}
		}
	}
	if n < 64 || distinct < 16 {
		return 0, None
	}
	if strings.HasPrefix(label, "ENCRYPTED ") || strings.Contains(body, "ENCRYPTED") {
		return bodyStart + len(body), EncryptedPrivateKey
	}
	return bodyStart + len(body), PrivateKey
}

// matchJWT: three base64url segments separated by dots whose first decodes
// to a JSON object naming an algorithm and whose second decodes to a JSON
// object. Each occurrence reads at most three segments from a token start,
// so the scan stays linear.
func matchJWT(s string, at int) (int, Kind) {
	if !startsToken(s, at, isWord) {
		return 0, None
	}
	h := run(s, at, isWord)
	if h >= len(s) || s[h] != '.' {
		return 0, None
	}
	p := run(s, h+1, isWord)
	if p == h+1 || p >= len(s) || s[p] != '.' {
		return 0, None
	}
	end := run(s, p+1, isWord)
	header, payload := s[at:h], s[h+1:p]
	// The shortest header naming an algorithm, {"alg":""}, is 14
	// characters of base64: shorter ones are not decoded at all.
	if len(header) < 14 || len(header) > maxJWTSegment || !jsonObject(header, `"alg"`) {
		return 0, None
	}
	if len(payload) <= maxJWTSegment && !jsonObject(payload, "") {
		return 0, None
	}
	return end, JWT
}

// jsonObject reports whether seg is base64url of a JSON object holding want.
func jsonObject(seg, want string) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil || len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return false
	}
	return want == "" || strings.Contains(string(b), want)
}

func isSchemeByte(c byte) bool { return isAlnum(c) || c == '+' || c == '.' || c == '-' }

// matchURLPassword: scheme://user:password@host with a password that is
// not empty, a placeholder or a reference such as $(DB_PASSWORD).
func matchURLPassword(s string, at int) (int, Kind) {
	start := at
	for start > 0 && at-start < 32 && isSchemeByte(s[start-1]) {
		start--
	}
	if at-start < 2 || !isLower(s[start]|0x20) {
		return 0, None
	}
	a := at + 3
	end := a
	for end < len(s) && end-a < maxAuthority && !strings.ContainsRune("/?#\"'<>` \t\r\n", rune(s[end])) {
		end++
	}
	authority := s[a:end]
	userinfo, host, ok := cutLast(authority, "@")
	if !ok || host == "" {
		return 0, None
	}
	_, pass, ok := strings.Cut(userinfo, ":")
	if !ok || pass == "" {
		return 0, None
	}
	if u, err := url.PathUnescape(pass); err == nil {
		pass = u
	}
	if placeholder.Is(pass) || isReference(pass) {
		return 0, None
	}
	return end, URLPassword
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
