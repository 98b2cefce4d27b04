package image

import (
	"fmt"
	"strings"
)

// allowlist is Options.AllowedRegistries, parsed. An entry is a registry
// host ("ghcr.io", "registry.example.com:5000"), a host and path prefix
// ("ghcr.io/acme", "docker.io/library"), or a host wildcard for any
// subdomain ("*.dkr.ecr.eu-west-1.amazonaws.com"). Prefixes match whole path
// segments: ghcr.io/acme allows ghcr.io/acme/app, not ghcr.io/acme-evil/app.
type allowlist []pattern

type pattern struct {
	host     string // lower case, with port; without "*." for wildcards
	wildcard bool
	path     string // "" for a host-only entry
	raw      string
}

// ValidateAllowedRegistry reports whether s is a valid allowlist entry (of
// allowedRegistries or privateRegistries); the CLI rejects a configuration
// file holding an invalid one before scanning.
func ValidateAllowedRegistry(s string) error {
	_, err := parsePattern(s)
	return err
}

func parsePattern(s string) (pattern, error) {
	raw := s
	s = strings.TrimSpace(s)
	for _, scheme := range []string{"https://", "http://"} {
		s = strings.TrimPrefix(s, scheme)
	}
	s = strings.TrimRight(s, "/")
	if s == "" {
		return pattern{}, fmt.Errorf("registry %q is empty", raw)
	}
	if strings.ContainsAny(s, " \t@") || strings.Contains(s, "//") {
		return pattern{}, fmt.Errorf("registry %q is not a registry host or host/path prefix", raw)
	}
	host, path, _ := strings.Cut(s, "/")
	// Repository paths are lower case in every valid reference.
	p := pattern{host: strings.ToLower(host), path: strings.ToLower(path), raw: raw}
	if rest, ok := strings.CutPrefix(p.host, "*."); ok {
		p.host, p.wildcard = rest, true
	}
	if p.host == "" || strings.Contains(p.host, "*") || strings.Contains(path, "*") {
		return pattern{}, fmt.Errorf("registry %q: only a leading *. in the host is a wildcard", raw)
	}
	switch p.host {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		p.host = "docker.io" // what image references normalise to
	}
	return p, nil
}

// parseAllowlist parses the entries, leaving out invalid ones (the
// configuration loader reports those through ValidateAllowedRegistry).
func parseAllowlist(entries []string) allowlist {
	var out allowlist
	for _, e := range entries {
		if p, err := parsePattern(e); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// allows reports whether the reference's registry and repository match an
// entry.
func (a allowlist) allows(r ref) bool {
	host := strings.ToLower(r.Domain)
	for _, p := range a {
		if p.wildcard {
			if !strings.HasSuffix(host, "."+p.host) {
				continue
			}
		} else if host != p.host {
			continue
		}
		if p.path == "" || r.Path == p.path || strings.HasPrefix(r.Path, p.path+"/") {
			return true
		}
	}
	return false
}

// String lists the entries for a message, the first few of a long list.
func (a allowlist) String() string {
	const shown = 5
	var raw []string
	for i, p := range a {
		if i == shown {
			raw = append(raw, fmt.Sprintf("and %d more", len(a)-shown))
			break
		}
		raw = append(raw, strings.TrimSpace(p.raw))
	}
	return strings.Join(raw, ", ")
}
