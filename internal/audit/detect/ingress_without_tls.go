package detect

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// ingressWithoutTLS detects Ingresses serving plain HTTP (Falco: Ingress
// Object without TLS Certificate Created).
//
// Reads: verb, objectRef (ingresses of networking.k8s.io), the request
// body (spec.tls, spec.rules hosts), response code.
//
// Fires on a successful creation of an Ingress without spec.tls.
func ingressWithoutTLS() Rule {
	return Rule{
		Meta: Meta{
			ID:       "ingress-without-tls",
			Title:    "Ingress without TLS",
			Severity: check.Low,
			MITRE:    []Technique{tNetworkSniffing},
			Fires:    "an Ingress created without spec.tls",
			Reads:    []string{"verb", "objectRef", "requestObject", "responseStatus.code"},
			Fix:      "Add spec.tls with a certificate for every host (cert-manager can issue them).",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if ev.Verb != "create" || !ev.Is("networking.k8s.io", "ingresses") || !ev.Succeeded() {
				return nil
			}
			in, ok := v.Ingress()
			if !ok || len(in.Spec.TLS) > 0 {
				return nil
			}
			var hosts []string
			for _, r := range in.Spec.Rules {
				if r.Host != "" {
					hosts = append(hosts, r.Host)
				}
			}
			return hit("Ingress "+ev.Namespace()+"/"+v.objectName(&in.Metadata)+" created without TLS", "hosts", strings.Join(hosts, ","))
		},
	}
}
