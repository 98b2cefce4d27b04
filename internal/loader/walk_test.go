package loader

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cm(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

// load runs a load and returns the objects' "file name" pairs, sorted.
func load(t *testing.T, l *Loader, paths ...string) ([]string, *diag.Log, error) {
	t.Helper()
	log := &diag.Log{}
	var mu sync.Mutex
	var got []string
	_, err := l.Load(paths, nil, log, func(_ int, o *inventory.Object) {
		mu.Lock()
		got = append(got, o.Source.File+" "+o.Name)
		mu.Unlock()
	})
	sort.Strings(got)
	return got, log, err
}

func rel(dir string, paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = strings.TrimPrefix(p, filepath.ToSlash(dir)+"/")
	}
	return strings.Join(out, ",")
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.yaml"), cm("b"))
	write(t, filepath.Join(dir, "a", "c.yml"), cm("c"))
	write(t, filepath.Join(dir, "a", "d.json"), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}}`)
	write(t, filepath.Join(dir, "README.md"), "# hi")
	write(t, filepath.Join(dir, ".git", "config.yaml"), cm("git"))
	write(t, filepath.Join(dir, "bin.yaml"), "apiVersion\x00\x01")
	if err := os.Symlink(dir, filepath.Join(dir, "a", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	unreadable := filepath.Join(dir, "secret.yaml")
	write(t, unreadable, cm("secret"))
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	got, log, err := load(t, Default(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/c.yml c", "a/d.json d", "b.yaml b"}
	if os.Geteuid() == 0 {
		want = append(want, "secret.yaml secret") // root reads mode-000 files
	}
	if rel(dir, got) != strings.Join(want, ",") {
		t.Errorf("loaded %v, want %v", rel(dir, got), want)
	}
	reasons := map[string]string{}
	for _, s := range log.Skipped() {
		reasons[strings.TrimPrefix(s.Path, filepath.ToSlash(dir)+"/")] = s.Reason
	}
	for path, reason := range map[string]string{
		"README.md":     "not a .yaml",
		"bin.yaml":      "binary",
		"a/loop":        "already scanned",
		"dangling.yaml": "broken symbolic link",
	} {
		if !strings.Contains(reasons[path], reason) {
			t.Errorf("skipped[%s] = %q, want %q (all: %v)", path, reasons[path], reason, reasons)
		}
	}
	if _, ok := reasons[".git/config.yaml"]; ok {
		t.Error(".git was walked")
	}
}

// TestMissingPath: a path that does not exist is refused before anything
// is read; it used to be an input problem after a "passed" gate line.
func TestMissingPath(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ok.yaml"), cm("ok"))
	got, log, err := load(t, Default(), filepath.Join(dir, "ok.yaml"), filepath.Join(dir, "nope.yaml"))
	var pe *PathError
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.Path, "nope.yaml") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a PathError for nope.yaml", err)
	}
	if len(got) != 0 || len(log.Problems()) != 0 {
		t.Errorf("read %v with problems %v before refusing", got, log.Problems())
	}
	if _, _, err := load(t, Default(), "-", "-"); err == nil {
		t.Error("standard input named twice was accepted")
	}
}

// TestNothingToJudge: input that holds no Kubernetes object is an error,
// never a pass: empty standard input (helm template failing into a pipe),
// a directory without manifests, files that are something else.
func TestNothingToJudge(t *testing.T) {
	empty := t.TempDir()
	other := t.TempDir()
	write(t, filepath.Join(other, "values.yaml"), "replicaCount: 1\n")
	write(t, filepath.Join(other, "notes.txt"), "hello")
	for name, c := range map[string]struct {
		stdin string
		paths []string
		want  string
	}{
		"empty stdin":       {"", []string{"-"}, "standard input is empty"},
		"comments on stdin": {"# nothing\n---\n", []string{"-"}, "no Kubernetes object in standard input"},
		"empty directory":   {"", []string{empty}, "no Kubernetes object in " + filepath.ToSlash(empty)},
		"no manifests":      {"", []string{other}, "no Kubernetes object in " + filepath.ToSlash(other)},
	} {
		l, err := New(Options{Stdin: strings.NewReader(c.stdin)})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = load(t, l, c.paths...)
		var ne *NothingError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want nothing to check: %s", name, err, c.want)
		}
	}
	// One path of several with nothing in it is an input error; the others
	// are read.
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ok.yaml"), cm("ok"))
	got, log, err := load(t, Default(), dir, empty)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if p := log.Problems(); len(p) != 1 || p[0].Level != diag.Error || !strings.Contains(p[0].Message, "no Kubernetes object in") {
		t.Errorf("problems = %v", p)
	}
}

func TestStdinAndLimits(t *testing.T) {
	l, err := New(Options{Stdin: strings.NewReader(cm("in")), Limits: Limits{MaxFileBytes: 64}})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := load(t, l, "-")
	if err != nil || strings.Join(got, ",") != "- in" {
		t.Fatalf("stdin: %v, %v", got, err)
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	write(t, big, cm(strings.Repeat("a", 100)))
	write(t, filepath.Join(dir, "small.yaml"), cm("s"))
	got, log, err := load(t, l, dir)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if p := log.Problems(); len(p) != 1 || !strings.Contains(p[0].Message, "larger than the limit") {
		t.Errorf("problems = %v", p)
	}
}

// TestDevicesAndPipes: a character device or a pipe named on the command
// line is read as standard input is, under the same limit; /dev/zero used
// to be read until memory ran out.
func TestDevicesAndPipes(t *testing.T) {
	l, err := New(Options{Limits: Limits{MaxFileBytes: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var got []string
	var log *diag.Log
	go func() {
		defer close(done)
		got, log, err = load(t, l, "/dev/zero")
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("reading /dev/zero did not stop")
	}
	var ne *NothingError
	if !errors.As(err, &ne) || len(got) != 0 {
		t.Errorf("/dev/zero: %v, %v", got, err)
	}
	if s := log.Skipped(); len(s) != 1 || !strings.Contains(s[0].Reason, "binary") {
		t.Errorf("skipped = %v", s)
	}

	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		// Text that never ends, as `yes` writes it.
		line := []byte("# y\n")
		for {
			if _, err := f.Write(line); err != nil {
				return
			}
		}
	}()
	_, log, err = load(t, l, fifo)
	if err != nil {
		t.Errorf("endless pipe: err = %v, want the input error alone", err)
	}
	if p := log.Problems(); len(p) != 1 || !strings.Contains(p[0].Message, "larger than the limit") {
		t.Errorf("endless pipe: problems = %v", p)
	}

	fifo2 := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo2, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		if f, err := os.OpenFile(fifo2, os.O_WRONLY, 0); err == nil {
			f.WriteString(cm("piped")) //nolint:errcheck // the reader reports what arrived
			f.Close()
		}
	}()
	got, _, err = load(t, l, fifo2)
	if err != nil || len(got) != 1 || !strings.HasSuffix(got[0], " piped") {
		t.Errorf("pipe: %v, %v", got, err)
	}

	// A pipe named like a chart archive is refused at once; Helm used to
	// wait on it until the render deadline stopped the run.
	archive := filepath.Join(t.TempDir(), "chart.tgz")
	if err := syscall.Mkfifo(archive, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = New(Options{Limits: Limits{RenderTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, log, err = load(t, l, archive)
	if p := log.Problems(); len(p) != 1 || !strings.Contains(p[0].Message, "a chart archive must be a regular file") {
		t.Errorf("a pipe named chart.tgz: %v, problems %v", err, p)
	}
}
