// Package vuln holds what kubeward knows about an image's known
// vulnerabilities, independent of where it was learnt: the findings that
// internal/image/vulndb matches from the OSV database, and the policy that
// decides which of them fail (severity, unfixed advisories, exceptions with
// a reason and an expiry, OpenVEX statements). It depends on no scanner or
// database, so the check engine and the configuration can import it.
package vuln

import (
	"fmt"
	"slices"
	"strings"
)

// Severity is an advisory's qualitative rating, in CVSS v3/v4 bands. Unrated
// means no rating was found for the advisory or any of its aliases.
type Severity uint8

const (
	Unrated Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"unrated", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) >= len(severityNames) {
		return "unrated"
	}
	return severityNames[s]
}

// ParseSeverity reads a rating in any case. "moderate" (GitHub's word) is
// medium, "important" (Red Hat's and Ubuntu's) is high, "negligible" (Ubuntu)
// and "unimportant" (Debian) are low.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return Critical, nil
	case "high", "important":
		return High, nil
	case "medium", "moderate":
		return Medium, nil
	case "low", "negligible", "unimportant":
		return Low, nil
	case "unrated", "unknown", "none":
		return Unrated, nil
	}
	return Unrated, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one advisory affecting one package of an image.
type Finding struct {
	// ID is the OSV identifier (DEBIAN-CVE-2024-1234, GHSA-..., GO-2024-...).
	ID string `json:"id"`
	// Aliases are the other identifiers of the same flaw (CVE ids first),
	// from the advisory's aliases and upstream lists.
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	// Severity is the advisory's rating; CVSS and CVSSVector are set when it
	// came from a CVSS vector. RatedBy names the alias whose rating was
	// borrowed when the advisory itself has none.
	Severity   Severity `json:"severity"`
	CVSS       float64  `json:"cvss,omitempty"`
	CVSSVector string   `json:"cvssVector,omitempty"`
	RatedBy    string   `json:"ratedBy,omitempty"`
	// Package is the name the advisory knows the package by (for Debian and
	// Alpine, the source package); Binary is the installed package's own
	// name when it differs.
	Package   string `json:"package"`
	Binary    string `json:"binary,omitempty"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl,omitempty"`
	Installed string `json:"installed"`
	// Fixed is the lowest fixed version above the installed one; empty when
	// no fix is published.
	Fixed string `json:"fixed,omitempty"`
	// Location is where in the image the package was found.
	Location string `json:"location,omitempty"`
}

// IDs are the advisory's id followed by its aliases.
func (f *Finding) IDs() []string { return append([]string{f.ID}, f.Aliases...) }

// CVE is the first CVE id among the id and aliases, or the id.
func (f *Finding) CVE() string {
	for _, id := range f.IDs() {
		if strings.HasPrefix(id, "CVE-") {
			return id
		}
	}
	return f.ID
}

// PackageName is the installed package's name.
func (f *Finding) PackageName() string {
	if f.Binary != "" {
		return f.Binary
	}
	return f.Package
}

// SortFindings orders findings by severity (worst first), then package,
// then advisory id, so reports and tests are stable.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if c := strings.Compare(a.PackageName(), b.PackageName()); c != 0 {
			return c
		}
		if c := strings.Compare(a.Location, b.Location); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// AnalysisName is the key of the vulnerability analysis in the image
// facts (facts.Facts.Analyses); its value is a *Report.
const AnalysisName = "vulnerabilities"

// Report is what is known about one image's vulnerabilities.
type Report struct {
	// Source is where the package list came from: "layers", or
	// "attestation" and the SBOM's predicate type.
	Source string `json:"source,omitempty"`
	// Packages counts the packages listed; Matched those looked up.
	Packages int       `json:"packages"`
	Matched  int       `json:"matched"`
	Findings []Finding `json:"findings"`
	// Missing are ecosystems of the image that the database has no archive
	// for, with the count of packages that were therefore not looked up.
	Missing map[string]int `json:"missing,omitempty"`
	// Problems are packages or advisories that could not be judged (a
	// version the ecosystem's rules cannot read, a damaged archive), and
	// files the package extractors could not read.
	Problems []string `json:"problems,omitempty"`
	// Unidentified counts packages of no known OSV ecosystem (an OS
	// without /etc/os-release, a binary without a package manager).
	Unidentified int `json:"unidentified,omitempty"`
	// Platform is the platform of the image whose layers were read
	// (linux/amd64), and PlatformDigest its manifest's digest when the
	// image's digest names a multi-platform index; both empty when the
	// packages came from an SBOM attestation.
	Platform       string `json:"platform,omitempty"`
	PlatformDigest string `json:"platformDigest,omitempty"`
}

// Complete reports whether every package with an ecosystem was looked up.
func (r *Report) Complete() bool { return len(r.Missing) == 0 && len(r.Problems) == 0 }
