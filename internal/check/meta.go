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
	CategoryMesh         Category = "service-mesh"
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

// CIS, NSA, PSS and MITRE build references tersely in check definitions.
func CIS(id, title string) Reference { return Reference{Framework: FrameworkCIS, ID: id, Title: title} }
func NSA(section string) Reference   { return Reference{Framework: FrameworkNSA, ID: section} }
func MITRE(technique, title string) Reference {
	return Reference{Framework: FrameworkMITRE, ID: technique, Title: title}
}
func PSS(level, control string) Reference {
	return Reference{Framework: FrameworkPSS, ID: level, Title: control,
		URL: "https://kubernetes.io/docs/concepts/security/pod-security-standards/"}
}

// Peer tools whose check ids kubeward lists, so that people switching from
// one find the matching check. The names are stable: reports key on them.
const (
	PeerTrivy      = "Trivy"
	PeerKubescape  = "kubescape"
	PeerPolaris    = "Polaris"
	PeerKubeLinter = "kube-linter"
)

// Peer names the check of another scanner that judges the same thing. Note
// says how kubeward's semantics deliberately differ, when they do.
type Peer struct {
	Tool string `json:"tool"`
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

func (p Peer) String() string { return p.Tool + " " + p.ID }

// Trivy, Kubescape, Polaris and KubeLinter build peer ids tersely: Trivy's
// KSV ids, kubescape's C- control ids, Polaris' and kube-linter's check names.
func Trivy(id string) Peer      { return Peer{Tool: PeerTrivy, ID: id} }
func Kubescape(id string) Peer  { return Peer{Tool: PeerKubescape, ID: id} }
func Polaris(id string) Peer    { return Peer{Tool: PeerPolaris, ID: id} }
func KubeLinter(id string) Peer { return Peer{Tool: PeerKubeLinter, ID: id} }

// Differs returns the peer with a note on how kubeward differs from it.
func (p Peer) Differs(note string) Peer { p.Note = note; return p }

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
	// Peers are the checks of other scanners this one matches.
	Peers []Peer `json:"peers,omitempty"`
	// OptIn checks run only when a selection names them by id (--checks,
	// checks.include): they judge by a policy many clusters do not hold.
	OptIn bool `json:"optIn,omitempty"`
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
	for _, p := range m.Peers {
		switch p.Tool {
		case PeerTrivy, PeerKubescape, PeerPolaris, PeerKubeLinter:
		default:
			return fmt.Errorf("check %s: unknown peer tool %q", m.ID, p.Tool)
		}
		if p.ID == "" {
			return fmt.Errorf("check %s: peer %s without an id", m.ID, p.Tool)
		}
	}
	return nil
}
