package detect

import (
	"path"
	"strings"
)

// Patterns is a list of glob patterns where '*' matches any run of
// characters, '/' and ':' included ("registry.example.com/team/*",
// "system:serviceaccount:ci:*"). Everything else matches literally.
type Patterns []string

// Match reports whether s matches any pattern.
func (p Patterns) Match(s string) bool {
	for _, pat := range p {
		if glob(pat, s) {
			return true
		}
	}
	return false
}

// glob matches s against pat with '*' wildcards. It runs in
// O(len(pat)*len(s)) at worst, without recursion.
func glob(pat, s string) bool {
	if !strings.Contains(pat, "*") {
		return pat == s
	}
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pat) || sx < len(s) {
		if px < len(pat) {
			if pat[px] == '*' {
				nextPx, nextSx = px, sx+1
				px++
				continue
			}
			if sx < len(s) && pat[px] == s[sx] {
				px++
				sx++
				continue
			}
		}
		if nextPx >= 0 && nextSx <= len(s) {
			px, sx = nextPx+1, nextSx
			nextSx++
			continue
		}
		return false
	}
	return true
}

// canonicalImage makes Docker Hub's implicit registry and library/ path
// explicit: "nginx:1" is "docker.io/library/nginx:1", "calico/node" is
// "docker.io/calico/node".
func canonicalImage(s string) string {
	if rest, ok := strings.CutPrefix(s, "index.docker.io/"); ok {
		return "docker.io/" + rest
	}
	first, _, hasSlash := strings.Cut(s, "/")
	switch {
	case !hasSlash:
		return "docker.io/library/" + s
	case strings.ContainsAny(first, ".:*") || first == "localhost":
		return s
	}
	return "docker.io/" + s
}

// repository strips an image's tag and digest.
func repository(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// MatchImage reports whether a pattern matches the image, with or without
// its tag or digest, both as written and in canonical form (so "nginx",
// "docker.io/library/nginx" and "docker.io/library/nginx:*" all match
// "nginx:1.27").
func (p Patterns) MatchImage(image string) bool {
	if len(p) == 0 {
		return false
	}
	canon := canonicalImage(image)
	forms := [4]string{image, repository(image), canon, repository(canon)}
	for _, pat := range p {
		cpat := canonicalImage(pat)
		for _, f := range forms {
			if glob(pat, f) || glob(cpat, f) {
				return true
			}
		}
	}
	return false
}

// cleanPath normalises a host path for comparison.
func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean("/" + p)
}

// pathOverlaps reports whether mounting host path p exposes sensitive path
// s: p is s, lies inside s, or contains s.
func pathOverlaps(p, s string) bool {
	p, s = cleanPath(p), cleanPath(s)
	if p == s || p == "/" {
		return true
	}
	return strings.HasPrefix(p, s+"/") || strings.HasPrefix(s, p+"/")
}
