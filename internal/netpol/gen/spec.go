// Package gen writes NetworkPolicies: a default deny per namespace (with
// DNS to kube-dns) and least-privilege allows from a declared list of wanted
// connections, then proves with the engine that the written policies allow
// exactly the declared connections plus DNS.
package gen

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/kubeward/kubeward/internal/netpol"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// APIVersion and Kind of the connection file.
const (
	APIVersion = "kubeward.dev/v1alpha1"
	Kind       = "Connectivity"
)

// Spec is the connection file:
//
//	apiVersion: kubeward.dev/v1alpha1
//	kind: Connectivity
//	namespaces: [shop]          # where to write default-deny; default: every namespace with workloads, less kube-*
//	dns: true                   # allow DNS to kube-dns from every pod in scope (default true)
//	connections:
//	- from: {namespace: shop, workload: Deployment/web}
//	  to:   {namespace: shop, workload: api}
//	  ports: ["8080", "9000-9100/TCP", "metrics"]
//	- from: {namespace: shop, podSelector: {matchLabels: {app: api}}}
//	  to:   {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}
//	  ports: ["443"]
type Spec struct {
	APIVersion  string       `json:"apiVersion"`
	Kind        string       `json:"kind"`
	Namespaces  []string     `json:"namespaces,omitempty"`
	DNS         *bool        `json:"dns,omitempty"`
	Connections []Connection `json:"connections"`
}

// Connection is one wanted connection: from opens connections to to on ports.
type Connection struct {
	From  Peer     `json:"from"`
	To    Peer     `json:"to"`
	Ports []string `json:"ports,omitempty"` // PORT[/PROTO], LO-HI[/PROTO], NAME[/PROTO]; empty: all ports
}

// Peer is one side of a connection: pods of a namespace (a workload, the
// pods a selector matches, or all of them), or an address range.
type Peer struct {
	Namespace   string                `json:"namespace,omitempty"`
	Workload    string                `json:"workload,omitempty"` // NAME or Kind/NAME
	PodSelector *metav1.LabelSelector `json:"podSelector,omitempty"`
	CIDR        string                `json:"cidr,omitempty"`
	Except      []string              `json:"except,omitempty"`
}

func (p Peer) isCIDR() bool { return p.CIDR != "" }

func (p Peer) String() string {
	switch {
	case p.isCIDR() && len(p.Except) > 0:
		return p.CIDR + " except " + strings.Join(p.Except, ",")
	case p.isCIDR():
		return p.CIDR
	case p.Workload != "":
		return p.Namespace + "/" + p.Workload
	case p.PodSelector != nil:
		return p.Namespace + "/{" + metav1.FormatLabelSelector(p.PodSelector) + "}"
	}
	return p.Namespace + "/*"
}

// DNSEnabled reports whether DNS egress is generated (the default).
func (s *Spec) DNSEnabled() bool { return s.DNS == nil || *s.DNS }

// Parse reads and checks a connection file. Errors name the connection and
// field.
func Parse(data []byte) (*Spec, error) {
	var s Spec
	if err := yaml.UnmarshalStrict(bytes.TrimSpace(data), &s); err != nil {
		return nil, fmt.Errorf("connection file: %w", err)
	}
	if s.APIVersion != APIVersion || s.Kind != Kind {
		return nil, fmt.Errorf("connection file: want apiVersion %s and kind %s, got %q and %q", APIVersion, Kind, s.APIVersion, s.Kind)
	}
	var errs []error
	for i, c := range s.Connections {
		at := fmt.Sprintf("connections[%d]", i)
		errs = append(errs, c.From.check(at+".from"), c.To.check(at+".to"))
		if c.From.isCIDR() && c.To.isCIDR() {
			errs = append(errs, fmt.Errorf("%s: from and to are both address ranges; NetworkPolicy governs pods only", at))
		}
		for j, p := range c.Ports {
			spec, err := netpol.ParsePortSpec(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.ports[%d]: %w", at, j, err))
			} else if spec.Name != "" && c.To.isCIDR() {
				errs = append(errs, fmt.Errorf("%s.ports[%d]: named port %q cannot be resolved for an address range", at, j, p))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("connection file: %w", err)
	}
	return &s, nil
}

func (p Peer) check(at string) error {
	if p.isCIDR() {
		if p.Namespace != "" || p.Workload != "" || p.PodSelector != nil {
			return fmt.Errorf("%s: cidr may not be combined with namespace, workload or podSelector", at)
		}
		cidr, err := netip.ParsePrefix(p.CIDR)
		if err != nil {
			return fmt.Errorf("%s.cidr: %w", at, err)
		}
		if cidr != cidr.Masked() {
			return fmt.Errorf("%s.cidr: %s has bits set beyond the prefix length (did you mean %s?)", at, p.CIDR, cidr.Masked())
		}
		for i, e := range p.Except {
			ex, err := netip.ParsePrefix(e)
			if err != nil {
				return fmt.Errorf("%s.except[%d]: %w", at, i, err)
			}
			if ex != ex.Masked() || ex.Addr().Is4() != cidr.Addr().Is4() || !cidr.Contains(ex.Addr()) || ex.Bits() <= cidr.Bits() {
				return fmt.Errorf("%s.except[%d]: %s must be a strict subset of cidr %s", at, i, e, p.CIDR)
			}
		}
		return nil
	}
	if len(p.Except) > 0 {
		return fmt.Errorf("%s: except needs a cidr", at)
	}
	if p.Namespace == "" {
		return fmt.Errorf("%s: namespace or cidr is required", at)
	}
	if msgs := validation.IsDNS1123Label(p.Namespace); len(msgs) > 0 {
		return fmt.Errorf("%s.namespace: %q is not a namespace name: %s", at, p.Namespace, strings.Join(msgs, "; "))
	}
	if p.Workload != "" && p.PodSelector != nil {
		return fmt.Errorf("%s: give workload or podSelector, not both", at)
	}
	if p.PodSelector != nil {
		if _, err := metav1.LabelSelectorAsSelector(p.PodSelector); err != nil {
			return fmt.Errorf("%s.podSelector: %w", at, err)
		}
	}
	return nil
}
