// Package source holds what the inputs of a scan share: the Renderer
// interface that Helm charts and Kustomize overlays implement, and the
// readers of other sources (a live cluster, node files) in its
// subpackages. Files, directories and standard input are read by
// internal/loader, which every command uses.
package source

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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

// ReadFile reads a file of at most limit bytes. Its size is not trusted
// beforehand: a pipe or a device has none, and a file may grow. As
// os.ReadFile does, a regular file is read into a buffer of its size, not
// grown by doubling (a scan reads tens of megabytes).
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 512
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		size += int(min(info.Size(), limit))
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > limit {
			return nil, fmt.Errorf("%s is larger than the limit of %d bytes", path, limit)
		}
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Display shows a path relative to the working directory when it is below
// it, with forward slashes, as SARIF and people expect.
func Display(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(path))
}
