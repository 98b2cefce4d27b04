package check

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sort"

	"github.com/kubeward/kubeward/internal/inventory"
)

// Finding is one problem found in one object: the unit every report renders
// and the gate counts. It never holds a secret's value.
type Finding struct {
	CheckID  string           `json:"check"`
	Title    string           `json:"title"`
	Severity Severity         `json:"severity"`
	Category Category         `json:"category"`
	Object   inventory.Ref    `json:"object"`
	Source   inventory.Source `json:"source"`
	Path     string           `json:"path,omitempty"`
	// Image is the image reference the finding is about (image checks).
	Image    string             `json:"image,omitempty"`
	Position inventory.Position `json:"position"`
	Message  string             `json:"message"`
	Fix      string             `json:"fix"`
	// Suppression is set when a suppression matched. An expired one does not
	// suppress: the finding fires again and says so.
	Suppression *SuppressionStatus `json:"suppression,omitempty"`
	// Vendored marks a finding in code the user does not own (a chart's
	// dependency, a path the configuration names as vendored): reported
	// apart and outside the gate unless asked.
	Vendored bool `json:"vendored,omitempty"`
	// Folded are the findings of other checks about the same root cause on
	// the same object, which this one speaks for (see Fold). Each keeps its
	// own fingerprint, so a baseline can still find it.
	Folded []Finding `json:"folded,omitempty"`
	// Elsewhere are the other places that hold this finding: the same
	// fingerprint from other files (see Group).
	Elsewhere []Finding `json:"elsewhere,omitempty"`

	// From the result: see Result.Cause, Result.Facet and Result.Leads.
	cause, facet string
	leads        bool
}

// Fingerprint identifies a finding across runs: the check, the object (by
// API group, kind, namespace and name, not version, so an apiVersion upgrade
// keeps it, OpenShift's legacy "v1" DeploymentConfig's moved to
// apps.openshift.io/v1 included: Ref.GroupKind), the field path and, for live objects, the cluster. It does not
// depend on the file, the line or the message, so moving a manifest keeps
// its findings. Suppressions, baselines and SARIF alerts rely on it: never
// change the recipe.
func (f *Finding) Fingerprint() string {
	h := sha256.New()
	for _, s := range []string{f.CheckID, f.Object.GroupKind().Group, f.Object.Kind,
		f.Object.Namespace, f.Object.Name, f.Path, f.Source.Cluster} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Places counts where the finding is: its own place and the others that
// hold it.
func (f *Finding) Places() int { return 1 + len(f.Elsewhere) }

// SuppressionStatus tells which suppression matched a finding.
type SuppressionStatus struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
	// Origin is the annotation key, or the config file and entry index.
	Origin  string `json:"origin"`
	Expired bool   `json:"expired,omitempty"`
}

// Suppressed reports whether the finding is suppressed (and not expired).
func (f *Finding) Suppressed() bool { return f.Suppression != nil && !f.Suppression.Expired }

// SortFindings orders findings by file, position, check and object.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		if a.Source.Document != b.Source.Document {
			return a.Source.Document < b.Source.Document
		}
		if a.Position.Line != b.Position.Line {
			return a.Position.Line < b.Position.Line
		}
		if a.Position.Column != b.Position.Column {
			return a.Position.Column < b.Position.Column
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		// Equal refs print alike; most findings of a run share few
		// objects, and printing them allocates.
		return a.Object != b.Object && a.Object.String() < b.Object.String()
	})
}
