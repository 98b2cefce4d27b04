package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/kustomize"
)

var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// skipDirs hold version-control data, never manifests.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

// walker resolves the paths of one Load on one goroutine and emits their
// streams in a stable order.
type walker struct {
	*Loader
	log     *diag.Log
	emit    func(manifest.Input)
	visited map[string]bool // real paths of directories, against symlink loops
	ignore  *ignorer
	// fatal stops the walk: a render that ran away still runs and must
	// not be joined by more work.
	fatal error
	// stdinEmpty is set when standard input held no byte at all.
	stdinEmpty bool
	// kustomizations caches, per absolute directory, its kustomization
	// and the patch files it lists (see patchOf).
	kustomizations map[string]kustomizationPatches
}

type kustomizationPatches struct {
	file    string
	patches []string
}

// path walks one argument: a file, a directory searched recursively, or
// "-" for standard input.
func (w *walker) path(p string) {
	if p == "-" {
		w.stream("-", w.opts.Stdin, nil)
		return
	}
	info, err := os.Stat(p)
	if err != nil {
		w.log.Errorf(source.Display(p), 0, "cannot read: %v", unwrapPath(err))
		return
	}
	w.ignore.enter(filepath.Dir(p))
	if reason := w.ignore.match(p, info.IsDir()); reason != "" {
		w.log.Skip(source.Display(p), reason)
		return
	}
	if info.IsDir() {
		w.dir(p)
		return
	}
	w.file(p, info, true)
}

// stream reads standard input or a pipe or character device named on the
// command line, under the same size limit as a file: such a source has no
// size to check beforehand (/dev/zero never ends).
func (w *walker) stream(name string, r io.Reader, named os.FileInfo) {
	if r == nil {
		w.log.Errorf(name, 0, "standard input is not available")
		return
	}
	limit := w.opts.Limits.maxFile()
	var buf bytes.Buffer
	// The head decides whether the stream is text at all before the rest
	// is read: a device of zeros is skipped after 8 KiB.
	if _, err := io.CopyN(&buf, r, binaryProbe); err != nil && !errors.Is(err, io.EOF) {
		w.log.Errorf(name, 0, "cannot read: %v", unwrapPath(err))
		return
	}
	if isBinary(buf.Bytes()) {
		w.log.Skip(name, "binary data, not YAML or JSON")
		return
	}
	if _, err := io.Copy(&buf, io.LimitReader(r, limit+1-int64(buf.Len()))); err != nil {
		w.log.Errorf(name, 0, "cannot read: %v", unwrapPath(err))
		return
	}
	if int64(buf.Len()) > limit {
		w.log.Errorf(name, 0, "%s is larger than the limit of %d bytes; not scanned", streamWhat(name), limit)
		return
	}
	if buf.Len() == 0 && named == nil {
		w.stdinEmpty = true
	}
	w.emit(manifest.Input{Name: name, Data: buf.Bytes()})
}

func streamWhat(name string) string {
	if name == "-" {
		return "standard input"
	}
	return "the stream"
}

func (w *walker) renderer(path string, isDir bool) source.Renderer {
	for _, r := range w.renderers {
		if r.Claims(path, isDir) {
			return r
		}
	}
	return nil
}

func (w *walker) dir(path string) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		w.log.Errorf(source.Display(path), 0, "cannot resolve: %v", unwrapPath(err))
		return
	}
	if w.visited[real] {
		w.log.Skip(source.Display(path), "directory already scanned (symlink loop or repeated path)")
		return
	}
	w.visited[real] = true
	if r := w.renderer(path, true); r != nil {
		w.render(r, path)
		return
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		w.log.Errorf(source.Display(path), 0, "cannot read directory: %v", unwrapPath(err))
		return
	}
	w.ignore.read(path)
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if w.fatal != nil {
			return
		}
		child := filepath.Join(path, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			info, err := os.Stat(child)
			if err != nil {
				w.log.Skip(source.Display(child), "broken symbolic link")
				continue
			}
			typ = info.Mode().Type()
		}
		if typ.IsDir() && skipDirs[e.Name()] {
			continue
		}
		if reason := w.ignore.match(child, typ.IsDir()); reason != "" {
			w.log.Skip(source.Display(child), reason)
			continue
		}
		switch {
		case typ.IsDir():
			w.dir(child)
		case typ.IsRegular():
			w.file(child, nil, false)
		default:
			w.log.Skip(source.Display(child), "not a regular file")
		}
	}
}

