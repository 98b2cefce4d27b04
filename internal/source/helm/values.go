package helm

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/policy/redact"
	"github.com/kubeward/kubeward/internal/source"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
)

// userValues merges the values given on the command line in Helm's order:
// values files, then --set-json, --set, --set-string, --set-file and
// --set-literal, each later one overriding the earlier ones. Unlike Helm it
// reads no URL and no standard input: a scan is offline and its standard
// input may hold manifests.
func userValues(o Options) (map[string]any, error) {
	base := map[string]any{}
	for _, name := range o.ValuesFiles {
		if err := localOnly("--values", name); err != nil {
			return nil, err
		}
		raw, err := source.ReadFile(name, o.maxValues())
		if err != nil {
			return nil, fmt.Errorf("--values %s: %w", name, err)
		}
		m, err := loader.LoadValues(bytes.NewReader(raw))
		if err != nil {
			return nil, valuesFileError(name, err)
		}
		base = loader.MergeMaps(base, m)
	}
	type setter struct {
		flag  string
		items []string
		parse func(string, map[string]any) error
	}
	readFile := func(rs []rune) (any, error) {
		name := string(rs)
		if err := localOnly("--set-file", name); err != nil {
			return nil, err
		}
		b, err := source.ReadFile(name, o.maxValues())
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	setters := []setter{
		{"--set-json", o.SetJSON, strvals.ParseJSON},
		{"--set", o.Set, strvals.ParseInto},
		{"--set-string", o.SetString, strvals.ParseIntoString},
		{"--set-file", o.SetFile, func(s string, m map[string]any) error { return strvals.ParseIntoFile(s, m, readFile) }},
		{"--set-literal", o.SetLiteral, strvals.ParseLiteralInto},
	}
	for _, s := range setters {
		for _, item := range s.items {
			if err := s.parse(item, base); err != nil {
				return nil, setError(s.flag, item, err)
			}
		}
	}
	return base, nil
}

func (o Options) maxValues() int64 {
	if o.MaxValuesBytes > 0 {
		return o.MaxValuesBytes
	}
	return DefaultMaxValuesBytes
}

// setError describes a bad --set without repeating its value, which may be a
// password: only the first key is shown. Errors about --set-file paths are
// kept whole since they name files, not secrets.
func setError(flag, item string, err error) error {
	if flag == "--set-file" {
		return fmt.Errorf("%s %s: %w", flag, item, err)
	}
	key, _, _ := strings.Cut(item, "=")
	if len(key) > 80 {
		key = key[:80] + "..."
	}
	return fmt.Errorf("%s %q: cannot be parsed (expected key=value[,key=value], with commas in values escaped as \\,); the value is not shown", flag, key+"=…")
}

// yamlProblem is a message of the YAML scanner or parser, which never
// quotes the document: "yaml: line 3: mapping values are not allowed in this
// context". The decoder's messages do ("cannot decode !!str `…` as a
// !!int", "invalid map key: map[…]") and have other shapes.
var (
	yamlProblem = regexp.MustCompile(`yaml: line [0-9]+: [a-z][a-z0-9 ,':\[\]{}-]*$`)
	yamlLine    = regexp.MustCompile(`\bline ([0-9]+)\b`)
)

// valuesFileError describes a values file that does not parse without
// repeating its content, which may be a password.
func valuesFileError(name string, err error) error {
	msg := err.Error()
	if m := yamlProblem.FindString(msg); m != "" {
		return fmt.Errorf("--values %s: %s", name, m)
	}
	where := ""
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		where = " at line " + m[1]
	}
	return fmt.Errorf("--values %s: not valid YAML%s (the parser's message is not shown: it may quote a value)", name, where)
}

// hiddenValues lists the string values the user gave (values files, --set
// flags, --set-file contents), longest first, for hide. Each is listed as
// is, line by line, and escaped as %q shows it. Values shorter than
// redact.MinLen are left: they would blank out ordinary words.
func hiddenValues(vals map[string]any) []string {
	seen := map[string]bool{}
	add := func(s string) {
		if len(strings.TrimSpace(s)) >= redact.MinLen {
			seen[s] = true
		}
	}
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		case string:
			add(t)
			q := strconv.Quote(t)
			add(q[1 : len(q)-1])
			if strings.Contains(t, "\n") {
				for l := range strings.SplitSeq(t, "\n") {
					add(strings.TrimSpace(l))
				}
			}
		}
	}
	walk(vals)
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) || len(out[i]) == len(out[j]) && out[i] < out[j] })
	return out
}

// hide removes the user's values from a render error: template functions
// quote their arguments (mustToDate, tpl, include, regexMatch), and so do
// Helm's own messages. A value that is part of a path in shown (the chart
// being reported) is left, since the report shows it anyway. err is
// returned as is when it quotes nothing, and so is kubeward's own
// SkipError.
func (r *Renderer) hide(err error, shown ...string) error {
	if _, ok := errors.AsType[*source.SkipError](err); ok {
		return err
	}
	msg := err.Error()
	for _, v := range r.hidden {
		if !slices.ContainsFunc(shown, func(s string) bool { return strings.Contains(s, v) }) {
			msg = strings.ReplaceAll(msg, v, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// localOnly refuses what Helm would fetch or read from standard input.
func localOnly(flag, name string) error {
	if strings.TrimSpace(name) == "-" {
		return fmt.Errorf("%s -: values from standard input are not supported; pass a file", flag)
	}
	if strings.Contains(name, "://") {
		return fmt.Errorf("%s %s: remote values are not fetched (kubeward renders offline); download the file and pass its path", flag, name)
	}
	return nil
}

// deepCopy copies the maps and lists of a values tree, so that each render
// starts from the user's values whatever Helm does to them.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	default:
		return v
	}
}
