package componentflags

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Invocation is a component's arguments found in a container's command
// line, with the index of the argv element each argument came from.
type Invocation struct {
	Args []string
	// From maps Args[i] to the argv element that holds it: the element
	// itself, or the shell script it was split from.
	From []int
	// Shell is true when the arguments were split from a "sh -c" script.
	Shell bool
}

var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "busybox": false}

// Find looks for the component's binary in argv (a container's command
// followed by its args): as the program itself, after a wrapper such as
// tini, dumb-init or go-runner, or inside a "sh -c" script.
func Find(binary string, argv []string) (Invocation, bool) {
	for i, a := range argv {
		if path.Base(a) == binary {
			inv := Invocation{Args: argv[i+1:], From: make([]int, len(argv)-i-1)}
			for j := range inv.From {
				inv.From[j] = i + 1 + j
			}
			return inv, true
		}
		if i == 0 && shells[path.Base(a)] {
			if inv, ok := findInShell(binary, argv); ok {
				return inv, true
			}
		}
	}
	return Invocation{}, false
}

// findInShell reads "sh [-opts] -c SCRIPT".
func findInShell(binary string, argv []string) (Invocation, bool) {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") {
			return Invocation{}, false
		}
		if strings.Contains(a, "c") && i+1 < len(argv) {
			for _, cmd := range SplitShell(argv[i+1]) {
				words := cmd
				for len(words) > 0 && (words[0] == "exec" || isAssignment(words[0])) {
					words = words[1:]
				}
				if len(words) == 0 || path.Base(words[0]) != binary {
					continue
				}
				inv := Invocation{Args: words[1:], From: make([]int, len(words)-1), Shell: true}
				for j := range inv.From {
					inv.From[j] = i + 1
				}
				return inv, true
			}
			return Invocation{}, false
		}
	}
	return Invocation{}, false
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// SplitShell splits a POSIX shell script into simple commands and their
// words, with the quoting rules of sh: single quotes, double quotes (where
// a backslash escapes $ ` " \ and newline), backslashes, comments, and the
// separators ; & | && || and newline. Expansions ($VAR, $(...)) are kept as
// written. It is a reader for command lines, not a shell: it never fails,
// and an unterminated quote ends at the end of the script.
func SplitShell(script string) [][]string {
	var (
		cmds  [][]string
		words []string
		cur   strings.Builder
		inTok bool
	)
	endWord := func() {
		if inTok {
			words = append(words, cur.String())
			cur.Reset()
			inTok = false
		}
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
			words = nil
		}
	}
	s := script
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) {
				if s[i+1] != '\n' { // backslash-newline continues the line
					cur.WriteByte(s[i+1])
					inTok = true
				}
				i++
			}
		case c == '\'':
			inTok = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				cur.WriteString(s[i+1:])
				i = len(s)
			} else {
				cur.WriteString(s[i+1 : i+1+end])
				i += end + 1
			}
		case c == '"':
			inTok = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					if s[i+1] != '\n' {
						cur.WriteByte(s[i+1])
					}
					i++
					continue
				}
				cur.WriteByte(s[i])
			}
		case c == '#' && !inTok:
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				i = len(s)
			} else {
				i += nl - 1
			}
		case c == ';' || c == '&' || c == '|' || c == '\n':
			endCmd()
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	endCmd()
	return cmds
}

// ExpandVars expands $(NAME) references in a container's command or args
// from the container's environment, following the kubelet's algorithm
// (k/k third_party/forked/golang/expansion/expand.go): "$$" is a literal
// "$", and a reference to a variable that is not defined, or that is not
// closed, stays as written.
func ExpandVars(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	checkpoint := 0
	for cur := 0; cur < len(s); cur++ {
		if s[cur] != '$' || cur+1 >= len(s) {
			continue
		}
		b.WriteString(s[checkpoint:cur])
		rest := s[cur+1:]
		r, size := utf8.DecodeRuneInString(rest)
		advance := size
		switch r {
		case '$':
			b.WriteByte('$')
		case '(':
			if end := strings.IndexByte(rest[1:], ')'); end >= 0 {
				name := rest[1 : 1+end]
				if v, ok := env[name]; ok {
					b.WriteString(v)
				} else {
					b.WriteString("$(" + name + ")")
				}
				advance = end + 2
			} else {
				b.WriteString("$(")
				advance = 1
			}
		default:
			b.WriteString("$" + rest[:size])
		}
		cur += advance
		checkpoint = cur + 1
	}
	return b.String() + s[checkpoint:]
}
