package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables understood by Binaries.
const (
	// EnvCache overrides the base directory of the binary cache
	// (default: os.UserCacheDir()/kubeward/testbin). Binaries live in
	// <base>/<key>/, where key is a hash of the test/ module's inputs.
	EnvCache = "KUBEWARD_TESTBIN_CACHE"
	// EnvBinDir, when set, names a directory that already holds
	// etcd, kube-apiserver, kube-controller-manager and kube-scheduler;
	// nothing is built (a directory without kube-scheduler is refused).
	EnvBinDir = "KUBEWARD_TESTBIN_DIR"
)

// ShortSkipReason is the message of tests skipped under -short.
const ShortSkipReason = "-short: needs the real kube-apiserver; run without -short"

// mainModule is the module path whose go.mod marks the repository root.
const mainModule = "github.com/kubeward/kubeward"

// buildFlags are the go build flags used for the binaries; they are part of
// the cache key.
var buildFlags = []string{"-trimpath", "-ldflags=-s -w"}

// Paths are the absolute paths of the three control-plane binaries.
type Paths struct {
	Dir               string // directory holding the binaries
	Etcd              string
	APIServer         string
	ControllerManager string
	Scheduler         string
}

var binNames = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}

func pathsIn(dir string) Paths {
	return Paths{
		Dir:               dir,
		Etcd:              filepath.Join(dir, "etcd"),
		APIServer:         filepath.Join(dir, "kube-apiserver"),
		ControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Scheduler:         filepath.Join(dir, "kube-scheduler"),
	}
}

func (p Paths) complete() error {
	for _, f := range []string{p.Etcd, p.APIServer, p.ControllerManager, p.Scheduler} {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable file", f)
		}
	}
	return nil
}

// SkipIfShort skips t under -short with ShortSkipReason.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip(ShortSkipReason)
	}
}

// One build result per test process: every test of a package shares it, and
// a failed build is not retried by each following test.
var (
	binMu   sync.Mutex
	binDone bool
	binRes  Paths
	binErr  error
)

// Binaries returns the paths of etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, building them from the test/ module if the cache
// does not hold them yet. Concurrent callers in other processes (go test runs
// packages in parallel) wait on a file lock while one of them builds. A
// failed build fails t; under -short, t is skipped.
func Binaries(t testing.TB) Paths {
	t.Helper()
	SkipIfShort(t)
	binMu.Lock()
	defer binMu.Unlock()
	if !binDone {
		binRes, binErr = findOrBuild(t)
		binDone = true
	}
	if binErr != nil {
		t.Fatalf("kubetest: control-plane binaries: %v", binErr)
	}
	return binRes
}

func findOrBuild(t testing.TB) (Paths, error) {
	t.Helper()
	if dir := os.Getenv(EnvBinDir); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return Paths{}, err
		}
		p := pathsIn(abs)
		if err := p.complete(); err != nil {
			return Paths{}, fmt.Errorf("$%s=%s: %v", EnvBinDir, dir, err)
		}
		return p, nil
	}
	root, err := findRepoRoot()
	if err != nil {
		return Paths{}, err
	}
	testDir := filepath.Join(root, "test")
	key, err := cacheKey(testDir)
	if err != nil {
		return Paths{}, fmt.Errorf("hashing %s: %v", testDir, err)
	}
	base, err := cacheBase()
	if err != nil {
		return Paths{}, err
	}
	final := pathsIn(filepath.Join(base, key))
	if final.complete() == nil {
		return final, nil // warm cache, no lock needed: the dir appears by rename only
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return Paths{}, err
	}

	deadline := testDeadline(t)
	unlock, err := lockFile(t, filepath.Join(base, key+".lock"), deadline)
	if err != nil {
		return Paths{}, err
	}
	defer unlock()
	if final.complete() == nil { // built by another process while we waited
		t.Logf("kubetest: binaries built by another process: %s", final.Dir)
		return final, nil
	}
	// Under the lock, anything left for this key is debris of a killed build.
	os.RemoveAll(final.Dir)
	if old, _ := filepath.Glob(filepath.Join(base, key+".tmp-*")); len(old) > 0 {
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	tmp, err := os.MkdirTemp(base, key+".tmp-")
	if err != nil {
		return Paths{}, err
	}
	defer os.RemoveAll(tmp) // no-op after the rename
	logPath := filepath.Join(base, key+".build.log")
	if err := goBuild(t, testDir, tmp, logPath, deadline); err != nil {
		return Paths{}, err
	}
	if err := pathsIn(tmp).complete(); err != nil {
		return Paths{}, fmt.Errorf("go build succeeded but %v", err)
	}
	if err := os.Rename(tmp, final.Dir); err != nil {
		return Paths{}, err
	}
	return final, nil
}

