package nodeconfig

import (
	"fmt"
	"strings"
)

// The kubelet is a systemd service: its command line is the unit's
// ExecStart with $VAR and ${VAR} expanded from Environment= and
// EnvironmentFile= (kubeadm: /usr/lib/systemd/system/kubelet.service,
// the drop-in kubelet.service.d/10-kubeadm.conf, and the environment files
// /var/lib/kubelet/kubeadm-flags.env and /etc/default/kubelet). The rules
// follow systemd.service(5), systemd.exec(5) and systemd.syntax(7).

// Setting is a value with where it was written.
type Setting struct {
	Value string
	File  string
	Line  int
}

func (s Setting) origin() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// EnvFileRef is an EnvironmentFile= entry.
type EnvFileRef struct {
	Path     string
	Optional bool // "-" prefix: a missing file is ignored
	At       Setting
}

// Unit accumulates the [Service] settings of a unit and its drop-ins, read
// in order (the unit, then drop-ins by name).
type Unit struct {
	Environment      []Setting // NAME=VALUE assignments, in order
	EnvironmentFiles []EnvFileRef
	ExecStart        *Setting // the command line in force (an empty ExecStart= resets it)
}

// Parse adds a unit file's [Service] settings.
func (u *Unit) Parse(file string, data []byte) {
	section := ""
	for _, l := range logicalLines(string(data), " ") {
		line := strings.TrimSpace(l.text)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			section = strings.Trim(line, "[]")
			continue
		}
		if section != "Service" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		at := Setting{Value: value, File: file, Line: l.line}
		switch key {
		case "Environment":
			if value == "" {
				u.Environment = nil
				continue
			}
			for _, w := range splitWords(value) {
				if _, _, ok := strings.Cut(w, "="); ok {
					u.Environment = append(u.Environment, Setting{Value: w, File: file, Line: l.line})
				}
			}
		case "EnvironmentFile":
			if value == "" {
				u.EnvironmentFiles = nil
				continue
			}
			ref := EnvFileRef{Path: value, At: at}
			if strings.HasPrefix(value, "-") {
				ref.Path, ref.Optional = strings.TrimSpace(value[1:]), true
			}
			u.EnvironmentFiles = append(u.EnvironmentFiles, ref)
		case "ExecStart":
			if value == "" {
				u.ExecStart = nil
				continue
			}
			u.ExecStart = &at
		}
	}
}

type logicalLine struct {
	text string
	line int // first physical line, 1-based
}

// logicalLines joins lines ending in a backslash, as systemd does: in unit
// files the backslash and newline become a space (join " "), in
// environment files they are dropped (join "").
func logicalLines(s, join string) []logicalLine {
	var out []logicalLine
	var cur strings.Builder
	start := 0
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if cur.Len() == 0 {
			start = i + 1
			if t := strings.TrimSpace(l); t != "" && (t[0] == '#' || t[0] == ';') {
				out = append(out, logicalLine{l, start})
				continue
			}
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\"))
			cur.WriteString(join)
			continue
		}
		cur.WriteString(l)
		out = append(out, logicalLine{cur.String(), start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, logicalLine{cur.String(), start})
	}
	return out
}

// splitWords splits a systemd value into words: whitespace separates,
// single and double quotes group, and a backslash escapes the next
// character (C escapes \n \t are kept as the letter; kubelet flags do not
// use them).
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote, inWord = c, true
		case c == '\\' && i+1 < len(s) && quote != '\'':
			i++
			cur.WriteByte(s[i])
			inWord = true
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// ParseEnvFile reads a systemd EnvironmentFile: KEY=VALUE lines, comments
// starting with # or ;, values in single or double quotes, backslash line
// continuations. It returns the assignments in order.
func ParseEnvFile(file string, data []byte) []Setting {
	var out []Setting
	for _, l := range logicalLines(string(data), "") {
		line := strings.TrimSpace(l.text)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			continue
		}
		value = strings.TrimSpace(value)
		if n := len(value); n >= 2 && (value[0] == '"' && value[n-1] == '"' || value[0] == '\'' && value[n-1] == '\'') {
			q := value[0]
			value = value[1 : n-1]
			if q == '"' {
				value = unescapeDouble(value)
			}
		}
		out = append(out, Setting{Value: key + "=" + value, File: file, Line: l.line})
	}
	return out
}

func unescapeDouble(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Expand turns the unit's ExecStart into the program's arguments (without
// the program), with the environment given: Environment= assignments, then
// each environment file's, in order (files override Environment=).
// "$NAME" as a whole word becomes the value split at whitespace; "${NAME}"
// becomes the value as part of one word; "$$" is a dollar sign.
func (u *Unit) Expand(envFiles [][]Setting) (program string, args []Arg, line int, ok bool) {
	if u.ExecStart == nil {
		return "", nil, 0, false
	}
	env := map[string]Setting{}
	for _, a := range u.Environment {
		k, _, _ := strings.Cut(a.Value, "=")
		env[k] = a
	}
	for _, f := range envFiles {
		for _, a := range f {
			k, _, _ := strings.Cut(a.Value, "=")
			env[k] = a
		}
	}
	value := strings.TrimLeft(u.ExecStart.Value, "@-:+!")
	words := splitWords(value)
	if len(words) == 0 {
		return "", nil, 0, false
	}
	for i, w := range words {
		if name, whole := wholeVar(w); whole {
			s, ok := env[name]
			if !ok {
				continue
			}
			_, v, _ := strings.Cut(s.Value, "=")
			for _, part := range strings.Fields(v) {
				if i > 0 {
					args = append(args, Arg{Value: part, Origin: s.origin()})
				}
			}
			continue
		}
		expanded, from := expandBraced(w, env)
		if i == 0 {
			program = expanded
			continue
		}
		origin := u.ExecStart.origin()
		if from != nil {
			origin = from.origin()
		}
		args = append(args, Arg{Value: expanded, Origin: origin})
	}
	return program, args, u.ExecStart.Line, true
}

// wholeVar reports whether a word is exactly "$NAME".
func wholeVar(w string) (string, bool) {
	if len(w) < 2 || w[0] != '$' || w[1] == '{' || w[1] == '$' {
		return "", false
	}
	for _, r := range w[1:] {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return "", false
		}
	}
	return w[1:], true
}

// expandBraced replaces ${NAME} and $$ in a word; from is the last variable
// used, for the argument's origin.
func expandBraced(w string, env map[string]Setting) (string, *Setting) {
	if !strings.Contains(w, "$") {
		return w, nil
	}
	var b strings.Builder
	var from *Setting
	for i := 0; i < len(w); i++ {
		if w[i] != '$' || i+1 >= len(w) {
			b.WriteByte(w[i])
			continue
		}
		switch w[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(w[i+2:], '}')
			if end < 0 {
				b.WriteString(w[i:])
				return b.String(), from
			}
			if s, ok := env[w[i+2:i+2+end]]; ok {
				_, v, _ := strings.Cut(s.Value, "=")
				b.WriteString(v)
				s := s
				from = &s
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String(), from
}
