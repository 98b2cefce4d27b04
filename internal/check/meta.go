package check

import (
	"fmt"
	"regexp"
)

// Category groups checks for listing and filtering.
type Category string

const (
	CategoryPodSecurity  Category = "pod-security"
	CategoryWorkload     Category = "workload"
	CategorySecrets      Category = "secrets"
	CategoryImage        Category = "image"
	CategoryExposure     Category = "exposure"
	CategoryRBAC         Category = "rbac"
	CategoryNetwork      Category = "network"
	CategoryControlPlane Category = "control-plane"
	CategoryNode         Category = "node"
	CategoryCluster      Category = "cluster"
	CategoryPolicy       Category = "policy"
)

// Frameworks a check can implement. The names are stable: reports key on them.
const (
	FrameworkCIS   = "CIS Kubernetes Benchmark v1.12"
	FrameworkNSA   = "NSA/CISA Kubernetes Hardening Guide v1.2"
	FrameworkPSS   = "Pod Security Standards"
	FrameworkMITRE = "MITRE ATT&CK"
)

// Reference ties a check to a control of a published framework.
type Reference struct {
	Framework string `json:"framework"`
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	URL       string `json:"url,omitempty"`
}

func (r Reference) String() string {
	if r.Title != "" {
		return fmt.Sprintf("%s %s (%s)", r.Framework, r.ID, r.Title)
	}
	return r.Framework + " " + r.ID
}

// CIS, NSA and PSS build references tersely in check definitions.
func CIS(id, title string) Reference { return Reference{Framework: FrameworkCIS, ID: id, Title: title} }
func NSA(section string) Reference   { return Reference{Framework: FrameworkNSA, ID: section} }
func PSS(level, control string) Reference {
	return Reference{Framework: FrameworkPSS, ID: level, Title: control,
		URL: "https://kubernetes.io/docs/concepts/security/pod-security-standards/"}
}

// Meta describes a check for people: listings, explain, SARIF rules, docs.
type Meta struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Severity  Severity    `json:"severity"`
	Category  Category    `json:"category"`
	Rationale string      `json:"rationale"`
	Fix       string      `json:"fix"`
	Reads     []string    `json:"reads,omitempty"`
	Refs      []Reference `json:"references,omitempty"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (m *Meta) validate() error {
	switch {
	case !idPattern.MatchString(m.ID):
		return fmt.Errorf("check id %q is not a lower-case slug", m.ID)
	case m.Title == "" || m.Rationale == "" || m.Fix == "":
		return fmt.Errorf("check %s: title, rationale and fix are required", m.ID)
	case m.Severity <= SeverityUnknown || m.Severity > Critical:
		return fmt.Errorf("check %s: invalid severity", m.ID)
	case m.Category == "":
		return fmt.Errorf("check %s: category is required", m.ID)
	}
	return nil
}
