package image

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/inventory"
)

// Vulnerable reports known vulnerabilities in the images workloads run:
// the advisories of the OSV database that affect a package of the image
// (listed from an SBOM attestation the image policy trusts, else from the
// layers) and that the vulnerability policy does not pass. One finding per
// container and advisory, at the container's image line, rated as the
// advisory is.
//
// Reads: the image facts of spec.initContainers[*].image,
// spec.containers[*].image and spec.ephemeralContainers[*].image and of
// the digests live pods run
// (status.containerStatuses[*].imageID) (scan --images, the webhook). Active when
// vulnerabilities are asked for: scan --images, or an
// images.vulnerabilities section in the configuration.
// Allows: advisories rated below images.vulnerabilities.failOn (default
// high), unfixed ones with ignoreUnfixed, those an unexpired exception or
// an OpenVEX not_affected or fixed statement covers. An image whose
// packages could not all be looked up (its ecosystem is missing from the
// database, its layers could not be read) is reported as not judged,
// never passed; one with packages or files the analysis could not judge
// (a version its ecosystem's rules cannot compare, a file the package
// extractors could not read) or with no package found at all is a
// coverage gap (GapImageVulnerabilities);
// images the registry did not answer for are image-unverified's.
var Vulnerable = &check.Check{
	Meta: check.Meta{
		ID:       "image-vulnerable",
		Title:    "Image has known vulnerabilities",
		Severity: check.High,
		Category: check.CategoryImage,
		Rationale: "Most compromises of containers start with a known, published vulnerability in a package of " +
			"the image. The advisory names the package and the version that fixes it; running the vulnerable " +
			"version is a choice, and should be a recorded one.",
		Fix: "Upgrade the package to the fixed version, usually by rebuilding the image on an updated base. If the " +
			"vulnerable code cannot be reached, publish an OpenVEX statement (not_affected, with its justification) " +
			"or add an exception with a reason and an expiry under images.vulnerabilities.exceptions.",
		Reads: []string{"spec.containers[*].image", "spec.initContainers[*].image", "spec.ephemeralContainers[*].image", "status.containerStatuses[*].imageID (live pods)"},
		Refs:  []check.Reference{check.NSA("Pod security: building secure container images")},
	},
	Inventory: vulnerable,
	Needs:     inventory.WorkloadKinds,
	Images:    true,
	Active:    (*check.Options).VulnerabilitiesAsked,
}

func init() { check.Register(Vulnerable) }

// GapImageVulnerabilities: some packages of an image, or some of its
// files, could not be judged, so the image's vulnerability report is
// incomplete though its other packages were looked up. A gap, not a
// finding: one unreadable file would otherwise fail a pipeline as an
// unreadable image does; --fail-on-incomplete makes it fail.
const GapImageVulnerabilities = "image-vulnerabilities"

func vulnerable(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	policy := ctx.Options.Vulnerabilities
	notJudged := check.Critical
	if ctx.Options.ImageOnRegistryError == "warn" {
		notJudged = check.Medium
	}
	var out []check.Result
	for _, u := range withFacts(ctx, inv) {
		if u.facts.Error != "" {
			continue // image-unverified reports it
		}
		an, ok := u.facts.Analyses[vuln.AnalysisName]
		if !ok {
			continue // no vulnerability database: the scan reports the check as not run
		}
		rep, _ := an.Value.(*vuln.Report)
		if an.Error != "" || rep == nil {
			r := u.result(fmt.Sprintf("%sthe vulnerabilities of image %q were not judged: %s", u.container(), u.Image, bounded(an.Error)))
			r.Severity = notJudged
			out = append(out, r)
			continue
		}
		if len(rep.Missing) > 0 {
			r := u.result(fmt.Sprintf("%sthe vulnerabilities of image %q were not judged for %s", u.container(), u.Image, missing(rep.Missing)))
			r.Severity = notJudged
			r.Fix = "Fetch the missing ecosystems' advisories: kubeward images db update --ecosystem " + strings.Join(slices.Sorted(maps.Keys(rep.Missing)), ",")
			out = append(out, r)
		}
		// An image in which no package was found holds nothing to judge
		// (a binary without package metadata): unknown, not clean.
		if len(rep.Problems) > 0 || rep.Packages == 0 {
			// The reason is the gap's, the same for every image: the
			// problems themselves are in the image's facts.
			out = append(out, check.Result{Object: u.pod.Object, Pod: u.pod, Path: u.Path.Child("image"), Image: u.Image,
				Undecided: GapImageVulnerabilities,
				Message: "packages or files of an image could not be judged (a version its ecosystem's rules cannot compare, " +
					"a file the package extractors could not read, or no package found at all): " +
					"kubeward images --resolve -o json lists the problems and the packages counted"})
		}
		for _, v := range judged(ctx, policy, u.facts, u.Image, rep) {
			if v.Fails {
				out = append(out, advisoryResult(u, v))
			}
		}
	}
	return out
}

