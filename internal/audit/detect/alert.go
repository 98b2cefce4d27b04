package detect

import (
	"time"

	"github.com/kubeward/kubeward/internal/check"
)

// Alert is one detection, ready for sinks. It carries no request or
// response body and no credential: messages and details are built from
// names, never from values.
type Alert struct {
	Time             time.Time         `json:"time"`
	Rule             string            `json:"rule"`
	Title            string            `json:"title"`
	Severity         check.Severity    `json:"severity"`
	MITRE            []Technique       `json:"mitre"`
	Message          string            `json:"message"`
	User             string            `json:"user,omitempty"`
	Groups           []string          `json:"groups,omitempty"`
	ImpersonatedUser string            `json:"impersonatedUser,omitempty"`
	SourceIPs        []string          `json:"sourceIPs,omitempty"`
	UserAgent        string            `json:"userAgent,omitempty"`
	Verb             string            `json:"verb,omitempty"`
	RequestURI       string            `json:"requestURI,omitempty"`
	Object           *Object           `json:"object,omitempty"`
	Code             int32             `json:"code,omitempty"`
	Decision         string            `json:"decision,omitempty"`
	AuditID          string            `json:"auditID,omitempty"`
	Details          map[string]string `json:"details,omitempty"`
	Fix              string            `json:"fix"`
	// Count is how many occurrences this alert stands for: 1, or the
	// number of duplicates a rate-limited summary reports.
	Count int `json:"count"`
	// FirstSeen and LastSeen span the duplicates of a summary.
	FirstSeen *time.Time `json:"firstSeen,omitempty"`
	LastSeen  *time.Time `json:"lastSeen,omitempty"`
	// Objects lists (some of) the targets of a summary's duplicates.
	Objects []string `json:"objects,omitempty"`
	// Source is where the event was read (file:line), when known.
	Source string `json:"source,omitempty"`

	// The node agent's alerts: the node, the workload (kind/name) of the
	// pod (Object), and the process.
	Node     string   `json:"node,omitempty"`
	Workload string   `json:"workload,omitempty"`
	Process  *Process `json:"process,omitempty"`
}

// Process is the process a node agent's alert is about. Its command line
// is redacted (RedactCommand).
type Process struct {
	PID         uint32   `json:"pid"`
	PPID        uint32   `json:"ppid,omitempty"`
	UID         uint32   `json:"uid"`
	Comm        string   `json:"comm"`
	Executable  string   `json:"executable,omitempty"`
	Args        []string `json:"args,omitempty"`
	Container   string   `json:"container,omitempty"`
	ContainerID string   `json:"containerID,omitempty"`
	Image       string   `json:"image,omitempty"`
	ImageID     string   `json:"imageID,omitempty"`
}

// Object is the target of the request.
type Object struct {
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
}

// String renders the object as resource[/subresource] namespace/name.
func (o *Object) String() string {
	if o == nil {
		return ""
	}
	s := o.Resource
	if o.APIGroup != "" {
		s += "." + o.APIGroup
	}
	if o.Subresource != "" {
		s += "/" + o.Subresource
	}
	if o.Namespace != "" {
		return s + " " + o.Namespace + "/" + o.Name
	}
	return s + " " + o.Name
}

// Identity is who an alert is about, for rate limiting: the authenticated
// user, the source address of an unauthenticated request, or the workload
// of the node agent's alerts.
func (a *Alert) Identity() string {
	if a.User != "" {
		return a.User
	}
	if len(a.SourceIPs) > 0 {
		return a.SourceIPs[0]
	}
	return a.Workload
}
