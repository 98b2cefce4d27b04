package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

type recorder struct {
	mu    sync.Mutex
	users []string
	lines []string
	bad   []string
}

func (r *recorder) Events(evs []*event.Event, pos event.Pos) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		r.users = append(r.users, e.User.Username)
		r.lines = append(r.lines, filepath.Base(pos.String()))
	}
	return nil
}

func (r *recorder) Malformed(err *event.ReadError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bad = append(r.bad, filepath.Base(err.Error()))
}

func (r *recorder) got() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.users, ",")
}

// waitFor polls until the recorder holds want (the follower polls every
// 10ms here), failing after a generous deadline.
func (r *recorder) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r.got() == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("events %q, want %q (malformed %q)", r.got(), want, r.bad)
}

func line(user string) []byte {
	return append(audittest.New(user, "get").On("", "pods", "ns", "p").JSON(), '\n')
}

func appendTo(t *testing.T, path string, data ...[]byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, d := range data {
		if _, err := f.Write(d); err != nil {
			t.Fatal(err)
		}
	}
}

// follow runs Follow until the returned stop is called.
func follow(t *testing.T, o FollowOptions, r *recorder) (stop func()) {
	t.Helper()
	o.Poll = 10 * time.Millisecond
	o.CheckpointEvery = 10 * time.Millisecond
	o.started = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, o, event.NewDecoder(event.Limits{}), r) }()
	select {
	case <-o.started:
	case err := <-done:
		t.Fatalf("Follow: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Follow: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestFollowTailsAppendsAndPartialLines(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	appendTo(t, log, line("old1"), line("old2"))
	r := &recorder{}
	follow(t, FollowOptions{Path: log}, r)
	l := line("a")
	appendTo(t, log, l[:10])
	time.Sleep(30 * time.Millisecond)
	appendTo(t, log, l[10:], line("b"))
	r.waitFor(t, "a,b")
	if len(r.bad) != 0 || r.lines[0] != "audit.log:3" {
		t.Errorf("malformed %q, positions %q", r.bad, r.lines)
	}
}

func TestFollowStartsMidLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	l := line("partial")
	appendTo(t, log, line("old"), l[:20])
	r := &recorder{}
	follow(t, FollowOptions{Path: log}, r)
	appendTo(t, log, l[20:], line("next"))
	r.waitFor(t, "next")
	if len(r.bad) != 0 || r.lines[0] != "audit.log:3" {
		t.Errorf("malformed %q, positions %q", r.bad, r.lines)
	}
}

func TestFollowRotationByRenameAndTruncation(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	r := &recorder{}
	follow(t, FollowOptions{Path: log}, r) // the log does not exist yet
	appendTo(t, log, line("a"), line("b"))
	r.waitFor(t, "a,b")
	// The API server's log backend renames the full file and starts a new
	// one; the last lines written before the rename must not be lost.
	appendTo(t, log, line("c"))
	if err := os.Rename(log, filepath.Join(dir, "audit-2026-03-01T12-00-00.000.log")); err != nil {
		t.Fatal(err)
	}
	appendTo(t, log, line("d"))
	r.waitFor(t, "a,b,c,d")
	// copytruncate
	if err := os.Truncate(log, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, log, line("e"))
	r.waitFor(t, "a,b,c,d,e")
	if len(r.bad) != 0 {
		t.Errorf("malformed %q", r.bad)
	}
}

func TestFollowResumesFromSavedPosition(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	state := filepath.Join(dir, "state.json")
	appendTo(t, log, line("a"), line("b"))
	r := &recorder{}
	stop := follow(t, FollowOptions{Path: log, StateFile: state, FromStart: true}, r)
	r.waitFor(t, "a,b")
	stop()
	appendTo(t, log, line("c"))

	r2 := &recorder{}
	stop = follow(t, FollowOptions{Path: log, StateFile: state, FromStart: true}, r2)
	r2.waitFor(t, "c")
	if r2.lines[0] != "audit.log:3" {
		t.Errorf("positions %q", r2.lines)
	}
	stop()

	// Rotated while kubeward was down: the rest of the old file first,
	// then the new file.
	appendTo(t, log, line("d"))
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, log, line("e"))
	r3 := &recorder{}
	follow(t, FollowOptions{Path: log, StateFile: state}, r3)
	r3.waitFor(t, "d,e")
	if r3.lines[0] != "audit.log.1:4" || r3.lines[1] != "audit.log:1" {
		t.Errorf("positions %q", r3.lines)
	}
}

func TestFollowCheckpointRunsHook(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	appendTo(t, log, line("a"))
	var mu sync.Mutex
	calls := 0
	r := &recorder{}
	stop := follow(t, FollowOptions{Path: log, StateFile: filepath.Join(dir, "s"), FromStart: true, OnCheckpoint: func() error {
		mu.Lock()
		calls++
		mu.Unlock()
		return nil
	}}, r)
	r.waitFor(t, "a")
	stop()
	mu.Lock()
	defer mu.Unlock()
	if calls == 0 {
		t.Error("OnCheckpoint never ran")
	}
	pos, err := LoadPosition(filepath.Join(dir, "s"))
	if err != nil || pos == nil || pos.Line != 1 || pos.Offset != int64(len(line("a"))) {
		t.Errorf("saved %+v %v", pos, err)
	}
}

func TestScanFilesAndStdin(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.log")
	appendTo(t, plain, line("a"), []byte("not json\n"), line("b"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(line("c"))
	zw.Close()
	zipped := filepath.Join(dir, "b.log.gz")
	os.WriteFile(zipped, gz.Bytes(), 0o600)
	r := &recorder{}
	if err := Scan([]string{plain, zipped, "-"}, bytes.NewReader(line("d")), event.NewDecoder(event.Limits{}), r); err != nil {
		t.Fatal(err)
	}
	if r.got() != "a,b,c,d" || len(r.bad) != 1 || !strings.HasPrefix(r.bad[0], "a.log:2:") {
		t.Errorf("got %q, malformed %q", r.got(), r.bad)
	}
	if err := Scan([]string{filepath.Join(dir, "missing")}, nil, event.NewDecoder(event.Limits{}), r); err == nil {
		t.Error("missing file: no error")
	}
}
