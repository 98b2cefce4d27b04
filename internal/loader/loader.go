// Package loader is how every command reads manifests: files, directories,
// standard input, pipes, Helm charts and Kustomize overlays (rendered
// offline with the renderer options), decoded into objects with the limits
// that bound hostile input, the exclusions of the configuration and of
// .kubewardignore files, and every problem reported where it is. A command
// never builds its own reader.
package loader

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/helm"
	"github.com/kubeward/kubeward/internal/source/kustomize"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Options configure a loader. The zero value reads files and standard
// input with the default limits and renders charts as `helm template` does
// without flags (but in the release namespace helm.DefaultNamespace).
type Options struct {
	// Helm are the values, release and capabilities charts render with.
	Helm helm.Options
	// Stdin is read for the path "-" (and never for values).
	Stdin  io.Reader
	Limits Limits
	// IgnoreRoot is the directory that Exclude and its .kubewardignore
	// apply from (the configuration file's directory, or the repository
	// root); "" means no exclusion but the .kubewardignore files inside the
	// directories walked.
	IgnoreRoot string
	// Exclude are gitignore patterns relative to ExcludeBase, from
	// ExcludeOrigin (the configuration file and its directory).
	Exclude       []string
	ExcludeBase   string
	ExcludeOrigin string
	// Workers decode documents in parallel; 0 means GOMAXPROCS.
	Workers int
	// OlderTarget says that the Kubernetes release judged for is older than
	// kubeward's libraries (see manifest.Decoder.OlderTarget).
	OlderTarget bool
}

// Limits bound what one input may cost. Zero fields take the defaults.
type Limits struct {
	// MaxFileBytes bounds a file, standard input, a pipe or a device
	// (256 MiB).
	MaxFileBytes int64
	// RenderTimeout bounds one chart or overlay (30 s). Past it the run
	// stops: Helm's engine cannot be interrupted.
	RenderTimeout time.Duration
	// MaxRenderMemory bounds the heap a chart or overlay may take while it
	// renders (1 GiB). Past it the run stops.
	MaxRenderMemory int64
	// MaxRenderBytes and MaxRenderDocuments bound the output of one chart
	// or overlay (64 MiB, 20,000 documents); a larger output is reported
	// and not scanned.
	MaxRenderBytes     int64
	MaxRenderDocuments int
	// Manifest bounds each document.
	Manifest manifest.Limits
}

// Default limits. A real chart renders in well under a second to a few
// hundred documents and a few MiB; the API server refuses objects over
// 3 MiB.
const (
	DefaultMaxFileBytes       = 256 << 20
	DefaultRenderTimeout      = 30 * time.Second
	DefaultMaxRenderMemory    = 1 << 30
	DefaultMaxRenderBytes     = 64 << 20
	DefaultMaxRenderDocuments = 20000
)