// findRepoRoot walks up from the working directory to the go.mod of the main
// module.
func findRepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modulePath(data) == mainModule {
			if _, err := os.Stat(filepath.Join(dir, "test", "go.mod")); err != nil {
				return "", fmt.Errorf("repository root %s has no test/go.mod: %v", dir, err)
			}
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above %s", mainModule, wd)
		}
		dir = parent
	}
}

func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// cacheKey hashes everything the build depends on that can change in the
// repository: test/go.mod, test/go.sum, the sources under test/cmd, the Go
// version, the platform and the build flags.
func cacheKey(testDir string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "kubetest-v1\n%s %s/%s\n%q\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, buildFlags)
	files := []string{"go.mod", "go.sum"}
	var srcs []string
	err := filepath.WalkDir(filepath.Join(testDir, "cmd"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(testDir, p)
			srcs = append(srcs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(srcs)
	for _, f := range append(files, srcs...) {
		data, err := os.ReadFile(filepath.Join(testDir, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

func cacheBase() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = filepath.Join(os.TempDir(), "kubeward-cache")
	}
	return filepath.Join(d, "kubeward", "testbin"), nil
}

// testDeadline is t's deadline (from go test -timeout) less a margin for
// reporting, or zero if there is none.
func testDeadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			return dl.Add(-20 * time.Second)
		}
	}
	return time.Time{}
}

const timeoutHint = "the cold build of the control plane takes several minutes: run go test with -timeout 60m"

// lockFile takes an exclusive flock on path, polling so that it can log and
// give up before the test deadline.
func lockFile(t testing.TB, path string, deadline time.Time) (unlock func(), err error) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	lastLog := start
	for first := true; ; first = false {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			if w := time.Since(start); w > time.Second {
				t.Logf("kubetest: got build lock after %s", w.Round(time.Second))
			}
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("flock %s: %v", path, err)
		}
		if first {
			t.Logf("kubetest: another process is building the control-plane binaries; waiting on %s", path)
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("still waiting for another process's build (lock %s) at the test deadline; %s", path, timeoutHint)
		}
		if time.Since(lastLog) >= 30*time.Second {
			t.Logf("kubetest: still waiting for the build lock (%s)", time.Since(start).Round(time.Second))
			lastLog = time.Now()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// goBuild runs one go build of ./cmd/... in testDir into out.
func goBuild(t testing.TB, testDir, out, logPath string, deadline time.Time) error {
	t.Helper()
	goBin := "go"
	if r := os.Getenv("GOROOT"); r != "" {
		if p := filepath.Join(r, "bin", "go"); fileExists(p) {
			goBin = p
		}
	}
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", out+string(filepath.Separator), "./cmd/...")
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = testDir
	// Static binaries like upstream's release builds; the test/ module is
	// built on its own, never as part of a workspace.
	// GOFLAGS is fixed so that a caller's -race or -tags cannot change
	// binaries whose cache key does not know about them.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly -buildvcs=false",
		"GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcessGroup(cmd)
	cmd.Cancel = func() error { return killGroup(cmd, syscall.SIGKILL) }

	t.Logf("kubetest: building control-plane binaries: (cd %s && %s %s) -> %s (log %s); a cold build takes 5-7 minutes on 2 cores",
		testDir, goBin, strings.Join(args, " "), out, logPath)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting go build: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			el := time.Since(start).Round(time.Second)
			if err != nil {
				msg := fmt.Sprintf("go build failed after %s: %v\n%s", el, err, tailFile(logPath, 60))
				if ctx.Err() != nil {
					msg = fmt.Sprintf("go build stopped at the test deadline after %s; %s\n%s", el, timeoutHint, tailFile(logPath, 20))
				}
				return errors.New(msg)
			}
			t.Logf("kubetest: built control-plane binaries in %s", el)
			return nil
		case <-tick.C:
			t.Logf("kubetest: still building control-plane binaries (%s)", time.Since(start).Round(time.Second))
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// tailFile returns the last n lines of a file, for error messages.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	defer f.Close()
	const max = 256 << 10
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
