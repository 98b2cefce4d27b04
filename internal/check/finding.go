package check

import (
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
}

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
		return a.Object.String() < b.Object.String()
	})
}
