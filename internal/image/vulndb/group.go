package vulndb

import (
	"slices"
	"strings"

	"github.com/google/osv-scalibr/semantic"
	"github.com/kubeward/kubeward/internal/image/vuln"
)

// group merges the findings of one installed package that describe one
// flaw, as osv-scanner groups them: advisories sharing an identifier
// (their ids, aliases and upstream ids: GO-2022-1144 and
// GHSA-xrjj-mj9h-534m, DSA-5514-1 and DEBIAN-CVE-2023-4911) are one group.
// The group is named by the advisory with the most aliases (as
// osv-scanner's leader is the record with the most upstream ids), lists
// every other id as an alias, and keeps the graver rating and the highest
// fixed version any member publishes: upgrading to it clears every
// advisory of the group.
func group(fs []vuln.Finding) []vuln.Finding {
	type pkgKey struct{ eco, pkg, binary, installed, location string }
	byPkg := map[pkgKey][]int{}
	var order []pkgKey
	for i, f := range fs {
		k := pkgKey{f.Ecosystem, f.Package, f.Binary, f.Installed, f.Location}
		if _, ok := byPkg[k]; !ok {
			order = append(order, k)
		}
		byPkg[k] = append(byPkg[k], i)
	}
	out := make([]vuln.Finding, 0, len(fs))
	for _, k := range order {
		idx := byPkg[k]
		// Union-find over the findings of the package, joined by shared ids.
		parent := make([]int, len(idx))
		for i := range parent {
			parent[i] = i
		}
		var find func(int) int
		find = func(i int) int {
			if parent[i] != i {
				parent[i] = find(parent[i])
			}
			return parent[i]
		}
		claimed := map[string]int{}
		for i, fi := range idx {
			for _, id := range fs[fi].IDs() {
				if j, ok := claimed[id]; ok {
					a, b := find(i), find(j)
					parent[max(a, b)] = min(a, b)
				} else {
					claimed[id] = i
				}
			}
		}
		members := map[int][]vuln.Finding{}
		var roots []int
		for i, fi := range idx {
			r := find(i)
			if _, ok := members[r]; !ok {
				roots = append(roots, r)
			}
			members[r] = append(members[r], fs[fi])
		}
		for _, r := range roots {
			out = append(out, merge(members[r]))
		}
	}
	return out
}

// merge makes one finding of a group's findings.
func merge(g []vuln.Finding) vuln.Finding {
	if len(g) == 1 {
		return g[0]
	}
	slices.SortFunc(g, func(a, b vuln.Finding) int {
		if len(a.Aliases) != len(b.Aliases) {
			return len(b.Aliases) - len(a.Aliases)
		}
		return strings.Compare(a.ID, b.ID)
	})
	f := g[0]
	ids := map[string]bool{}
	f.Aliases = nil
	for _, m := range g {
		for _, id := range m.IDs() {
			if id != f.ID && !ids[id] {
				ids[id] = true
				f.Aliases = append(f.Aliases, id)
			}
		}
		r := rating{severity: m.Severity, score: m.CVSS, vector: m.CVSSVector}
		if r.better(rating{severity: f.Severity, score: f.CVSS, vector: f.CVSSVector}) {
			f.Severity, f.CVSS, f.CVSSVector, f.RatedBy = m.Severity, m.CVSS, m.CVSSVector, m.RatedBy
			if f.RatedBy == "" && m.ID != f.ID {
				f.RatedBy = m.ID
			}
		}
		if f.Summary == "" {
			f.Summary = m.Summary
		}
		f.Fixed = higherFix(f.Fixed, m.Fixed, f.Ecosystem)
	}
	cveFirst(f.Aliases)
	return f
}

// higherFix is the higher of two fixed versions under the ecosystem's
// rules; a fix beats none.
func higherFix(a, b, eco string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	va, err := semantic.Parse(a, eco)
	if err != nil {
		return a
	}
	if order, err := va.CompareStr(b); err == nil && order < 0 {
		return b
	}
	return a
}