func (l Limits) maxFile() int64 { return orDefault(l.MaxFileBytes, DefaultMaxFileBytes) }
func (l Limits) renderTimeout() time.Duration {
	return orDefault(l.RenderTimeout, DefaultRenderTimeout)
}
func (l Limits) maxRenderMemory() int64 { return orDefault(l.MaxRenderMemory, DefaultMaxRenderMemory) }
func (l Limits) maxRenderBytes() int64  { return orDefault(l.MaxRenderBytes, DefaultMaxRenderBytes) }
func (l Limits) maxRenderDocuments() int {
	return orDefault(l.MaxRenderDocuments, DefaultMaxRenderDocuments)
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Loader reads inputs; it may serve several loads, one at a time.
type Loader struct {
	opts      Options
	renderers []source.Renderer
}

// New prepares the renderers (reading the values files and parsing the
// --set flags once); its error is the user's (a bad flag or values file).
func New(opts Options) (*Loader, error) {
	// Helm checks the size before it splits the output, which copies it.
	opts.Helm.MaxOutputBytes = opts.Limits.maxRenderBytes()
	h, err := helm.New(opts.Helm)
	if err != nil {
		return nil, err
	}
	// Helm first: it wins for a directory holding both a Chart.yaml and a
	// kustomization.
	k := kustomize.New()
	k.MaxFileBytes = opts.Limits.maxFile()
	return &Loader{opts: opts, renderers: []source.Renderer{h, k}}, nil
}

// Default is the loader of the zero Options, which cannot fail to build.
func Default() *Loader {
	l, err := New(Options{})
	if err != nil {
		panic("loader with no options: " + err.Error())
	}
	return l
}

// Workers is the number of goroutines visit may be called on.
func (l *Loader) Workers() int {
	if l.opts.Workers > 0 {
		return l.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// PathError is a path named on the command line that cannot be read at
// all; nothing is read when one is named.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *PathError) Unwrap() error { return e.Err }

// NothingError says that the input holds nothing to judge: no Kubernetes
// object at all. A gate must not pass on it.
type NothingError struct {
	// Why, per path named.
	Why []string
}

func (e *NothingError) Error() string {
	return "nothing to check: " + strings.Join(e.Why, "; ")
}

// Check refuses, before anything is read, paths that do not exist and
// standard input named twice.
func Check(paths []string) error {
	stdin := 0
	for _, p := range paths {
		if p == "-" {
			if stdin++; stdin > 1 {
				return &PathError{Path: "-", Err: errors.New("standard input is named more than once")}
			}
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return &PathError{Path: p, Err: unwrapPath(err)}
		}
	}
	return nil
}

// Load reads paths (files, directories searched recursively for *.yaml,
// *.yml and *.json, charts, overlays, and "-" for standard input) and
// decodes their objects: in full for the kinds reads accepts (nil: all),
// by their metadata otherwise. visit is called on worker w (below
// Workers()) for each object while its parse tree is in memory, so its
// positions are cheap and per-worker state needs no lock. Problems and
// skipped inputs go to log; a path that yields no object is an error
// there.
//
// It returns the number of objects, and an error when the load cannot be
// judged at all: a *PathError (before anything is read), a *NothingError
// (no object and no input error to say why), or a *RunawayError (a render
// that must stop the process).
func (l *Loader) Load(paths []string, reads func(schema.GroupKind) bool, log *diag.Log, visit func(w int, o *inventory.Object)) (int, error) {
	if err := Check(paths); err != nil {
		return 0, err
	}
	workers := l.Workers()
	type item struct {
		in  manifest.Input
		arg int
	}
	counts := make([]atomic.Int64, len(paths))
	items := make(chan item, workers)
	w := &walker{Loader: l, log: log, visited: map[string]bool{}}
	w.ignore = newIgnorer(l.opts.IgnoreRoot, l.opts.Exclude, l.opts.ExcludeBase, l.opts.ExcludeOrigin, func(path, msg string) {
		log.Problem(diag.Problem{Level: diag.Warning, File: path, Message: msg})
	})
	stdinEmpty := false
	go func() {
		defer close(items)
		for i, p := range paths {
			w.emit = func(in manifest.Input) { items <- item{in, i} }
			w.path(p)
			if p == "-" {
				stdinEmpty = w.stdinEmpty
			}
			if w.fatal != nil {
				return
			}
		}
	}()
	dec := &manifest.Decoder{Reads: reads, Limits: l.opts.Limits.Manifest, Log: log, OlderTarget: l.opts.OlderTarget}
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				n := dec.Decode(it.in, func(o *inventory.Object) { visit(wk, o) })
				counts[it.arg].Add(int64(n))
			}
		}()
	}
	wg.Wait()
	if w.fatal != nil {
		return 0, w.fatal
	}
	total := 0
	var empty []int
	for i := range paths {
		n := int(counts[i].Load())
		if total += n; n == 0 {
			empty = append(empty, i)
		}
	}
	why := make([]string, 0, len(empty))
	for _, i := range empty {
		switch {
		case paths[i] == "-" && stdinEmpty:
			why = append(why, "standard input is empty")
		case paths[i] == "-":
			why = append(why, "no Kubernetes object in standard input")
		default:
			why = append(why, "no Kubernetes object in "+source.Display(paths[i]))
		}
	}
	if total == 0 && log.Errors() == 0 {
		return 0, &NothingError{Why: why}
	}
	// A path with no object is an error, unless its errors already say why.
	problems := log.Problems()
	for j, i := range empty {
		file := source.Display(paths[i])
		if !slices.ContainsFunc(problems, func(p diag.Problem) bool {
			return p.Level == diag.Error && (p.File == file || strings.HasPrefix(p.File, file+"/"))
		}) {
			log.Problem(diag.Problem{Level: diag.Error, File: file, Message: why[j] + " (see the skipped inputs)"})
		}
	}
	return total, nil
}
