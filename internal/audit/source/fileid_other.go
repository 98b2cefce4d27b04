//go:build !unix

package source

import "io/fs"

// fileID is unsupported here: a restart resumes only if the file was not
// rotated meanwhile (the size check still catches truncation).
func fileID(fs.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
