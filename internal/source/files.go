// Package source finds the manifests of a scan: files, directories, standard
// input, and units that need rendering (Helm charts, Kustomize overlays).
package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/manifest"
)

// Renderer turns a unit such as a Helm chart or a Kustomize overlay into
// manifests, in process and offline.
type Renderer interface {
	// Name is shown in messages ("helm", "kustomize").
	Name() string
	// Claims reports whether path is this renderer's input: a directory
	// holding Chart.yaml or kustomization.yaml, or a chart archive.
	Claims(path string, isDir bool) bool
	// Render returns the rendered manifests; display is the path to show.
	Render(path, display string) ([]manifest.Input, error)
}

// SkipError is returned by Render for a unit that has nothing to scan on its
// own (a Helm library chart, a Kustomize component); it is logged as skipped.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return e.Reason }

// Files walks paths and yields their manifests.
type Files struct {
	Log       *diag.Log
	Renderers []Renderer
	// MaxFileBytes skips larger files with a problem; 0 means 256 MiB.
	MaxFileBytes int64
	// Stdin is read for the path "-".
	Stdin io.Reader
	// RenderTimeout bounds one chart or overlay; 0 means two minutes.
	// Helm's template engine cannot be interrupted, so a hostile chart
	// (an endless range) is abandoned, reported, and the scan goes on.
	RenderTimeout time.Duration
}

const defaultMaxFile = 256 << 20

var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// skipDirs hold version-control data, never manifests.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

// Walk resolves each path (a file, a directory searched recursively, or "-"
// for standard input) and calls emit for each stream of manifests, in a
// stable order. Problems and skipped inputs go to the log.
func (f *Files) Walk(paths []string, emit func(manifest.Input)) {
	for _, p := range paths {
		if p == "-" {
			f.stdin(emit)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			f.Log.Errorf(display(p), 0, "cannot read: %v", unwrapPath(err))
			continue
		}
		w := walker{Files: f, emit: emit, visited: map[string]bool{}}
		if info.IsDir() {
			w.dir(p)
		} else {
			w.file(p, true)
		}
	}
}

func (f *Files) stdin(emit func(manifest.Input)) {
	if f.Stdin == nil {
		f.Log.Errorf("-", 0, "standard input is not available")
		return
	}
	limit := f.maxFile()
	data, err := io.ReadAll(io.LimitReader(f.Stdin, limit+1))
	if err != nil {
		f.Log.Errorf("-", 0, "cannot read standard input: %v", err)
		return
	}
	if int64(len(data)) > limit {
		f.Log.Errorf("-", 0, "standard input is larger than %d bytes; not scanned", limit)
		return
	}
	if isBinary(data) {
		f.Log.Skip("-", "binary data, not YAML or JSON")
		return
	}
	emit(manifest.Input{Name: "-", Data: data})
}

func (f *Files) maxFile() int64 {
	if f.MaxFileBytes > 0 {
		return f.MaxFileBytes
	}
	return defaultMaxFile
}

type walker struct {
	*Files
	emit    func(manifest.Input)
	visited map[string]bool // real paths of directories, against symlink loops
}

func (w *walker) renderer(path string, isDir bool) Renderer {
	for _, r := range w.Renderers {
		if r.Claims(path, isDir) {
			return r
		}
	}
	return nil
}

func (w *walker) render(r Renderer, path string) {
	type result struct {
		inputs []manifest.Input
		err    error
	}
	timeout := w.RenderTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	done := make(chan result, 1)
	go func() {
		in, err := r.Render(path, display(path))
		done <- result{in, err}
	}()
	var inputs []manifest.Input
	var err error
	select {
	case res := <-done:
		inputs, err = res.inputs, res.err
	case <-time.After(timeout):
		err = fmt.Errorf("rendering took longer than %s; abandoned", timeout)
	}
	var skip *SkipError
	if errors.As(err, &skip) {
		w.Log.Skip(display(path), r.Name()+": "+skip.Reason)
		return
	}
	if err != nil {
		w.Log.Errorf(display(path), 0, "%s: %v", r.Name(), err)
		return
	}
	for _, in := range inputs {
		w.emit(in)
	}
}

func (w *walker) dir(path string) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		w.Log.Errorf(display(path), 0, "cannot resolve: %v", unwrapPath(err))
		return
	}
	if w.visited[real] {
		w.Log.Skip(display(path), "directory already scanned (symlink loop or repeated path)")
		return
	}
	w.visited[real] = true
	if r := w.renderer(path, true); r != nil {
		w.render(r, path)
		return
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		w.Log.Errorf(display(path), 0, "cannot read directory: %v", unwrapPath(err))
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		child := filepath.Join(path, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			info, err := os.Stat(child)
			if err != nil {
				w.Log.Skip(display(child), "broken symbolic link")
				continue
			}
			typ = info.Mode().Type()
		}
		switch {
		case typ.IsDir():
			if skipDirs[e.Name()] {
				continue
			}
			w.dir(child)
		case typ.IsRegular():
			w.file(child, false)
		default:
			w.Log.Skip(display(child), "not a regular file")
		}
	}
}

// file reads one file. Files found in a directory must look like manifests
// by name; files named on the command line are always read.
func (w *walker) file(path string, named bool) {
	if r := w.renderer(path, false); r != nil {
		w.render(r, path)
		return
	}
	if !named && !manifestExt[strings.ToLower(filepath.Ext(path))] {
		w.Log.Skip(display(path), "not a .yaml, .yml or .json file")
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		w.Log.Errorf(display(path), 0, "cannot read: %v", unwrapPath(err))
		return
	}
	if info.Size() > w.maxFile() {
		w.Log.Errorf(display(path), 0, "file of %d bytes is larger than the limit of %d bytes; not scanned", info.Size(), w.maxFile())
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		w.Log.Errorf(display(path), 0, "cannot read: %v", unwrapPath(err))
		return
	}
	if isBinary(data) {
		w.Log.Skip(display(path), "binary file, not YAML or JSON")
		return
	}
	w.emit(manifest.Input{Name: display(path), Data: data, Reread: rereader(path)})
}

// rereader reads a document again by offset, for positions needed after the
// loader released it.
func rereader(path string) func(off, n int) ([]byte, error) {
	return func(off, n int) ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b := make([]byte, n)
		if _, err := f.ReadAt(b, int64(off)); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s again: %w", path, err)
		}
		return b, nil
	}
}

// isBinary looks for a NUL byte where text editors do: in the first 8 KiB.
func isBinary(data []byte) bool {
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	return bytes.IndexByte(head, 0) >= 0
}

// display shows a path relative to the working directory when it is below
// it, with forward slashes, as SARIF and people expect.
func display(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(path))
}

// Display is the path shown for a file argument; renderers use it too.
func Display(path string) string { return display(path) }

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
