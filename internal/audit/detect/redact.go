package detect

import (
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

const redacted = "REDACTED"

// secretish matches names of parameters, variables and flags that hold
// credentials.
var secretish = regexp.MustCompile(`(?i)(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|bearer|pwd)`)

// RedactURI removes credential-looking query values from a request URI
// (access_token=..., exec commands with PASSWORD=...). Paths are kept.
func RedactURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return path + "?" + redacted
	}
	changed := false
	for k, vs := range vals {
		if secretish.MatchString(k) {
			for i := range vs {
				vs[i] = redacted
			}
			changed = true
			continue
		}
		if k == "command" {
			for i, c := range RedactCommand(vs) {
				if c != vs[i] {
					vs[i], changed = c, true
				}
			}
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + vals.Encode()
}

// RedactCommand masks credential values in a command line, given as the
// argument vector an exec request carries (one command= parameter each),
// in every shape people type them:
//
//	PGPASSWORD=x psql, --password=x, --token x, -H 'Authorization: Bearer x'
//	mysql -px, sshpass -p x, redis-cli -a x, curl -u user:x, smbclient -U user%x
//	https://user:x@host, {"password": "x"}
//
// An argument that is a shell script (sh -c '...', bash -lc "...") is
// split into words as the shell does and redacted the same way, keeping
// its quoting. Masking errs on the side of hiding too much.
func RedactCommand(args []string) []string {
	args = boundArgs(args)
	ws := make([]word, len(args))
	for i, a := range args {
		ws[i] = word{val: a}
	}
	mask := redactWords(ws, func(i int) bool { return i > 0 && isShell(args[:i]) })
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case mask[i].script:
			out[i] = redactScript(a)
		case mask[i].from >= 0:
			out[i] = a[:mask[i].from] + redacted
		default:
			out[i] = a
		}
	}
	return out
}

// maxCommand bounds the bytes of a command line that are examined and
// shown: an exec URI can be as long as the API server's header limit, and
// an alert needs only its start. The rest becomes one "…".
const maxCommand = 16 << 10

// boundArgs cuts a command line to maxCommand bytes (at a character
// boundary), marking the cut.
func boundArgs(args []string) []string {
	total := 0
	for i, a := range args {
		if total+len(a) <= maxCommand {
			total += len(a)
			continue
		}
		out := append([]string(nil), args[:i]...)
		if n := maxCommand - total; n > 0 {
			for n > 0 && !utf8.RuneStart(a[n]) {
				n--
			}
			out = append(out, a[:n]+"…")
		} else {
			out = append(out, "…")
		}
		return out
	}
	return args
}

// word is one word of a command line: its value (quotes and escapes
// removed) and, for words of a script, where each value byte came from in
// the script and where the word ends there.
type word struct {
	val string
	src []int // src[i] is the offset in the script of val[i]
	end int   // offset after the word's last byte (a closing quote included)
	op  bool  // a shell operator (; | & && || ( )): ends a simple command
}

// wordMask says what of a word to hide: from byte from of its value on
// (-1: nothing), or, for a script argument, redact it as a script.
type wordMask struct {
	from   int
	script bool
}

// redactWords decides, for each word, what to mask. scriptAt reports
// whether word i is a script given to a shell (-c).
func redactWords(ws []word, scriptAt func(i int) bool) []wordMask {
	mask := make([]wordMask, len(ws))
	for i := range mask {
		mask[i].from = -1
	}
	hide := func(i, from int) {
		if i < len(ws) && !ws[i].op && from < len(ws[i].val) && (mask[i].from < 0 || from < mask[i].from) {
			mask[i].from = from
		}
	}
	prog := ""
	start := true  // at the start of a simple command
	login := false // the command is a login (docker login, az login)
	for i := 0; i < len(ws); i++ {
		w := ws[i].val
		if ws[i].op {
			start, prog, login = true, "", false
			continue
		}
		if scriptAt != nil && scriptAt(i) {
			mask[i].script = true
			continue
		}
		// Free text in any word: headers, URLs with passwords, assignments,
		// JSON members.
		if at := textSecret(w); at >= 0 {
			hide(i, at)
		}
		if start {
			if isAssignment(w) || wrapper[path.Base(w)] {
				continue // NAME=value and sudo/env/exec run the next word
			}
			prog, start = path.Base(w), false
			continue
		}
		if !strings.HasPrefix(w, "-") || len(w) < 2 {
			login = login || w == "login"
			continue
		}
		if w[1] != '-' {
			// Short flags whose value is a password (or user:password),
			// attached (whatever it spells) or in the next word.
			switch f := shortFlag(prog, w[1], login); {
			case f == flagPassword && len(w) > 2:
				hide(i, 2) // mysql -pSECRET
				continue
			case f == flagPassword && !attachedOnly[prog]:
				hide(i+1, 0) // sshpass -p SECRET (mysql -p DB prompts)
				continue
			case f == flagUserPass && len(w) > 2:
				hide(i, userPassAt(w[2:], prog)+2)
				continue
			case f == flagUserPass:
				if i+1 < len(ws) {
					hide(i+1, userPassAt(ws[i+1].val, prog))
				}
				continue
			}
		}
		name, _, hasValue := strings.Cut(w, "=")
		if hasValue && secretish.MatchString(name) {
			hide(i, len(name)+1)
			continue
		}
		if secretish.MatchString(name) {
			hide(i+1, 0) // --token VALUE, -storepass VALUE
			continue
		}
		if strings.HasPrefix(w, "--user=") {
			hide(i, userPassAt(w[len("--user="):], prog)+len("--user="))
		} else if w == "--user" && i+1 < len(ws) {
			hide(i+1, userPassAt(ws[i+1].val, prog))
		}
	}
	return mask
}

