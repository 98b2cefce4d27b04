// Package source reads audit events from files: once (Scan), or following
// a log as the API server writes and rotates it (Follow), resuming from a
// saved position after a restart.
package source

import (
	"fmt"
	"io"
	"os"

	"github.com/kubeward/kubeward/internal/audit/event"
)

// Scan reads each file in turn ("-" is standard input): JSON lines,
// EventLists or pretty-printed documents, gzip or not. Malformed lines go
// to h.Malformed and reading goes on; an unreadable file stops the scan.
func Scan(files []string, stdin io.Reader, dec *event.Decoder, h event.Handler) error {
	for _, f := range files {
		if err := scanOne(f, stdin, dec, h); err != nil {
			return err
		}
	}
	return nil
}

func scanOne(name string, stdin io.Reader, dec *event.Decoder, h event.Handler) error {
	if name == "-" {
		return event.Read(stdin, "<stdin>", dec, h)
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("opening audit log: %w", err)
	}
	defer f.Close()
	return event.Read(f, name, dec, h)
}
