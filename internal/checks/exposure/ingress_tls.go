package exposure

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	extensionsv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// IngressWithoutTLS reports Ingress rules whose host no TLS entry covers,
// so the controller serves them over plain HTTP only.
//
// Reads: spec.rules[*].host, spec.tls[*].hosts, spec.defaultBackend
// (spec.backend in v1beta1), and annotations that terminate TLS at a cloud
// load balancer: alb.ingress.kubernetes.io/certificate-arn or an HTTPS
// listen-ports entry (AWS), ingress.gcp.kubernetes.io/pre-shared-cert and
// networking.gke.io/managed-certificates (Google Cloud),
// appgw.ingress.kubernetes.io/appgw-ssl-certificate (Azure).
// Allows: a host listed in a TLS entry, a host matched by a wildcard TLS
// host one label deep (*.example.com covers a.example.com), any host when a
// TLS entry lists no hosts (the controller's default certificate), and
// Ingresses with one of the annotations above. A rule without a host is
// covered only by a TLS entry without hosts.
var IngressWithoutTLS = &check.Check{
	Meta: check.Meta{
		ID:       "ingress-without-tls",
		Title:    "Ingress serves a host without TLS",
		Severity: check.Medium,
		Category: check.CategoryExposure,
		Rationale: "Without TLS, credentials, session cookies and data cross the network in clear text, and " +
			"anyone on the path can read or change them.",
		Fix: "Add a spec.tls entry listing the host with a certificate Secret (cert-manager can issue one from " +
			"an annotation), or terminate TLS at the cloud load balancer with its certificate annotation.",
		Reads: []string{"spec.rules[*].host", "spec.tls[*].hosts", "spec.defaultBackend", "metadata.annotations"},
		Refs:  []check.Reference{check.NSA("Network separation and hardening: encryption")},
		Peers: []check.Peer{check.Polaris("tlsSettingsMissing"), check.Kubescape("C-0263")},
	},
	Object: ingressWithoutTLS,
	Kinds: []schema.GroupKind{inventory.KindIngress,
		{Group: "extensions", Kind: "Ingress"}},
}

func init() { check.Register(IngressWithoutTLS) }

// ingress is what the check reads, from any served Ingress version.
type ingress struct {
	hosts          []string // per rule
	tls            [][]string
	defaultBackend bool
}

func readIngress(o *inventory.Object) (ingress, bool) {
	var in ingress
	switch i := o.Typed.(type) {
	case *networkingv1.Ingress:
		for _, r := range i.Spec.Rules {
			in.hosts = append(in.hosts, r.Host)
		}
		for _, t := range i.Spec.TLS {
			in.tls = append(in.tls, t.Hosts)
		}
		in.defaultBackend = i.Spec.DefaultBackend != nil
	case *networkingv1beta1.Ingress:
		for _, r := range i.Spec.Rules {
			in.hosts = append(in.hosts, r.Host)
		}
		for _, t := range i.Spec.TLS {
			in.tls = append(in.tls, t.Hosts)
		}
		in.defaultBackend = i.Spec.Backend != nil
	case *extensionsv1beta1.Ingress:
		for _, r := range i.Spec.Rules {
			in.hosts = append(in.hosts, r.Host)
		}
		for _, t := range i.Spec.TLS {
			in.tls = append(in.tls, t.Hosts)
		}
		in.defaultBackend = i.Spec.Backend != nil
	default:
		return in, false
	}
	return in, true
}

// cloudTLS names an annotation with which a cloud load balancer terminates
// TLS for the whole Ingress, or returns "".
func cloudTLS(ann map[string]string) string {
	for _, k := range []string{
		"alb.ingress.kubernetes.io/certificate-arn",
		"ingress.gcp.kubernetes.io/pre-shared-cert",
		"networking.gke.io/managed-certificates",
		"appgw.ingress.kubernetes.io/appgw-ssl-certificate",
	} {
		if strings.TrimSpace(ann[k]) != "" {
			return k
		}
	}
	// The AWS Load Balancer Controller discovers certificates by host for
	// HTTPS listeners.
	if strings.Contains(strings.ToUpper(ann["alb.ingress.kubernetes.io/listen-ports"]), "HTTPS") {
		return "alb.ingress.kubernetes.io/listen-ports"
	}
	return ""
}

// covers reports whether a TLS entry's host list serves host.
func covers(tlsHosts []string, host string) bool {
	if len(tlsHosts) == 0 {
		return true // the controller's default certificate, for every host
	}
	host = strings.ToLower(host)
	for _, h := range tlsHosts {
		h = strings.ToLower(h)
		if h == host && host != "" {
			return true
		}
		// A wildcard certificate matches exactly one label.
		if suffix, ok := strings.CutPrefix(h, "*"); ok && strings.HasPrefix(suffix, ".") &&
			strings.HasSuffix(host, suffix) && !strings.Contains(strings.TrimSuffix(host, suffix), ".") &&
			len(host) > len(suffix) {
			return true
		}
	}
	return false
}

var (
	rulesPath = fieldpath.New("spec", "rules")
	tlsPath   = fieldpath.New("spec", "tls")
)

func ingressWithoutTLS(_ *check.Context, o *inventory.Object) []check.Result {
	in, ok := readIngress(o)
	if !ok || cloudTLS(o.Meta.Annotations) != "" {
		return nil
	}
	covered := func(host string) bool {
		for _, t := range in.tls {
			if covers(t, host) {
				return true
			}
		}
		return false
	}
	var out []check.Result
	for i, h := range in.hosts {
		if covered(h) {
			continue
		}
		if h == "" {
			out = append(out, check.Result{Path: rulesPath.Index(i),
				Message: "rule without a host is served over plain HTTP for any host name"})
			continue
		}
		out = append(out, check.Result{Path: rulesPath.Index(i).Child("host"),
			Message: fmt.Sprintf("host %s is served over plain HTTP: no spec.tls entry covers it", h)})
	}
	if len(in.hosts) == 0 && in.defaultBackend && len(in.tls) == 0 {
		out = append(out, check.Result{Path: tlsPath, Message: "the default backend is served over plain HTTP: the Ingress has no TLS"})
	}
	return out
}
