// Package source reads audit events from files: once (Scan), or following
// a log as the API server writes and rotates it (Follow), resuming from a
// saved position after a restart.
package source

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kubeward/kubeward/internal/audit/event"
)

// Scan reads each file in turn ("-" is standard input): JSON lines,
// EventLists, pretty-printed documents or GKE's Cloud Logging entries, gzip
// or not. Malformed documents go to h.Malformed and reading goes on.
//
// A file that holds no audit event is an error, returned after every file
// has been read: an empty file, or one whose every document is malformed
// (a Pod list, an application's log), is input the scan did not
// understand, and a gate must not pass on it. So is a file that cannot be
// read. An error from h.Events stops the scan at once.
func Scan(files []string, stdin io.Reader, dec *event.Decoder, h event.Handler) error {
	var errs []error
	for _, f := range files {
		c := &counter{h: h}
		err := scanOne(f, stdin, dec, c)
		if c.stopped {
			return err
		}
		if err == nil {
			err = c.verdict(displayName(f))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func displayName(f string) string {
	if f == "-" {
		return "<stdin>"
	}
	return f
}

func scanOne(name string, stdin io.Reader, dec *event.Decoder, h event.Handler) error {
	if name == "-" {
		return event.Read(stdin, displayName(name), dec, h)
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("opening audit log: %w", err)
	}
	defer f.Close()
	return event.Read(f, name, dec, h)
}

// counter counts what one file held.
type counter struct {
	h                 event.Handler
	documents, events int
	malformed         int
	first             *event.ReadError
	stopped           bool
}

func (c *counter) Events(evs []*event.Event, pos event.Pos) error {
	c.documents++
	c.events += len(evs)
	err := c.h.Events(evs, pos)
	c.stopped = err != nil
	return err
}

func (c *counter) Malformed(err *event.ReadError) {
	c.malformed++
	if c.first == nil {
		c.first = err
	}
	c.h.Malformed(err)
}

// verdict is the file's error when it held no audit event: one sentence,
// with the first malformed document's line and reason.
func (c *counter) verdict(name string) error {
	if c.events > 0 {
		return nil
	}
	why := "it is empty"
	switch {
	case c.malformed == 1 && c.documents == 0:
		why = "its only document is malformed"
	case c.malformed > 0 && c.documents == 0:
		why = fmt.Sprintf("all %d of its documents are malformed", c.malformed)
	case c.malformed > 0:
		why = fmt.Sprintf("its event lists are empty and %d documents are malformed", c.malformed)
	case c.documents > 0:
		why = "its event lists are empty"
	}
	if c.first != nil {
		why += fmt.Sprintf(" (line %d: %v)", c.first.Line, c.first.Err)
	}
	return fmt.Errorf("%s holds no audit events: %s", name, why)
}
