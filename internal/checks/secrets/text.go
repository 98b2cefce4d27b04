package secrets

import (
	"sort"
	"strings"
)

// Bounds for ScanText.
const (
	maxLine = 4 << 10 // longer lines are data, not settings; shapes are still found
	maxHits = 64
)

// ScanText finds credentials in a multi-line value (a config file held in
// a ConfigMap or Secret key): token shapes anywhere, with their line, and
// settings whose name says credential and whose value is a literal, in the
// forms config files use:
//
//	password: s3cr3t            (YAML)
//	spring.datasource.password=s3cr3t   (properties, .env, INI, TOML)
//	"clientSecret": "s3cr3t",   (JSON)
//	--token=s3cr3t              (flags)
//
// High-entropy strings are not reported inside text: config files are full
// of digests and ids. The result is sorted by line and holds at most
// maxHits detections; it never holds any part of the text.
func ScanText(text string) []Detection { return scanText(text, false) }

// scanText is ScanText; inUse as for isLiteralCredential.
func scanText(text string, inUse bool) []Detection {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	type hit struct {
		off int
		d   Detection
	}
	var hits []hit
	scanShapes(text, func(k Kind, off int) bool {
		hits = append(hits, hit{off, Detection{Kind: k}})
		return len(hits) < maxHits
	})
	sort.Slice(hits, func(i, j int) bool { return hits[i].off < hits[j].off })
	var out []Detection
	low := asciiLower(text)
	line, pos, h := 1, 0, 0
	for pos <= len(text) && len(out) < maxHits {
		end := strings.IndexByte(text[pos:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += pos
		}
		shaped := false
		for ; h < len(hits) && hits[h].off < end+1; h++ {
			d := hits[h].d
			d.Line = line
			out = append(out, d)
			shaped = true
		}
		if !shaped && end-pos <= maxLine && mentionsStem(low[pos:end]) {
			if c, ok := settingLine(text[pos:end], inUse); ok {
				out = append(out, Detection{Kind: NamedLiteral, Class: c, Line: line})
			}
		}
		line++
		pos = end + 1
	}
	if len(out) > maxHits {
		out = out[:maxHits]
	}
	return out
}

// asciiLower lower-cases ASCII letters only, so offsets stay valid.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !isUpper(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if isUpper(b[i]) {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// mentionsStem reports whether a lower-cased line holds a credential stem:
// most lines of a config file do not, and need no parsing.
func mentionsStem(low string) bool {
	for _, st := range credentialStemNames {
		if strings.Contains(low, st) {
			return true
		}
	}
	return false
}

// settingLine reports whether a line sets a credential-named key to a
// literal value, and the class of the name: as the line's leading setting,
// as a directive ("requirepass s3cr3t"), or as a pair inside the line.
func settingLine(line string, inUse bool) (NameClass, bool) {
	if key, val, ok := splitSetting(line); ok {
		if c, ok := credentialSetting(key, val, inUse); ok {
			return c, true
		}
	} else if key, val, ok := splitDirective(line); ok {
		if c, ok := credentialSetting(key, val, inUse); ok {
			return c, true
		}
	}
	return inlinePair(line, inUse)
}

func credentialSetting(key, val string, inUse bool) (NameClass, bool) {
	c := NameClassOf(key)
	if c == NotCredential || !isLiteralCredential(val, c, inUse) {
		return NotCredential, false
	}
	if key == "passwd" && nsswitchSources[strings.Fields(val)[0]] {
		return NotCredential, false // nsswitch.conf: "passwd: files systemd"
	}
	return c, true
}

// directives are space-separated settings that hold a credential.
var directives = map[string]NameClass{"requirepass": Password, "masterauth": Password}

// splitDirective splits "requirepass s3cr3t" for the known directives.
func splitDirective(line string) (key, val string, ok bool) {
	word, rest, found := strings.Cut(strings.TrimSpace(line), " ")
	if !found || len(word) > 16 {
		return "", "", false
	}
	if _, ok := directives[strings.ToLower(word)]; !ok {
		return "", "", false
	}
	val = strings.TrimSpace(rest)
	if strings.ContainsAny(val, " \t") {
		return "", "", false
	}
	return "password", strings.Trim(val, `"'`), true
}

// maxPairs bounds the separators examined in one line.
const maxPairs = 64

// inlinePair finds key=value pairs after the start of a line: a quoted
// value (JAAS: `... username="u" password="p";`, minified JSON
// `{"token":"t"}`, a string in code), or an unquoted one in a query or
// connection string (`?user=u&password=p`, `Server=h;Password=p`).
// Comparisons (==, !=, <=, >=) are not pairs.
func inlinePair(line string, inUse bool) (NameClass, bool) {
	seen := 0
	for i := 1; i < len(line) && seen < maxPairs; i++ {
		sep := line[i]
		if sep != '=' && sep != ':' {
			continue
		}
		seen++
		if (i+1 < len(line) && line[i+1] == '=') || strings.IndexByte("!<>=", line[i-1]) >= 0 {
			continue
		}
		var key string
		ks := i
		if line[i-1] == '"' || line[i-1] == '\'' {
			q := line[i-1]
			open := strings.LastIndexByte(line[:i-1], q)
			if open < 0 {
				continue
			}
			key, ks = line[open+1:i-1], open
		} else {
			if sep == ':' {
				continue // unquoted "a: b" inside a line is prose or YAML flow
			}
			for ks > 0 && isKeyByte(line[ks-1]) {
				ks--
			}
			key = line[ks:i]
		}
		if key == "" || len(key) > maxName {
			continue
		}
		c := NameClassOf(key)
		if c == NotCredential {
			continue
		}
		rest := strings.TrimLeft(line[i+1:], " ")
		var val string
		switch {
		case rest != "" && (rest[0] == '"' || rest[0] == '\''):
			end := strings.IndexByte(rest[1:], rest[0])
			if end < 0 {
				continue
			}
			val = rest[1 : 1+end]
		case ks > 0 && strings.IndexByte("?&;", line[ks-1]) >= 0:
			end := strings.IndexAny(rest, " ;&\t\"'")
			if end < 0 {
				end = len(rest)
			}
			val = rest[:end]
		default:
			continue
		}
		if isLiteralCredential(val, c, inUse) {
			return c, true
		}
	}
	return NotCredential, false
}

// nsswitchSources are the sources an nsswitch.conf "passwd:" line lists.
var nsswitchSources = map[string]bool{
	"files": true, "compat": true, "nis": true, "nisplus": true, "ldap": true, "sss": true,
	"systemd": true, "db": true, "dns": true, "winbind": true, "altfiles": true, "extrausers": true,
}

// splitSetting splits "key: value", "key = value", `"key": "value",` and
// "--key=value" into an unquoted key and value. Lines whose value opens a
// block, a list or a map, or that are comments, are not settings.
func splitSetting(line string) (key, val string, ok bool) {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "- ")
	s = strings.TrimPrefix(s, "export ")
	s = strings.TrimLeft(s, "-")
	if s == "" || s[0] == '#' || strings.HasPrefix(s, "//") || s[0] == ';' {
		return "", "", false
	}
	var rest string
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", "", false
		}
		key, rest = s[1:1+end], s[2+end:]
	} else {
		end := run(s, 0, isKeyByte)
		key, rest = s[:end], s[end:]
	}
	rest = strings.TrimLeft(rest, " \t")
	if key == "" || rest == "" || (rest[0] != ':' && rest[0] != '=') {
		return "", "", false
	}
	val = strings.TrimSpace(rest[1:])
	if val == "" {
		return "", "", false
	}
	switch val[0] {
	case '|', '>', '{', '[', '&', '*', '!':
		return "", "", false
	case '"', '\'':
		end := strings.IndexByte(val[1:], val[0])
		if end < 0 {
			return "", "", false
		}
		return key, val[1 : 1+end], true
	}
	if i := strings.Index(val, " #"); i >= 0 {
		val = val[:i]
	}
	val = strings.TrimRight(strings.TrimSpace(val), ",;")
	return key, val, val != ""
}

func isKeyByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }
