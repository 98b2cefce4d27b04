// Package listing is the image inventory of `kubeward images`: every image
// reference of the input with every place that uses it (object, container,
// file and line), its registry, repository, tag and digest, and, when the
// registries were read, what they said. It renders as a table or JSON.
package listing

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/distribution/reference"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/inventory"
)

// Image is one distinct reference, as the pod specs write it.
type Image struct {
	Reference string `json:"reference"`
	// Registry, Repository, Tag and Digest are the reference's parts, read
	// the way the kubelet reads them (nginx is docker.io/library/nginx,
	// pulled as latest). Invalid says why a reference does not parse.
	Registry   string `json:"registry,omitempty"`
	Repository string `json:"repository,omitempty"`
	Tag        string `json:"tag,omitempty"`
	TagImplied bool   `json:"tagImplied,omitempty"`
	Digest     string `json:"digest,omitempty"`
	Invalid    string `json:"invalid,omitempty"`
	// From is the OpenShift image trigger that writes the image from an
	// ImageStreamTag (a DeploymentConfig's ImageChange trigger, the
	// image.openshift.io/triggers annotation): the cluster resolves it to
	// a digest, so Reference names the tag (ImageStreamTag shop/web:latest)
	// and the reference's parts are unknown.
	From *inventory.ImageTrigger `json:"from,omitempty"`
	// Facts is what the registry said (digest, policy verdicts, analyses),
	// when it was read.
	Facts *facts.Facts `json:"facts,omitempty"`
	// Running are the digests running pods report for the reference
	// (status.containerStatuses[].imageID; cluster mode).
	Running []string `json:"running,omitempty"`
	// RunningFacts are what the registry said of the running digests the
	// reference no longer names (a tag that moved), by digest.
	RunningFacts map[string]*facts.Facts `json:"runningFacts,omitempty"`
	Uses         []Use                   `json:"uses"`
}

// Use is one container that runs the image, or the custom deployer of
// an OpenShift DeploymentConfig (ContainerKind customDeployer).
type Use struct {
	Object        inventory.Ref `json:"object"`
	Container     string        `json:"container"`
	ContainerKind string        `json:"containerKind"`
	Path          string        `json:"path"`
	// Written is what the manifest holds where an image trigger writes
	// the image (often a placeholder, " ").
	Written  *string `json:"written,omitempty"`
	File     string  `json:"file,omitempty"`
	Template string  `json:"template,omitempty"`
	Line     int     `json:"line,omitempty"`
	Column   int     `json:"column,omitempty"`
	Cluster  string  `json:"cluster,omitempty"`
}

// Build lists the images of the inventory's pod specs, ephemeral and
// init containers included; pods run by a controller in the inventory
// are counted through the controller, and lend it their running digests.
// An image an OpenShift image trigger will write is listed as its
// ImageStreamTag; a DeploymentConfig's custom deployer image is listed,
// as OpenShift runs it in a pod of each rollout.
func Build(inv *inventory.Inventory, set *facts.Set) []*Image {
	byRef := map[string]*Image{}
	running := inv.RunningImages()
	add := func(ref string, make func() *Image) *Image {
		im := byRef[ref]
		if im == nil {
			im = make()
			byRef[ref] = im
		}
		return im
	}
	for _, p := range inv.Pods() {
		cs := p.Containers()
		paths := make([]*fieldpath.Path, len(cs), len(cs)+1)
		for i, c := range cs {
			paths[i] = c.Path.Child("image")
		}
		deployer, deployerPath := p.Object.DeployerImage()
		if deployer != "" {
			paths = append(paths, deployerPath)
		}
		pos := p.Object.Locate(paths)
		src := p.Object.Source
		use := func(i int, container, kind string) Use {
			return Use{
				Object: p.Object.Ref, Container: container, ContainerKind: kind, Path: paths[i].String(),
				File: src.File, Template: src.Template, Line: pos[i].Line, Column: pos[i].Column, Cluster: src.Cluster,
			}
		}
		for i, c := range cs {
			if t := p.PendingImageTrigger(c.Container); t != nil {
				im := add("\x00"+t.String(), func() *Image { return &Image{Reference: t.String(), From: t} })
				u := use(i, c.Name, c.Kind)
				u.Written = &c.Image
				im.Uses = append(im.Uses, u)
				continue
			}
			if c.Image == "" {
				continue
			}
			im := add(c.Image, func() *Image {
				im := parse(c.Image)
				if f, ok := set.Lookup(c.Image); ok {
					im.Facts = f
				}
				return im
			})
			for _, ref := range running[inventory.RunningKey{Object: p.Object, Container: c.Name}] {
				_, d, _ := strings.Cut(ref, "@")
				if slices.Contains(im.Running, d) {
					continue
				}
				im.Running = append(im.Running, d)
				if f, ok := set.Lookup(ref); ok && (im.Facts == nil || im.Facts.Digest != d) {
					if im.RunningFacts == nil {
						im.RunningFacts = map[string]*facts.Facts{}
					}
					im.RunningFacts[d] = f
				}
			}
			sort.Strings(im.Running)
			im.Uses = append(im.Uses, use(i, c.Name, c.Kind))
		}
		if deployer != "" {
			im := add(deployer, func() *Image {
				im := parse(deployer)
				if f, ok := set.Lookup(deployer); ok {
					im.Facts = f
				}
				return im
			})
			im.Uses = append(im.Uses, use(len(paths)-1, "", "customDeployer"))
		}
	}
	out := make([]*Image, 0, len(byRef))
	for _, im := range byRef {
		out = append(out, im)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference < out[j].Reference })
	return out
}

