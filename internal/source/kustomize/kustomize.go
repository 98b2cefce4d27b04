// Package kustomize builds Kustomize overlays in process and offline, as
// `kustomize build` would, and names the file each object came from.
package kustomize

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/source"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Renderer builds directories holding a kustomization file. Remote bases
// and resources, Helm chart inflation and plugins other than the built-in
// ones are refused, so a build never reaches the network or runs a
// program.
type Renderer struct {
	// MaxFileBytes bounds each file a build reads (a resource, a patch, a
	// generator's input); 0 means 256 MiB. A pipe or device named as a
	// resource would otherwise be read for ever.
	MaxFileBytes int64
}

var _ source.Renderer = (*Renderer)(nil)

// New returns the Kustomize renderer.
func New() *Renderer { return &Renderer{} }

// Name implements source.Renderer.
func (*Renderer) Name() string { return "kustomize" }

// Claims implements source.Renderer: a directory holding
// kustomization.yaml, kustomization.yml or Kustomization.
func (*Renderer) Claims(p string, isDir bool) bool {
	if !isDir {
		return false
	}
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if info, err := os.Stat(filepath.Join(p, name)); err == nil && info.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// build serialises builds: kyaml keeps the OpenAPI schema of a build in
// package state (openapi.SetSchema, from the kustomization's openapi
// field), so a concurrent build with another schema would change it under
// this one.
var build sync.Mutex

const originKey = "config.kubernetes.io/origin"

// Render implements source.Renderer. It returns one input per object, in
// the order of `kustomize build`, named after the file the object was
// written in (a resource file, or for a generated object the kustomization
// that generated it; the overlay when kustomize does not say), relative to
// the working directory like display. Its positions count in that file, or
// in the patch that set a field (see originLocator).
func (r *Renderer) Render(p, display string) (out []manifest.Input, err error) {
	defer func() {
		if x := recover(); x != nil {
			out, err = nil, fmt.Errorf("build failed: %v", x)
		}
	}()
	root, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	k, name, err := readKustomization(root)
	if err != nil {
		return nil, err
	}
	if k.Kind == types.ComponentKind {
		return nil, &source.SkipError{Reason: "Kustomize component: built as part of the overlays that use it"}
	}
	if err := checkOffline(root, display); err != nil {
		return nil, err
	}
	fs, err := newOriginFS(root, name, r.maxFile())
	if err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // sortOptions, else legacy order, as the CLI
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig() // built-in plugins only; no helm, exec or containers

	build.Lock()
	m, err := krusty.MakeKustomizer(opts).Run(fs, root)
	build.Unlock()
	if err != nil {
		return nil, redact(err)
	}

	files := newYAMLFiles(r.maxFile())
	for _, res := range m.Resources() {
		loc, err := locator(files, root, display, res)
		if err != nil {
			return nil, fmt.Errorf("origin of %s: %w", res.CurId(), err)
		}
		if slices.Contains(fs.added, types.OriginAnnotations) {
			err = res.SetOrigin(nil)
		}
		if err == nil && slices.Contains(fs.added, types.TransformerAnnotations) {
			err = res.ClearTransformations()
		}
		if err != nil {
			return nil, fmt.Errorf("origin of %s: %w", res.CurId(), err)
		}
		if loc.built, err = res.AsYAML(); err != nil {
			return nil, fmt.Errorf("%s: %w", res.CurId(), err)
		}
		in := manifest.Input{Name: display, Data: loc.built, Origin: loc}
		if loc.resource.node != nil {
			in.Name, in.LineOffset = loc.resource.file, loc.resource.node.Line-1
		}
		out = append(out, in)
	}
	return out, nil
}

// locator finds where a built object was written: its resource's document
// (or generator entry) and the patches applied to it.
func locator(files *yamlFiles, root, display string, res *resource.Resource) (*originLocator, error) {
	loc := &originLocator{files: files, resource: place{file: display}}
	origin, err := res.GetOrigin()
	if err != nil || origin == nil || origin.Repo != "" {
		return loc, err
	}
	id := identityOf(res)
	if origin.ConfiguredIn != "" {
		if k, ok := readKustomizationFile(files, filepath.Join(root, origin.ConfiguredIn)); ok {
			loc.resource = place{file: source.Display(k.abs), node: k.generatorEntry(id)}
		}
	} else if origin.Path != "" {
		abs := filepath.Join(root, origin.Path)
		loc.resource.file = source.Display(abs)
		if docs, err := files.documents(abs); err == nil {
			loc.resource.node = findDocument(docs, id)
		}
	}
	steps, err := res.GetTransformations()
	if err != nil {
		return loc, err
	}
	var seen []string
	for _, st := range steps {
		if !strings.HasPrefix(st.ConfiguredBy.Kind, "Patch") || st.ConfiguredIn == "" || st.Repo != "" || slices.Contains(seen, st.ConfiguredIn) {
			continue
		}
		seen = append(seen, st.ConfiguredIn)
		if k, ok := readKustomizationFile(files, filepath.Join(root, st.ConfiguredIn)); ok {
			loc.patches = append(loc.patches, k.patches(files, id)...)
		}
	}
	return loc, nil
}

// leaks are kustomize messages that quote generator input, which may be a
// secret (sigs.k8s.io/kustomize/api/kv).
var leaks = []struct {
	re   *regexp.Regexp
	repl string
}{
	// kv.go wraps the error in the list of all literals: greedy, so
	// that nothing of the list is left.
	{regexp.MustCompile(`(?s)literal sources \[.*\]: `), "literal sources (not shown): "},
	{regexp.MustCompile(`(?s)invalid literal source .*, expected key=value`), "invalid literal source (not shown), expected key=value"},
	{regexp.MustCompile(`line \[[0-9 ]*\] has invalid utf8 bytes : .*`), "a line of an env file is not valid UTF-8 (not shown)"},
	// kyaml ends "wrong node kind" with the node, e.g. a patch's value
	// for a Secret's data (sigs.k8s.io/kustomize/kyaml/yaml/fns.go).
	{regexp.MustCompile(`(?s): node contents:\n.*`), ": node contents (not shown)"},
}

// redact removes generator input from a build error.
func redact(err error) error {
	msg := err.Error()
	for _, l := range leaks {
		msg = l.re.ReplaceAllString(msg, l.repl)
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// originFS is the disk, read-only, with the root kustomization asking for
// origin and transformer annotations (buildMetadata: [originAnnotations,
// transformerAnnotations]), which tell where each object came from and
// which kustomizations changed it.
type originFS struct {
	filesys.FileSystem
	maxFile  int64
	kustFile string // real path of the root kustomization file
	patched  []byte
	added    []string // the build metadata added here, removed after
}

func newOriginFS(root, name string, maxFile int64) (*originFS, error) {
	real, err := filepath.EvalSymlinks(filepath.Join(root, name))
	if err != nil {
		return nil, err
	}
	fs := &originFS{FileSystem: filesys.MakeFsOnDisk(), kustFile: real, maxFile: maxFile}
	data, err := source.ReadFile(real, maxFile)
	if err != nil {
		return nil, err
	}
	fs.patched, fs.added = withBuildAnnotations(data)
	return fs, nil
}

// buildAnnotations are the build metadata the locator needs: each
// object's origin, and the transformers that changed it.
var buildAnnotations = []any{types.OriginAnnotations, types.TransformerAnnotations}

// withBuildAnnotations adds buildAnnotations to buildMetadata, and returns
// those it added (to be removed from the output). It adds nothing, and
// changes nothing, when they are all already asked for or when the file
// does not parse (the build then reports it).
func withBuildAnnotations(data []byte) ([]byte, []string) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil || doc == nil {
		return data, nil
	}
	var opts []any
	switch bm := doc["buildMetadata"].(type) {
	case nil:
	case []any:
		opts = bm
	default:
		return data, nil
	}
	var added []string
	for _, a := range buildAnnotations {
		if !slices.Contains(opts, a) {
			opts = append(opts, a)
			added = append(added, a.(string))
		}
	}
	if len(added) == 0 {
		return data, nil
	}
	doc["buildMetadata"] = opts
	out, err := yaml.Marshal(doc)
	if err != nil {
		return data, nil
	}
	return out, added
}

func (f *originFS) ReadFile(p string) ([]byte, error) {
	if len(f.added) > 0 && filepath.Base(p) == filepath.Base(f.kustFile) {
		if real, err := filepath.EvalSymlinks(p); err == nil && real == f.kustFile {
			return slices.Clone(f.patched), nil
		}
	}
	return source.ReadFile(p, f.maxFile)
}

func (r *Renderer) maxFile() int64 {
	if r.MaxFileBytes > 0 {
		return r.MaxFileBytes
	}
	return 256 << 20
}

var errReadOnly = errors.New("kubeward builds kustomizations without writing files")

func (f *originFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (f *originFS) Mkdir(string) error                  { return errReadOnly }
func (f *originFS) MkdirAll(string) error               { return errReadOnly }
func (f *originFS) RemoveAll(string) error              { return errReadOnly }
func (f *originFS) WriteFile(string, []byte) error      { return errReadOnly }