// file reads one file. Files found in a directory must look like manifests
// by name; files named on the command line are always read, and a pipe or
// character device named there is read as a stream (info is its Stat). A
// chart archive must be a regular file: Helm would wait on a pipe until
// the render deadline.
func (w *walker) file(path string, info os.FileInfo, named bool) {
	if r := w.renderer(path, false); r != nil {
		if info != nil && !info.Mode().IsRegular() {
			w.log.Errorf(source.Display(path), 0, "%s: a chart archive must be a regular file; not read", r.Name())
			return
		}
		w.render(r, path)
		return
	}
	if !named && !manifestExt[strings.ToLower(filepath.Ext(path))] {
		w.log.Skip(source.Display(path), "not a .yaml, .yml or .json file")
		return
	}
	if k := w.patchOf(path); k != "" {
		w.log.Skip(source.Display(path), "a Kustomize patch listed in "+source.Display(k)+", not an object; scan the overlay that applies it")
		return
	}
	if info == nil {
		var err error
		if info, err = os.Stat(path); err != nil {
			w.log.Errorf(source.Display(path), 0, "cannot read: %v", unwrapPath(err))
			return
		}
	}
	switch mode := info.Mode(); {
	case mode.IsRegular():
	case named && mode&(fs.ModeNamedPipe|fs.ModeCharDevice) != 0:
		f, err := os.Open(path)
		if err != nil {
			w.log.Errorf(source.Display(path), 0, "cannot read: %v", unwrapPath(err))
			return
		}
		defer f.Close()
		w.stream(source.Display(path), f, info)
		return
	default:
		w.log.Errorf(source.Display(path), 0, "not a regular file, pipe or character device; not read")
		return
	}
	limit := w.opts.Limits.maxFile()
	if info.Size() > limit {
		w.log.Errorf(source.Display(path), 0, "file of %d bytes is larger than the limit of %d bytes; not scanned", info.Size(), limit)
		return
	}
	data, err := source.ReadFile(path, limit)
	if err != nil {
		w.log.Errorf(source.Display(path), 0, "cannot read: %v", unwrapPath(err))
		return
	}
	if isBinary(data) {
		w.log.Skip(source.Display(path), "binary file, not YAML or JSON")
		return
	}
	w.emit(manifest.Input{Name: source.Display(path), Data: data, Reread: rereader(path)})
}

// patchOf names the kustomization of the file's directory or of one above
// it that lists the file as a patch, "" when none does. It matters when
// files are read as files: a directory with a kustomization is rendered,
// but the files named one by one (a pre-commit hook, git ls-files) or a
// patches/ directory named alone are not. A kustomization that cannot be
// read says nothing: the file is judged as it is.
func (w *walker) patchOf(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if w.kustomizations == nil {
		w.kustomizations = map[string]kustomizationPatches{}
	}
	for dir := filepath.Dir(abs); ; {
		k, ok := w.kustomizations[dir]
		if !ok {
			k.file, k.patches, _ = kustomize.PatchFiles(dir)
			w.kustomizations[dir] = k
		}
		if slices.Contains(k.patches, abs) {
			return k.file
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
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

// binaryProbe is how much of a file is searched for a NUL byte, as text
// editors do.
const binaryProbe = 8000

func isBinary(data []byte) bool {
	head := data
	if len(head) > binaryProbe {
		head = head[:binaryProbe]
	}
	return bytes.IndexByte(head, 0) >= 0
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