type flagKind int

const (
	flagNone flagKind = iota
	flagPassword
	flagUserPass // USER:PASSWORD or USER%PASSWORD
)

// shortFlag says what a program's one-letter flag carries.
func shortFlag(prog string, f byte, login bool) flagKind {
	switch {
	case f == 'p' && (attachedOnly[prog] || prog == "sshpass" || strings.HasPrefix(prog, "mongo")):
		return flagPassword
	case f == 'p' && login && (prog == "docker" || prog == "podman" || prog == "nerdctl" || prog == "buildah" ||
		prog == "skopeo" || prog == "helm" || prog == "az" || prog == "oras" || prog == "crane"):
		return flagPassword // docker run -p is a port; docker login -p a password
	case f == 'P' && (prog == "zip" || prog == "unzip" || prog == "sqlcmd" || prog == "bcp"):
		return flagPassword
	case f == 'a' && (prog == "redis-cli" || prog == "valkey-cli" || prog == "keydb-cli"):
		return flagPassword
	case f == 'w' && strings.HasPrefix(prog, "ldap"):
		return flagPassword
	case f == 'k' && prog == "openssl":
		return flagPassword
	case f == 'u' && (prog == "curl" || prog == "wget"), f == 'U' && (prog == "smbclient" || prog == "rpcclient" || prog == "curl"):
		return flagUserPass
	}
	return flagNone
}

// attachedOnly take the password attached: mysql -pSECRET (while
// "mysql -p NAME" prompts for one and names a database), 7z -pSECRET.
var attachedOnly = map[string]bool{"mysql": true, "mysqldump": true, "mysqladmin": true, "mysqlimport": true, "mysqlshow": true,
	"mysqlcheck": true, "mysqlsh": true, "mariadb": true, "mariadb-dump": true, "mariadb-admin": true, "7z": true, "7za": true}

// userPassAt is where the password of USER:PASSWORD (USER%PASSWORD for
// Samba tools) begins, or len(s) when there is none.
func userPassAt(s, prog string) int {
	sep := ":"
	if prog == "smbclient" || prog == "rpcclient" {
		sep = "%"
	}
	if i := strings.Index(s, sep); i >= 0 {
		return i + 1
	}
	return len(s)
}

// wrapper programs run the rest of their command line as a command.
var wrapper = map[string]bool{"sudo": true, "env": true, "exec": true, "nohup": true, "time": true, "command": true,
	"xargs": true, "timeout": true, "nice": true}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	return ok && name != "" && !strings.HasPrefix(name, "-") && strings.IndexFunc(name, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
}

// isShell reports whether args (the words before a script) end in a shell
// given -c: sh -c, bash -lc, /bin/sh -ec.
func isShell(args []string) bool {
	if len(args) < 2 {
		return false
	}
	f := args[len(args)-1]
	if !strings.HasPrefix(f, "-") || strings.HasPrefix(f, "--") || !strings.Contains(f, "c") {
		return false
	}
	switch path.Base(args[len(args)-2]) {
	case "sh", "bash", "ash", "dash", "zsh", "ksh", "busybox":
		return true
	}
	return false
}

