package helm

import (
	"bytes"
	"fmt"
	"os"
	"strings"

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
		raw, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--values %s: %w", name, err)
		}
		m, err := loader.LoadValues(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("--values %s: %w", name, err)
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
		b, err := os.ReadFile(name)
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
