package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
)

// krusty fetches http(s) URLs itself and runs `git` for repository URLs,
// whatever file system it is given. So, before building, every
// kustomization the build would read is checked for such references, and
// the build is refused with the first one found.

// scpUser matches the "user@" of an scp-style git URL (git@host:org/repo),
// as kustomize's repospec does.
var scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)

// isHTTP reports whether kustomize's loader would download s: any field
// naming a file is fetched when it is an http(s) URL.
func isHTTP(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// isRepo reports whether kustomize would clone s with git when it loads it
// as a directory (resources, components, generators, ...): an http(s),
// ssh or file URL, with or without go-getter's "git::" prefix, an
// scp-style address or a github.com path. It is a superset of kustomize's
// git.NewRepoSpecFromURL, so nothing it lets through is cloned.
func isRepo(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) >= 5 && strings.EqualFold(s[:5], "git::") {
		s = s[5:]
	}
	l := strings.ToLower(s)
	for _, p := range []string{"http://", "https://", "ssh://", "file://", "github.com/", "github.com:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return scpUser.MatchString(s)
}

// RemoteError names a remote reference that kubeward does not fetch.
type RemoteError struct {
	Kustomization string // path of the kustomization file, as displayed
	Field         string // e.g. "resources"
	Ref           string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s: %s refers to %q, which is remote: kubeward builds kustomizations offline and does not fetch URLs or clone repositories; vendor it locally and refer to the local copy",
		e.Kustomization, e.Field, e.Ref)
}

// readKustomization finds and parses the kustomization file of dir as
// kustomize does. It returns the file's name too.
func readKustomization(dir string) (*types.Kustomization, string, error) {
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.Mode().IsRegular() {
			found = append(found, name)
		}
	}
	switch len(found) {
	case 0:
		return nil, "", fmt.Errorf("no kustomization file (%s) in %s", strings.Join(konfig.RecognizedKustomizationFileNames(), ", "), dir)
	case 1:
	default:
		return nil, "", fmt.Errorf("more than one kustomization file in %s: %s", dir, strings.Join(found, ", "))
	}
	data, err := os.ReadFile(filepath.Join(dir, found[0]))
	if err != nil {
		return nil, "", err
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return nil, found[0], err
	}
	k.FixKustomization()
	return &k, found[0], nil
}

// checker walks the kustomizations reachable from a root through local
// paths, the way the build will.
type checker struct {
	root, display string
	seen          map[string]bool
}

func checkOffline(root, display string) error {
	c := &checker{root: root, display: display, seen: map[string]bool{}}
	return c.dir(root)
}

// show is the path of a file under the root as the user sees it.
func (c *checker) show(p string) string {
	rel, err := filepath.Rel(c.root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(filepath.Join(c.display, rel))
}

func (c *checker) dir(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil // the build reports it
	}
	if c.seen[real] {
		return nil
	}
	c.seen[real] = true
	k, name, err := readKustomization(dir)
	if err != nil {
		// A kustomization the build cannot parse fails it before
		// anything is fetched.
		return nil
	}
	file := c.show(filepath.Join(dir, name))
	if len(k.HelmCharts) > 0 || k.HelmGlobals != nil {
		return fmt.Errorf("%s: helmCharts are not inflated (kustomize would run the helm binary and may download charts); scan the chart itself with kubeward, or commit its rendered output", file)
	}
	type ref struct{ field, path string }
	var files []ref
	add := func(field string, paths ...string) {
		for _, p := range paths {
			files = append(files, ref{field, p})
		}
	}
	for _, p := range k.Patches {
		add("patches", p.Path)
	}
	for _, p := range k.PatchesJson6902 {
		add("patchesJson6902", p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		add("patchesStrategicMerge", string(p))
	}
	for _, r := range k.Replacements {
		add("replacements", r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		add("configMapGenerator", kvPaths(g.KvPairSources)...)
	}
	for _, g := range k.SecretGenerator {
		add("secretGenerator", kvPaths(g.KvPairSources)...)
	}
	add("crds", k.Crds...)
	add("configurations", k.Configurations...)
	add("openapi", k.OpenAPI["path"])
	// Files are read from disk unless they are http(s) URLs.
	for _, f := range files {
		if isHTTP(f.path) {
			return &RemoteError{Kustomization: file, Field: f.field, Ref: f.path}
		}
	}
	// Resources, generators, transformers and validators are loaded as a
	// file first, then as a directory or repository; components only as a
	// directory or repository. Inline configurations span lines.
	for _, list := range []struct {
		field   string
		refs    []string
		dirOnly bool
	}{
		{"resources", k.Resources, false},
		{"components", k.Components, true},
		{"generators", k.Generators, false},
		{"transformers", k.Transformers, false},
		{"validators", k.Validators, false},
	} {
		for _, r := range list.refs {
			if strings.Contains(r, "\n") {
				continue
			}
			p := r
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			info, statErr := os.Stat(p)
			isFile := statErr == nil && info.Mode().IsRegular()
			if isHTTP(r) || isRepo(r) && (list.dirOnly || !isFile) {
				return &RemoteError{Kustomization: file, Field: list.field, Ref: r}
			}
			if statErr == nil && info.IsDir() {
				if err := c.dir(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// kvPaths are the files a generator reads: "[key=]path" (both readings,
// since a URL may hold "=") and env files.
func kvPaths(s types.KvPairSources) []string {
	var out []string
	for _, f := range s.FileSources {
		out = append(out, f)
		if _, p, ok := strings.Cut(f, "="); ok {
			out = append(out, p)
		}
	}
	out = append(out, s.EnvSources...)
	if s.EnvSource != "" {
		out = append(out, s.EnvSource)
	}
	return out
}
