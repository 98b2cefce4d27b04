package source

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Position is where a follower stands in a file: the file's identity
// (device and inode), the byte offset after the last complete line it
// processed, and that line's number.
type Position struct {
	Path   string `json:"path"`
	Dev    uint64 `json:"dev"`
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
	Line   int    `json:"line"`
}

// LoadPosition reads a saved position; a missing file is no position.
func LoadPosition(file string) (*Position, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading saved position: %w", err)
	}
	var p Position
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("saved position %s: %w", file, err)
	}
	if p.Offset < 0 || p.Line < 0 {
		return nil, fmt.Errorf("saved position %s: negative offset", file)
	}
	return &p, nil
}

// SavePosition writes p atomically (a crash leaves the old or the new
// position, never half of one).
func SavePosition(file string, p *Position) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return WriteFileAtomic(file, b)
}

// WriteFileAtomic writes data to a temporary file next to name and renames
// it over name.
func WriteFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("saving %s: %w", name, err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("saving %s: %w", name, err)
	}
	return nil
}
