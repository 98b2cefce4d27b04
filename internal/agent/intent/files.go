package intent

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// A baseline of files written holds paths and patterns:
//
//   - a path ending in "/" is everything below that directory;
//   - a path with *, ?, [...] is a shell glob (path.Match: * and ? stay
//     within one component; \ escapes);
//   - any other path is that file.
//
// Learning records NormalizePath of each file written, so that the
// baseline converges on what the workload does rather than on the names
// it happened to pick, and a directory that collects more than
// maxPerDir learned entries becomes dir/* (the names in it are the
// application's, not a set it will stay within).

// tempDirs are collapsed to the directory: the files in them are named
// per run (mkstemp, sockets, caches).
var tempDirs = []string{"/tmp/", "/var/tmp/", "/dev/shm/"}

// maxPerDir is how many learned entries one directory holds before they
// become dir/*.
const maxPerDir = 8

var uuid = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// NormalizePath turns the path of a file written into the pattern a
// baseline learns: a file in a temporary directory (/tmp, /var/tmp,
// /dev/shm) is the directory; in every component, a UUID, a run of eight
// or more hexadecimal characters holding a digit (hashes, container and
// session ids), a component of digits (/proc/<pid>, shards, database
// files) and a run of two or more digits (dates, counters, rotations)
// become *. Glob characters in real names are escaped.
func NormalizePath(p string) string {
	p = path.Clean("/" + p)
	for _, d := range tempDirs {
		if strings.HasPrefix(p, d) {
			return d
		}
	}
	var b strings.Builder
	b.Grow(len(p))
	for c := range strings.SplitSeq(p[1:], "/") {
		b.WriteByte('/')
		normalizeComponent(&b, c)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

func normalizeComponent(b *strings.Builder, c string) {
	if c != "" && strings.Trim(c, "0123456789") == "" {
		b.WriteByte('*')
		return
	}
	if loc := uuid.FindStringIndex(c); loc != nil {
		normalizeComponent(b, c[:loc[0]])
		b.WriteByte('*')
		normalizeComponent(b, c[loc[1]:])
		return
	}
	for i := 0; i < len(c); {
		if !isHex(c[i]) {
			if strings.IndexByte(`*?[]\`, c[i]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(c[i])
			i++
			continue
		}
		j, digits := i, 0
		for j < len(c) && isHex(c[j]) {
			if isDigit(c[j]) {
				digits++
			}
			j++
		}
		if j-i >= 8 && digits > 0 {
			b.WriteByte('*')
			i = j
			continue
		}
		// A shorter hex run: only its runs of two or more digits go.
		for i < j {
			k := i
			for k < j && isDigit(c[k]) {
				k++
			}
			switch {
			case k-i >= 2:
				b.WriteByte('*')
				i = k
			case k > i:
				b.WriteString(c[i:k])
				i = k
			default:
				b.WriteByte(c[i])
				i++
			}
		}
	}
}

// fileSet indexes a baseline's files: exact paths in a map, patterns
// and directories in a list.
type fileSet struct {
	exact    map[string]bool
	patterns []string
	// hits are paths a pattern matched: the same files are written
	// again and again.
	hits map[string]bool
}

// maxHits bounds a set's memory of paths its patterns matched.
const maxHits = 1024

func isPattern(f string) bool { return strings.HasSuffix(f, "/") || strings.ContainsAny(f, `*?[\`) }

func (s *fileSet) add(f string) {
	if !isPattern(f) {
		if s.exact == nil {
			s.exact = map[string]bool{}
		}
		s.exact[f] = true
		return
	}
	s.patterns = append(s.patterns, f)
}

func (s *fileSet) match(p string) bool {
	if s.exact[p] || s.hits[p] {
		return true
	}
	for _, f := range s.patterns {
		if matchFile(f, p) {
			if s.hits == nil || len(s.hits) >= maxHits {
				s.hits = map[string]bool{}
			}
			s.hits[p] = true
			return true
		}
	}
	return false
}

func matchFile(pattern, p string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(p, pattern)
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

// learn adds a learned pattern to list and the set, and returns the list.
// When the pattern's directory then holds more than maxPerDir learned
// entries, they become dir/*.
func (s *fileSet) learn(list []string, f string) []string {
	if slices.Contains(list, f) {
		return list
	}
	list = append(list, f)
	s.add(f)
	if strings.HasSuffix(f, "/") {
		return list
	}
	dir := path.Dir(f)
	in := func(x string) bool { return !strings.HasSuffix(x, "/") && path.Dir(x) == dir }
	n := 0
	for _, x := range list {
		if in(x) {
			n++
		}
	}
	if n <= maxPerDir {
		return list
	}
	list = slices.DeleteFunc(list, in)
	list = append(list, path.Join(dir, "*"))
	*s = fileSet{}
	for _, x := range list {
		s.add(x)
	}
	return list
}

// validPattern checks a file entry of a hand-edited baseline.
func validPattern(f string) error {
	if !path.IsAbs(f) {
		return fmt.Errorf("file %q: an absolute path or pattern", f)
	}
	if _, err := path.Match(f, ""); err != nil {
		return fmt.Errorf("file %q: %w", f, err)
	}
	return nil
}