type judgedKey struct {
	facts *facts.Facts
	ref   string
}

// judged applies the policy to an image's report once per reference: many
// workloads run the same image.
func judged(ctx *check.Context, p *vuln.Policy, f *facts.Facts, ref string, rep *vuln.Report) []vuln.Verdict {
	return ctx.Memo(judgedKey{f, ref}, func() any {
		img := vuln.Image{Reference: ref, Repository: f.Name, Digest: f.Digest, PlatformDigest: rep.PlatformDigest}
		if _, arch, ok := strings.Cut(rep.Platform, "/"); ok {
			img.Architecture, _, _ = strings.Cut(arch, "/") // linux/arm64/v8: arm64
		}
		return p.Judge(img, rep.Findings)
	}).([]vuln.Verdict)
}

func advisoryResult(u factsUse, v vuln.Verdict) check.Result {
	pkg := v.Package + " " + v.Installed
	if v.Binary != "" {
		pkg = fmt.Sprintf("%s %s (binary %s)", v.Package, v.Installed, v.Binary)
	}
	fixed := "no fixed version is published"
	fix := "No fixed version of " + v.Package + " is published: remove the package if the image does not need it, " +
		"or record why it is safe (an OpenVEX statement, or an exception with an expiry)."
	if v.Fixed != "" {
		fixed = "fixed in " + v.Fixed
		fix = fmt.Sprintf("Upgrade %s to %s or later (rebuild the image on an updated base image or dependency).", v.PackageName(), v.Fixed)
	}
	rating := v.Rating.String()
	switch {
	case v.CVSS > 0:
		rating = fmt.Sprintf("%s, CVSS %.1f", v.Severity, v.CVSS)
	case v.Severity == vuln.Unrated:
		rating = "unrated, counted as " + v.Rating.String()
	}
	ids := v.ID
	if cve := v.CVE(); cve != v.ID {
		ids = cve + " (" + v.ID + ")"
	}
	msg := fmt.Sprintf("%simage %q: %s in %s, %s [%s]", u.container(), u.Image, ids, pkg, fixed, rating)
	if v.Location != "" {
		msg += " at " + bounded(v.Location)
	}
	if v.Summary != "" {
		msg += ": " + bounded(v.Summary)
	}
	if v.Note != "" {
		msg += " (" + bounded(v.Note) + ")"
	}
	r := u.result(msg)
	r.Severity = severity(v.Rating)
	r.Fix = fix
	return r
}

// severity maps an advisory's rating to a finding's severity.
func severity(s vuln.Severity) check.Severity {
	switch s {
	case vuln.Critical:
		return check.Critical
	case vuln.High:
		return check.High
	case vuln.Medium:
		return check.Medium
	}
	return check.Low
}

func missing(m map[string]int) string {
	parts := make([]string, 0, len(m))
	for eco, n := range m {
		parts = append(parts, fmt.Sprintf("%d %s packages", n, eco))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ") + ": the vulnerability database has no advisories of that ecosystem"
}
