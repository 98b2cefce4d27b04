// Package diag records what went wrong with the input, and what was not
// scanned and why, so that nothing is dropped silently.
package diag

import (
	"fmt"
	"sort"
	"sync"
)

// Level says whether a problem fails the run (error) or only informs (warning).
type Level string

const (
	Error   Level = "error"
	Warning Level = "warning"
)

// Problem is an issue with the input: bad YAML, a value of the wrong type, a
// suppression without a reason.
type Problem struct {
	Level Level  `json:"level"`
	File  string `json:"file,omitempty"`
	// Template names the Helm template inside File that the line counts
	// in (rendered output).
	Template string `json:"template,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Object   string `json:"object,omitempty"` // Kind/namespace/name when known
	Path     string `json:"path,omitempty"`   // field path when known
	Message  string `json:"message"`
}

func (p Problem) String() string {
	loc := p.File
	if loc == "" {
		loc = "<input>"
	}
	if p.Template != "" {
		loc += " (" + p.Template + ")"
	}
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, p.Line)
		if p.Column > 0 {
			loc = fmt.Sprintf("%s:%d", loc, p.Column)
		}
	}
	msg := p.Message
	if p.Path != "" {
		msg = p.Path + ": " + msg
	}
	if p.Object != "" {
		msg = p.Object + ": " + msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, p.Level, msg)
}

// Skipped is an input that was not scanned, with the reason.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Log collects problems and skipped inputs from concurrent loaders.
type Log struct {
	mu       sync.Mutex
	problems []Problem
	skipped  []Skipped
}

func (l *Log) Problem(p Problem) {
	l.mu.Lock()
	l.problems = append(l.problems, p)
	l.mu.Unlock()
}

func (l *Log) Errorf(file string, line int, format string, args ...any) {
	l.Problem(Problem{Level: Error, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (l *Log) Skip(path, reason string) {
	l.mu.Lock()
	l.skipped = append(l.skipped, Skipped{Path: path, Reason: reason})
	l.mu.Unlock()
}

// Problems returns the problems sorted by file and line.
func (l *Log) Problems() []Problem {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]Problem(nil), l.problems...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return out
}

// Skipped returns the skipped inputs sorted by path.
func (l *Log) Skipped() []Skipped {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]Skipped(nil), l.skipped...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Errors counts problems at error level.
func (l *Log) Errors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.problems {
		if p.Level == Error {
			n++
		}
	}
	return n
}