func parse(ref string) *Image {
	im := &Image{Reference: ref}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		im.Invalid = err.Error()
		return im
	}
	im.Registry, im.Repository = reference.Domain(named), reference.Path(named)
	if t, ok := named.(reference.Tagged); ok {
		im.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		im.Digest = d.Digest().String()
	}
	if im.Tag == "" && im.Digest == "" {
		im.Tag, im.TagImplied = "latest", true
	}
	return im
}

// WriteJSON writes the list as one JSON document.
func WriteJSON(w io.Writer, images []*Image) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Images []*Image `json:"images"`
	}{images})
}

// WriteTable writes one row per image, its first use at the end of the
// row and further uses on the rows below; VERDICT is shown when the
// registries were read.
func WriteTable(w io.Writer, images []*Image) error {
	resolved := false
	for _, im := range images {
		resolved = resolved || im.Facts != nil || len(im.RunningFacts) > 0
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "IMAGE\tREGISTRY\tREPOSITORY\tTAG\tDIGEST\t"
	if resolved {
		head += "VERDICT\t"
	}
	fmt.Fprintln(tw, head+"USED BY")
	for _, im := range images {
		cells := []string{im.Reference, "-", "-", "-", "-"}
		switch {
		case im.From != nil:
			cells[4] = "set by OpenShift"
		case im.Invalid != "":
			cells[4] = "invalid reference"
		default:
			tag := im.Tag
			if im.TagImplied {
				tag = "(latest)"
			}
			cells = []string{im.Reference, im.Registry, im.Repository, or(tag, "-"), digest(im)}
		}
		if resolved {
			v := verdict(im.Facts)
			for _, d := range im.Running {
				if f, ok := im.RunningFacts[d]; ok {
					v += "; running " + short(d) + ": " + verdict(f)
				}
			}
			cells = append(cells, v)
		}
		for i, u := range im.Uses {
			if i > 0 {
				cells = make([]string, len(cells))
			}
			what := fmt.Sprintf("%s[%s]", u.ContainerKind, u.Container)
			if u.Container == "" {
				what = u.ContainerKind
			}
			fmt.Fprintln(tw, strings.Join(append(cells, fmt.Sprintf("%s %s %s", u.Object, what, where(u))), "\t"))
		}
	}
	return tw.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func short(d string) string {
	if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return d
}

// digest shows the pinned digest, or the one the tag resolved to.
func digest(im *Image) string {
	switch {
	case im.Digest != "":
		return short(im.Digest)
	case im.Facts != nil && im.Facts.Digest != "":
		return short(im.Facts.Digest) + " (resolved)"
	case len(im.Running) > 0:
		return short(im.Running[0]) + " (running)"
	}
	return "-"
}

// verdict sums up what the registry and the policies said.
func verdict(f *facts.Facts) string {
	if f == nil {
		return "-"
	}
	if f.Error != "" {
		return "unreadable"
	}
	var out []string
	for i := range f.Signatures {
		v := &f.Signatures[i]
		switch {
		case v.Trusted():
			out = append(out, "signed")
		case v.Worst() == "":
			out = append(out, "unsigned")
		default:
			out = append(out, string(v.Worst())+" signature")
		}
	}
	for i := range f.Attestations {
		a := &f.Attestations[i]
		if !a.Passed() {
			out = append(out, a.Name+" missing or failing")
		}
	}
	if a, ok := f.Analyses[vuln.AnalysisName]; ok {
		out = append(out, vulnerabilities(a))
	}
	if len(out) == 0 {
		if len(f.Policies) == 0 {
			return "no policy"
		}
		return "passes"
	}
	return strings.Join(out, ", ")
}

// vulnerabilities counts the advisories matched, by rating, worst first,
// and says when the report is incomplete: packages of an ecosystem the
// database lacks, packages and files that could not be judged, or no
// package found at all.
func vulnerabilities(a facts.Analysis) string {
	rep, ok := a.Value.(*vuln.Report)
	if !ok {
		return "vulnerabilities not judged"
	}
	if rep.Packages == 0 {
		return "vulnerabilities unknown: no package found"
	}
	s := advisories(rep)
	if n := len(rep.Problems) + len(rep.Missing); n > 0 {
		noun := "problems"
		if n == 1 {
			noun = "problem"
		}
		s += fmt.Sprintf(", incomplete (%d %s: -o json lists them)", n, noun)
	}
	return s
}

func advisories(rep *vuln.Report) string {
	if len(rep.Findings) == 0 {
		return "no known vulnerability"
	}
	var by [vuln.Critical + 1]int
	for i := range rep.Findings {
		by[rep.Findings[i].Severity]++
	}
	var parts []string
	for s := vuln.Critical; ; s-- {
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], s))
		}
		if s == vuln.Unrated {
			break
		}
	}
	noun := "advisories"
	if len(rep.Findings) == 1 {
		noun = "advisory"
	}
	return fmt.Sprintf("%d %s (%s)", len(rep.Findings), noun, strings.Join(parts, ", "))
}

func where(u Use) string {
	switch {
	case u.File != "" && u.Line > 0:
		if u.Template != "" {
			return fmt.Sprintf("%s (%s):%d", u.File, u.Template, u.Line)
		}
		return fmt.Sprintf("%s:%d", u.File, u.Line)
	case u.File != "":
		return u.File
	case u.Cluster != "":
		return "cluster " + u.Cluster
	}
	return ""
}
