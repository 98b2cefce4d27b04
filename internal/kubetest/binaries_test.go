package kubetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRepo makes a repository root with a test/ module whose three mains are
// trivial (or, with broken, do not compile), chdirs into a package directory
// below it and points the cache at a fresh directory.
func fakeRepo(t *testing.T, broken bool) (cache string) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":          "module " + mainModule + "\n\ngo 1.26\n",
		"test/go.mod":     "module " + mainModule + "/test\n\ngo 1.26\n",
		"test/go.sum":     "",
		"internal/x/x.go": "package x\n",
	}
	for _, n := range binNames {
		files["test/cmd/"+n+"/main.go"] = "package main\n\nfunc main() {}\n"
	}
	if broken {
		files["test/cmd/kube-apiserver/main.go"] = "package main\n\nfunc main() { undefinedCall() }\n"
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(root, "internal", "x"))
	cache = t.TempDir()
	t.Setenv(EnvCache, cache)
	t.Setenv(EnvBinDir, "")
	return cache
}

func TestBuildAndCache(t *testing.T) {
	cache := fakeRepo(t, false)
	p, err := findOrBuild(t)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.complete(); err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p.Dir) != cache {
		t.Errorf("binaries in %s, want a directory of %s", p.Dir, cache)
	}
	st1, _ := os.Stat(p.APIServer)
	if tmps, _ := filepath.Glob(filepath.Join(cache, "*.tmp-*")); len(tmps) != 0 {
		t.Errorf("temporary build dirs left: %v", tmps)
	}

	// A warm cache is used as is.
	time.Sleep(10 * time.Millisecond)
	p2, err := findOrBuild(t)
	if err != nil || p2 != p {
		t.Fatalf("second lookup: %+v, %v; want %+v", p2, err, p)
	}
	if st2, _ := os.Stat(p2.APIServer); !st2.ModTime().Equal(st1.ModTime()) {
		t.Errorf("warm cache rebuilt the binaries")
	}

	// A changed main changes the key and so builds anew.
	root := filepath.Dir(filepath.Dir(mustGetwd(t)))
	if err := os.WriteFile(filepath.Join(root, "test", "cmd", "etcd", "main.go"), []byte("package main\n\nfunc main() { println() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p3, err := findOrBuild(t)
	if err != nil {
		t.Fatal(err)
	}
	if p3.Dir == p.Dir {
		t.Errorf("changed sources reused %s", p.Dir)
	}

	// EnvBinDir short-circuits the build.
	t.Setenv(EnvBinDir, p.Dir)
	if p4, err := findOrBuild(t); err != nil || p4 != p {
		t.Errorf("with $%s: %+v, %v", EnvBinDir, p4, err)
	}
}

func TestBuildFailureIsReported(t *testing.T) {
	cache := fakeRepo(t, true)
	_, err := findOrBuild(t)
	if err == nil {
		t.Fatal("a broken main built")
	}
	if !strings.Contains(err.Error(), "go build failed") || !strings.Contains(err.Error(), "undefinedCall") {
		t.Errorf("error lacks the build output: %v", err)
	}
	if dirs, _ := filepath.Glob(filepath.Join(cache, "*")); len(dirs) != 2 { // lock + build log
		t.Errorf("cache after a failed build: %v", dirs)
	}
}

// logRecorder is a testing.TB that also keeps what is logged.
type logRecorder struct {
	testing.TB
	mu   sync.Mutex
	logs []string
}

func (r *logRecorder) Logf(format string, args ...any) {
	r.mu.Lock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	r.TB.Logf(format, args...)
}

// Concurrent lookups (in go test ./..., from several processes; flock
// excludes separate opens in one process just the same) build once.
func TestConcurrentBuildsOnce(t *testing.T) {
	fakeRepo(t, false)
	rec := &logRecorder{TB: t}
	var wg sync.WaitGroup
	res := make([]Paths, 4)
	errs := make([]error, 4)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = findOrBuild(rec)
		}()
	}
	wg.Wait()
	builds := 0
	for _, l := range rec.logs {
		if strings.Contains(l, "built control-plane binaries in") {
			builds++
		}
	}
	for i := range res {
		if errs[i] != nil || res[i] != res[0] {
			t.Errorf("lookup %d: %+v, %v", i, res[i], errs[i])
		}
	}
	if builds != 1 {
		t.Errorf("%d builds, want 1:\n%s", builds, strings.Join(rec.logs, "\n"))
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestDebrisNotTrusted: what a killed build leaves (an entry missing a
// binary, a half-written temporary directory) is never used; the next
// lookup builds anew and clears it.
func TestDebrisNotTrusted(t *testing.T) {
	cache := fakeRepo(t, false)
	root, err := findRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	key, err := cacheKey(filepath.Join(root, "test"))
	if err != nil {
		t.Fatal(err)
	}
	stub := []byte("#!/bin/sh\nexit 1\n")
	for _, p := range []string{filepath.Join(cache, key, "etcd"), filepath.Join(cache, key+".tmp-1", "kube-apiserver")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, stub, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p, err := findOrBuild(t)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.complete(); err != nil || p.Dir != filepath.Join(cache, key) {
		t.Fatalf("binaries %+v (%v), want a complete %s", p, err, filepath.Join(cache, key))
	}
	if data, _ := os.ReadFile(p.Etcd); string(data) == string(stub) {
		t.Error("the partial entry's etcd was kept")
	}
	if tmps, _ := filepath.Glob(filepath.Join(cache, "*.tmp-*")); len(tmps) != 0 {
		t.Errorf("temporary build dirs left: %v", tmps)
	}
}
