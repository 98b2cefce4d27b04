// Package framework holds compliance frameworks as data (CIS Kubernetes
// Benchmark, NSA/CISA hardening guide, Pod Security Standards, MITRE
// ATT&CK): each control is decided by checks or marked manual with the
// reason no check can decide it. Results and scores are computed from a
// scan's findings and coverage, never kept by hand.
package framework

import (
	"embed"
	"fmt"
	"path"
	"sort"

	"sigs.k8s.io/yaml"
)

//go:embed data/*.yaml
var data embed.FS

// Framework is a published framework as kubeward decides it.
type Framework struct {
	// ID selects the framework (--framework cis-1.12).
	ID          string `json:"id"`
	Title       string `json:"title"`
	Version     string `json:"version"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// Peers are the names other scanners give the same framework
	// (trivy: k8s-cis, kubescape: cis-v1.12.0).
	Peers map[string]string `json:"peers,omitempty"`
	// PSSLevel is the Pod Security level the framework's controls are
	// judged at, when it names one: the checks of the other level step
	// aside for it.
	PSSLevel string    `json:"pssLevel,omitempty"`
	Controls []Control `json:"controls"`
}

// Control is one control: the checks that decide it, or the reason it is
// manual.
type Control struct {
	// ID is the control's id as the framework (or, where the framework has
	// none, Trivy's compliance report) names it.
	ID      string `json:"id"`
	Title   string `json:"title"`
	Section string `json:"section,omitempty"`
	// Description is the control's requirement, where the title alone
	// does not say it.
	Description string `json:"description,omitempty"`
	// Kubescape and Trivy are those tools' ids for the same control, where
	// they have one.
	Kubescape string   `json:"kubescape,omitempty"`
	Trivy     string   `json:"trivy,omitempty"`
	Checks    []string `json:"checks,omitempty"`
	// Related are checks that name the control but do not decide it:
	// they judge how well it is met (a shadowed NetworkPolicy rule), not
	// whether.
	Related []string `json:"related,omitempty"`
	// Manual says why no check decides the control.
	Manual string `json:"manual,omitempty"`
}

// IDs lists the frameworks' ids, sorted.
func IDs() []string {
	entries, err := data.ReadDir("data")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name()[:len(e.Name())-len(path.Ext(e.Name()))])
	}
	sort.Strings(ids)
	return ids
}

// Get reads the framework with this id.
func Get(id string) (*Framework, error) {
	raw, err := data.ReadFile("data/" + id + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown framework %q (one of %v)", id, IDs())
	}
	var fw Framework
	if err := yaml.UnmarshalStrict(raw, &fw); err != nil {
		return nil, fmt.Errorf("framework %s: %w", id, err)
	}
	if fw.ID != id {
		return nil, fmt.Errorf("framework file %s.yaml holds id %q", id, fw.ID)
	}
	return &fw, nil
}

// All reads every framework.
func All() ([]*Framework, error) {
	var out []*Framework
	for _, id := range IDs() {
		fw, err := Get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, fw)
	}
	return out, nil
}

// Checks lists the ids of the checks that decide some control, in the
// order they first appear.
func (fw *Framework) Checks() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range fw.Controls {
		for _, id := range c.Checks {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Counts are the numbers of controls decided by checks and manual.
func (fw *Framework) Counts() (decided, manual int) {
	for _, c := range fw.Controls {
		if len(c.Checks) > 0 {
			decided++
		} else {
			manual++
		}
	}
	return decided, manual
}
