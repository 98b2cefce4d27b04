package detect

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

const redacted = "REDACTED"

// secretish matches names of parameters, variables and flags that hold
// credentials.
var secretish = regexp.MustCompile(`(?i)(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)`)

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

// RedactCommand masks credential values in a command line: NAME=value when
// NAME looks secret, and the argument after a flag like --password.
func RedactCommand(args []string) []string {
	out := make([]string, len(args))
	maskNext := false
	for i, a := range args {
		switch {
		case maskNext:
			out[i], maskNext = redacted, false
		case strings.HasPrefix(a, "-") && secretish.MatchString(a):
			if name, _, ok := strings.Cut(a, "="); ok {
				out[i] = name + "=" + redacted
			} else {
				out[i], maskNext = a, true
			}
		default:
			out[i] = redactAssignments(a)
		}
	}
	return out
}

// assignment finds NAME=value words inside an argument (sh -c "X=1 y").
var assignment = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*)=(\S+)`)

func redactAssignments(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	return assignment.ReplaceAllStringFunc(s, func(m string) string {
		name, _, _ := strings.Cut(m, "=")
		if secretish.MatchString(name) {
			return name + "=" + redacted
		}
		return m
	})
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
		cmd = cmd[:max] + "…"
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
