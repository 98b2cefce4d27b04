package source

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFile: the buffer sized from the file's length must still stop
// at the limit, and must still read a file whose length says nothing
// (files under /proc report 0 bytes).
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		size, limit int64
		ok          bool
	}{
		{0, 10, true},
		{10, 10, true},
		{11, 10, false},
		{100 << 10, 100 << 10, true},
		{100<<10 + 1, 100 << 10, false},
		{1 << 20, 1000, false},
	} {
		p := filepath.Join(dir, fmt.Sprintf("f%d-%d", tc.size, tc.limit))
		want := bytes.Repeat([]byte("k"), int(tc.size))
		if err := os.WriteFile(p, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(p, tc.limit)
		if tc.ok && (err != nil || !bytes.Equal(got, want)) {
			t.Errorf("%d bytes, limit %d: %d bytes, %v", tc.size, tc.limit, len(got), err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "larger than the limit")) {
			t.Errorf("%d bytes, limit %d: err = %v, want the limit", tc.size, tc.limit, err)
		}
	}

	if info, err := os.Stat("/proc/self/maps"); err != nil || info.Size() != 0 {
		t.Skipf("no /proc file of unknown length here: %v", err)
	}
	got, err := ReadFile("/proc/self/maps", 1<<20)
	if err != nil || !bytes.Contains(got, []byte("\n")) {
		t.Errorf("/proc/self/maps: %d bytes, %v", len(got), err)
	}
	if _, err := ReadFile("/proc/self/maps", 10); err == nil {
		t.Error("/proc/self/maps over a limit of 10 bytes was read")
	}
}

// BenchmarkReadFile compares ReadFile with os.ReadFile (no limit: the
// floor) and with io.ReadAll under a LimitReader, which it replaced: that
// grows its buffer from 512 bytes and copies at every step.
func BenchmarkReadFile(b *testing.B) {
	const limit = 64 << 20
	for _, size := range []int{4 << 10, 256 << 10, 16 << 20} {
		p := filepath.Join(b.TempDir(), "f.yaml")
		if err := os.WriteFile(p, bytes.Repeat([]byte("k"), size), 0o600); err != nil {
			b.Fatal(err)
		}
		for _, r := range []struct {
			name string
			read func() ([]byte, error)
		}{
			{"ReadFile", func() ([]byte, error) { return ReadFile(p, limit) }},
			{"os.ReadFile", func() ([]byte, error) { return os.ReadFile(p) }},
			{"io.ReadAll", func() ([]byte, error) {
				f, err := os.Open(p)
				if err != nil {
					return nil, err
				}
				defer f.Close()
				return io.ReadAll(io.LimitReader(f, limit+1))
			}},
		} {
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, r.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if data, err := r.read(); err != nil || len(data) != size {
						b.Fatalf("%d bytes, %v", len(data), err)
					}
				}
			})
		}
	}
}