// textPatterns find a credential inside free text; the first submatch
// starts the value to hide (to the end of the word).
var textPatterns = []*regexp.Regexp{
	// HTTP headers: -H 'Authorization: Bearer x', --header=X-API-Key:x
	regexp.MustCompile(`(?i)(?:authorization|x-api-key|api-key|apikey|x-auth-token|x-access-token|private-token|x-vault-token|cookie|x-amz-security-token)\s*:\s*(\S)`),
	// Schemes written without a header name: "Bearer x", "Basic x"
	regexp.MustCompile(`(?i)\b(?:bearer|basic|token)\s+(\S)`),
	// URLs with a password: https://user:x@host
	regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@`),
	// Assignments: PGPASSWORD=x, -Dpassword=x, password=x in a query
	regexp.MustCompile(`(?i)[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth|pwd)[A-Za-z0-9_.-]*\s*=\s*(\S)`),
	// JSON or YAML members: {"password": "x"}, password: x
	regexp.MustCompile(`(?i)["']?[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|pwd)[A-Za-z0-9_.-]*["']?\s*:\s*(\S)`),
}

// textSecret is where the first credential value inside w begins, or -1.
func textSecret(w string) int {
	if !strings.ContainsAny(w, ":= \t") {
		return -1 // every pattern needs a separator; most words have none
	}
	at := -1
	for _, re := range textPatterns {
		if m := re.FindStringSubmatchIndex(w); m != nil && (at < 0 || m[2] < at) {
			at = m[2]
		}
	}
	return at
}

// redactScript redacts a shell script (the argument of sh -c) word by
// word, keeping its quoting and operators, and recursing into nested
// sh -c scripts.
func redactScript(s string) string {
	ws := splitShell(s)
	vals := make([]string, len(ws))
	for i := range ws {
		vals[i] = ws[i].val
	}
	mask := redactWords(ws, func(i int) bool { return i > 0 && !ws[i-1].op && isShell(vals[max(0, i-2):i]) })
	var b strings.Builder
	last := 0
	for i, w := range ws {
		switch {
		case mask[i].script && len(w.src) > 0:
			// Re-quote the redacted inner script as one single-quoted word.
			start := w.src[0]
			if start > 0 && (s[start-1] == '\'' || s[start-1] == '"') {
				start--
			}
			b.WriteString(s[last:start])
			b.WriteString(shellQuote(redactScript(w.val)))
			last = w.end
		case mask[i].from >= 0 && len(w.src) == len(w.val):
			from := w.src[mask[i].from]
			to := w.src[len(w.val)-1] + 1
			b.WriteString(s[last:from])
			b.WriteString(redacted)
			last = to
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// splitShell splits a script into words as a POSIX shell does (single and
// double quotes, backslash escapes, operators), recording where each value
// byte came from. Unterminated quotes run to the end.
func splitShell(s string) []word {
	var out []word
	var val []byte
	var src []int
	in := false // inside a word
	end := 0
	flush := func() {
		if in {
			out = append(out, word{val: string(val), src: src, end: end})
			val, src, in = nil, nil, false
		}
	}
	add := func(i int) {
		in = true
		val = append(val, s[i])
		src = append(src, i)
		end = i + 1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
		case c == '\'':
			in = true
			j := i + 1
			for ; j < len(s) && s[j] != '\''; j++ {
				add(j)
			}
			end, i = min(j+1, len(s)), j
		case c == '"':
			in = true
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("\"\\$`", s[j+1]) >= 0 {
					j++
				}
				add(j)
			}
			end, i = min(j+1, len(s)), j
		case c == '\\' && i+1 < len(s):
			i++
			add(i)
		case c == ';' || c == '|' || c == '&' || c == '(' || c == ')':
			flush()
			j := i + 1
			if j < len(s) && s[j] == c && (c == '|' || c == '&') {
				j++
			}
			out = append(out, word{val: s[i:j], op: true, end: j})
			i = j - 1
		default:
			add(i)
		}
	}
	flush()
	return out
}

// commandOf returns the exec command of a request URI, redacted, bounded.
func commandOf(uri string) string {
	_, query, ok := strings.Cut(uri, "?")
	if !ok {
		return ""
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return ""
	}
	cmd := strings.Join(RedactCommand(vals["command"]), " ")
	const max = 512
	if len(cmd) > max {
		n := max
		for n > 0 && !utf8.RuneStart(cmd[n]) {
			n--
		}
		cmd = cmd[:n] + "…"
	}
	return cmd
}

// queryParam returns one query parameter of a request URI.
func queryParam(uri, name string) string {
	_, query, ok := strings.Cut(uri, "?")
	if !ok {
		return ""
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return ""
	}
	return vals.Get(name)
}

// pathOf is the path of a request URI, without the query.
func pathOf(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	return p
}

// maxKeptPath bounds the non-resource paths the stateful rules remember.
// Any authenticated identity may request /api/* and /apis/* (the default
// system:discovery role), so a path is as long as the API server's 1 MiB
// header limit allows.
const maxKeptPath = 256

// keptPath is pathOf cut to maxKeptPath bytes (at a character boundary,
// marked with an ellipsis).
func keptPath(uri string) string {
	p := pathOf(uri)
	if len(p) <= maxKeptPath {
		return p
	}
	n := maxKeptPath
	for n > 0 && !utf8.RuneStart(p[n]) {
		n--
	}
	return p[:n] + "…"
}
