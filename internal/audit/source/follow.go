package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
)

// FollowOptions configure Follow.
type FollowOptions struct {
	// Path of the log the API server writes (--audit-log-path).
	Path string
	// StateFile keeps the position between runs; empty keeps none.
	StateFile string
	// Poll is how often an idle follower looks for new data and rotation
	// (default 200ms).
	Poll time.Duration
	// FromStart reads an existing log from its beginning when there is no
	// saved position; by default a follower starts at its end, like
	// tail -F. A log that appears after the start is always read whole.
	FromStart bool
	// CheckpointEvery is how often the position is saved (default 1s),
	// and always on return.
	CheckpointEvery time.Duration
	// OnCheckpoint, if set, runs before each position save: state derived
	// from the events (detection baselines) is saved with the position it
	// matches.
	OnCheckpoint func() error
	Logger       *slog.Logger

	started chan struct{} // tests: closed once the start position is chosen
}

// Follow reads the log at o.Path as it grows and hands its events to h,
// until ctx ends. It follows rotation by rename (the API server's log
// backend: the old file is finished, then the new one read from its start)
// and by truncation (copytruncate), and resumes from o.StateFile after a
// restart, first finishing the file it was in if that was rotated
// meanwhile. Delivery is at least once: the position is saved after the
// events before it were handled.
func Follow(ctx context.Context, o FollowOptions, dec *event.Decoder, h event.Handler) error {
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	fl := &follower{o: o, dec: dec, h: h, buf: make([]byte, 64<<10)}
	if err := fl.start(); err != nil {
		return err
	}
	if o.started != nil {
		close(o.started)
	}
	err := fl.loop(ctx)
	if cerr := fl.checkpoint(); err == nil {
		err = cerr
	}
	if fl.f != nil {
		fl.f.Close()
	}
	return err
}

type follower struct {
	o   FollowOptions
	dec *event.Decoder
	h   event.Handler
	buf []byte

	f        *os.File
	fi       fs.FileInfo
	stream   *event.Stream
	read     int64  // bytes read from f
	tail     []byte // the last bytes read, to notice a file rewritten in place
	skipLine bool   // started mid-line: drop the first partial line

	lastSave  time.Time
	savedAt   int64
	savedFile fs.FileInfo
}

func (fl *follower) start() error {
	pos, err := fl.loadPosition()
	if err != nil {
		return err
	}
	f, fi, err := openLog(fl.o.Path)
	if err != nil {
		return err
	}
	if pos != nil && f != nil && sameID(fi, pos) {
		if fi.Size() < pos.Offset {
			fl.o.Logger.Warn("audit log is shorter than the saved position (truncated); reading it from the start",
				"path", fl.o.Path, "savedOffset", pos.Offset, "size", fi.Size())
			fl.use(f, fi, 0, 0)
			return nil
		}
		fl.o.Logger.Info("resuming audit log", "path", fl.o.Path, "line", pos.Line, "offset", pos.Offset)
		return fl.useAt(f, fi, pos.Offset, pos.Line)
	}
	if pos != nil {
		fl.finishRotated(pos)
	}
	switch {
	case f == nil:
		fl.o.Logger.Info("audit log does not exist yet; waiting for it", "path", fl.o.Path)
		return nil
	case pos != nil || fl.o.FromStart:
		fl.use(f, fi, 0, 0)
		return nil
	}
	// Start at the end, like tail -F, but keep counting lines from the
	// file's start so malformed lines are reported with true numbers.
	lines, last, err := countLines(f, fi.Size())
	if err != nil {
		f.Close()
		return err
	}
	if err := fl.useAt(f, fi, fi.Size(), lines); err != nil {
		return err
	}
	fl.skipLine = last != '\n' && fi.Size() > 0
	return nil
}

// countLines counts the newlines in the first size bytes of f and returns
// the last byte.
func countLines(f *os.File, size int64) (int, byte, error) {
	buf := make([]byte, 256<<10)
	n, last := 0, byte(0)
	for off := int64(0); off < size; {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if k > 0 {
			last = buf[k-1]
		}
		off += int64(k)
		if err != nil && !(errors.Is(err, io.EOF) && off >= size) {
			return 0, 0, fmt.Errorf("audit log: %w", err)
		}
		if k == 0 {
			break
		}
	}
	return n, last, nil
}

func (fl *follower) loadPosition() (*Position, error) {
	if fl.o.StateFile == "" {
		return nil, nil
	}
	pos, err := LoadPosition(fl.o.StateFile)
	if err != nil || pos == nil {
		return pos, err
	}
	if pos.Path != fl.o.Path {
		fl.o.Logger.Warn("saved position is for another file; ignoring it", "saved", pos.Path, "path", fl.o.Path)
		return nil, nil
	}
	return pos, nil
}

// finishRotated reads the rest of the file the saved position was in, if
// it is still in the log's directory under another name.
func (fl *follower) finishRotated(pos *Position) {
	dir := filepath.Dir(fl.o.Path)
	entries, err := os.ReadDir(dir)
	if err == nil {
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() || !sameID(fi, pos) {
				continue
			}
			f, err := os.Open(p)
			if err != nil {
				break
			}
			fl.o.Logger.Info("finishing the rotated audit log from the saved position", "file", p, "line", pos.Line, "offset", pos.Offset)
			if err := fl.useAt(f, fi, pos.Offset, pos.Line); err == nil {
				fl.drainAndClose()
			}
			return
		}
	}
	fl.o.Logger.Warn("the file of the saved position was rotated away (removed or compressed); events written to it after the saved position were not read",
		"path", fl.o.Path, "savedLine", pos.Line, "savedOffset", pos.Offset)
}

