package loader

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/kubeward/kubeward/internal/source"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// IgnoreFile is the name of the files that exclude paths from every
// command, in gitignore syntax; each applies to its directory and below.
const IgnoreFile = ".kubewardignore"

// maxIgnoreBytes bounds an ignore file: it is a list of patterns.
const maxIgnoreBytes = 1 << 20

// rule is one pattern with where it was written, for the skip reason.
type rule struct {
	pattern gitignore.Pattern
	text    string
	origin  string
}

// ignorer decides which paths a walk leaves out: the configuration's
// patterns, then the ignore files from the root down to each directory
// walked, later (deeper) patterns overriding earlier ones as in git.
type ignorer struct {
	root  string // absolute; "" when no root applies
	rules []rule
	read1 map[string]bool // directories whose ignore file was read
	log   func(path, msg string)
}

func split(abs string) []string {
	return strings.Split(strings.TrimPrefix(filepath.ToSlash(abs), "/"), "/")
}

func newIgnorer(root string, patterns []string, base, origin string, problem func(path, msg string)) *ignorer {
	ig := &ignorer{read1: map[string]bool{}, log: problem}
	if abs, err := filepath.Abs(base); err == nil && len(patterns) > 0 {
		for i, p := range patterns {
			ig.add(p, abs, fmt.Sprintf("%s paths.exclude[%d] (%s)", origin, i, p))
		}
	}
	if root != "" {
		if abs, err := filepath.Abs(root); err == nil {
			ig.root = abs
		}
	}
	return ig
}

func (ig *ignorer) add(text, dir string, origin string) {
	ig.rules = append(ig.rules, rule{pattern: gitignore.ParsePattern(text, split(dir)), text: text, origin: origin})
}

// enter reads the ignore files from the root down to dir, for a path named
// on the command line below the root.
func (ig *ignorer) enter(dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil || ig.root == "" {
		return
	}
	rel, err := filepath.Rel(ig.root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return
	}
	cur := ig.root
	ig.readAbs(cur)
	if rel == "." {
		return
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		ig.readAbs(cur)
	}
}

// read reads the ignore file of a directory being walked.
func (ig *ignorer) read(dir string) {
	if abs, err := filepath.Abs(dir); err == nil {
		ig.readAbs(abs)
	}
}

func (ig *ignorer) readAbs(dir string) {
	if ig.read1[dir] {
		return
	}
	ig.read1[dir] = true
	file := filepath.Join(dir, IgnoreFile)
	info, err := os.Stat(file)
	if err != nil {
		return
	}
	if !info.Mode().IsRegular() || info.Size() > maxIgnoreBytes {
		ig.log(source.Display(file), fmt.Sprintf("not a regular file of at most %d bytes; its patterns do not apply", maxIgnoreBytes))
		return
	}
	data, err := os.ReadFile(file)
	if err != nil {
		ig.log(source.Display(file), fmt.Sprintf("cannot read: %v; its patterns do not apply", unwrapPath(err)))
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ig.add(line, dir, fmt.Sprintf("%s:%d (%s)", source.Display(file), n, line))
	}
}

// match returns why path is excluded, or "" when it is not. As in git, the
// last pattern that matches decides, and "!" patterns include again.
func (ig *ignorer) match(path string, isDir bool) string {
	if len(ig.rules) == 0 {
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	parts := split(abs)
	for i := len(ig.rules) - 1; i >= 0; i-- {
		switch ig.rules[i].pattern.Match(parts, isDir) {
		case gitignore.Exclude:
			return "excluded by " + ig.rules[i].origin
		case gitignore.Include:
			return ""
		}
	}
	return ""
}
