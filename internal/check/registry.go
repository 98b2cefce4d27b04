package check

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

// The registry is the one piece of package-level mutable state: checks add
// themselves from init functions, and docs, listings and runs read it.
var registry = struct {
	sync.RWMutex
	byID map[string]*Check
}{byID: map[string]*Check{}}

// Register adds checks. It panics on an invalid or duplicate check: that is a
// programming error caught by any test that links the check's package.
func Register(checks ...*Check) {
	registry.Lock()
	defer registry.Unlock()
	for _, c := range checks {
		if err := c.validate(); err != nil {
			panic(err)
		}
		if _, dup := registry.byID[c.ID]; dup {
			panic(fmt.Sprintf("check %s registered twice", c.ID))
		}
		registry.byID[c.ID] = c
	}
}

// All returns the registered checks sorted by category, then id.
func All() []*Check {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]*Check, 0, len(registry.byID))
	for _, c := range registry.byID {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Defaults returns the checks that run when a selection names none: every
// registered check but the opt-in ones.
func Defaults() []*Check {
	all := All()
	out := all[:0]
	for _, c := range all {
		if !c.OptIn {
			out = append(out, c)
		}
	}
	return out
}

// Get finds a check by id.
func Get(id string) (*Check, bool) {
	registry.RLock()
	defer registry.RUnlock()
	c, ok := registry.byID[id]
	return c, ok
}

// Select picks checks from the registry. include and exclude hold check ids,
// shell-style globs over ids ("pss-*"), or "category:NAME". An empty include
// means every check. A pattern that matches nothing is an error, so a typo in
// a CI configuration does not silently disable a gate. Opt-in checks are
// picked only by their exact id: a glob or a category never turns one on.
func Select(all []*Check, include, exclude []string) ([]*Check, error) {
	match := func(patterns []string) (map[string]bool, error) {
		hit := map[string]bool{}
		for _, p := range patterns {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			found := false
			for _, c := range all {
				if c.OptIn && p != c.ID {
					continue
				}
				if ok, err := matches(p, c); err != nil {
					return nil, err
				} else if ok {
					hit[c.ID] = true
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("no check matches %q (see `kubeward checks`)", p)
			}
		}
		return hit, nil
	}
	in, err := match(include)
	if err != nil {
		return nil, err
	}
	ex, err := match(exclude)
	if err != nil {
		return nil, err
	}
	var out []*Check
	for _, c := range all {
		if c.OptIn && !in[c.ID] {
			continue
		}
		if (len(in) == 0 || in[c.ID]) && !ex[c.ID] {
			out = append(out, c)
		}
	}
	return out, nil
}

func matches(pattern string, c *Check) (bool, error) {
	if cat, ok := strings.CutPrefix(pattern, "category:"); ok {
		return string(c.Category) == cat, nil
	}
	ok, err := path.Match(pattern, c.ID)
	if err != nil {
		return false, fmt.Errorf("bad check pattern %q: %w", pattern, err)
	}
	return ok, nil
}