func openLog(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("opening audit log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	return f, fi, nil
}

// tailSize is how much of what was read last is kept to recognise a log
// truncated and rewritten past the old length between two polls
// (copytruncate): the size alone cannot tell. It spans whole audit lines,
// whose audit IDs differ.
const tailSize = 4096

func (fl *follower) remember(chunk []byte) {
	if len(chunk) >= tailSize {
		fl.tail = append(fl.tail[:0], chunk[len(chunk)-tailSize:]...)
		return
	}
	fl.tail = append(fl.tail, chunk...)
	if len(fl.tail) > tailSize {
		fl.tail = append(fl.tail[:0], fl.tail[len(fl.tail)-tailSize:]...)
	}
}

// rewritten reports that the bytes before the read offset are no longer
// the ones read.
func (fl *follower) rewritten() bool {
	if len(fl.tail) == 0 {
		return false
	}
	got := make([]byte, len(fl.tail))
	if _, err := fl.f.ReadAt(got, fl.read-int64(len(fl.tail))); err != nil {
		return true
	}
	return !bytes.Equal(got, fl.tail)
}

func (fl *follower) use(f *os.File, fi fs.FileInfo, offset int64, line int) {
	fl.f, fl.fi, fl.read = f, fi, offset
	fl.tail = fl.tail[:0]
	fl.stream = event.NewStream(f.Name(), fl.dec, fl.h)
	fl.stream.Resume(line, offset)
	fl.skipLine = false
}

func (fl *follower) useAt(f *os.File, fi fs.FileInfo, offset int64, line int) error {
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("audit log: %w", err)
	}
	fl.use(f, fi, offset, line)
	return nil
}

func (fl *follower) loop(ctx context.Context) error {
	for {
		n, err := fl.readAvailable()
		if err != nil {
			return err
		}
		if time.Since(fl.lastSave) >= fl.o.CheckpointEvery {
			if err := fl.checkpoint(); err != nil {
				fl.o.Logger.Error("saving audit log position", "err", err)
			}
		}
		if n > 0 {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		switched, err := fl.checkRotation()
		if err != nil {
			return err
		}
		if switched {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(fl.o.Poll):
		}
	}
}

// readAvailable reads what the file holds now (one buffer at a time, so a
// cancelled context is noticed between buffers).
func (fl *follower) readAvailable() (int, error) {
	if fl.f == nil {
		return 0, nil
	}
	n, err := fl.f.Read(fl.buf)
	if n > 0 {
		chunk := fl.buf[:n]
		fl.read += int64(n)
		fl.remember(chunk)
		if fl.skipLine {
			// The rest of a line that was being written when we started.
			line := fl.stream.Line()
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				fl.stream.Resume(line, fl.read)
				return n, nil
			}
			chunk = chunk[i+1:]
			fl.skipLine = false
			fl.stream.Resume(line+1, fl.read-int64(len(chunk)))
		}
		if herr := fl.stream.Feed(chunk); herr != nil {
			return n, herr
		}
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("reading audit log: %w", err)
	}
	return n, nil
}

// checkRotation looks at the path: a new file there (rotation by rename)
// or a shorter one (truncation) switches to it, from its start.
func (fl *follower) checkRotation() (bool, error) {
	fi, err := os.Stat(fl.o.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // renamed away, the new file is not there yet
	}
	if err != nil {
		return false, fmt.Errorf("audit log: %w", err)
	}
	switch {
	case fl.f == nil:
		fl.o.Logger.Info("audit log appeared", "path", fl.o.Path)
	case !os.SameFile(fi, fl.fi):
		fl.o.Logger.Info("audit log rotated", "path", fl.o.Path, "lines", fl.stream.Line())
		fl.drainAndClose()
	case fi.Size() < fl.read || fl.rewritten():
		fl.o.Logger.Warn("audit log truncated; reading it from the start", "path", fl.o.Path, "offset", fl.read, "size", fi.Size())
		fl.f.Close()
		fl.f = nil
	default:
		return false, nil
	}
	f, nfi, err := openLog(fl.o.Path)
	if err != nil || f == nil {
		return false, err
	}
	fl.use(f, nfi, 0, 0)
	return true, fl.checkpoint()
}

// drainAndClose reads the rest of the current file, ends its last line
// and closes it.
func (fl *follower) drainAndClose() {
	for {
		n, err := fl.readAvailable()
		if err != nil {
			fl.o.Logger.Error("finishing rotated audit log", "file", fl.f.Name(), "err", err)
			break
		}
		if n == 0 {
			break
		}
	}
	if err := fl.stream.Close(); err != nil {
		fl.o.Logger.Error("finishing rotated audit log", "file", fl.f.Name(), "err", err)
	}
	fl.f.Close()
	fl.f = nil
}

func (fl *follower) checkpoint() error {
	fl.lastSave = time.Now()
	if fl.o.StateFile == "" || fl.f == nil {
		return nil
	}
	off := fl.stream.Offset()
	if off == fl.savedAt && fl.savedFile != nil && os.SameFile(fl.savedFile, fl.fi) {
		return nil
	}
	if fl.o.OnCheckpoint != nil {
		if err := fl.o.OnCheckpoint(); err != nil {
			return err
		}
	}
	dev, ino, _ := fileID(fl.fi)
	if err := SavePosition(fl.o.StateFile, &Position{Path: fl.o.Path, Dev: dev, Inode: ino, Offset: off, Line: fl.stream.Line()}); err != nil {
		return err
	}
	fl.savedAt, fl.savedFile = off, fl.fi
	return nil
}

func sameID(fi fs.FileInfo, p *Position) bool {
	dev, ino, ok := fileID(fi)
	return ok && dev == p.Dev && ino == p.Inode
}
