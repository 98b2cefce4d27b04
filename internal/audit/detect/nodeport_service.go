package detect

import (
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// nodePortService detects Services opened on every node's address (Falco:
// Create NodePort Service).
//
// Reads: verb, objectRef (services), the request body (spec.type,
// spec.ports), the authorization decision and response code.
//
// Fires on an authorized create, update or patch of a Service that sets
// spec.type: NodePort. A patch is judged on what it sets: a JSON patch
// (a list of operations) is not read.
func nodePortService() Rule {
	return Rule{
		Meta: Meta{
			ID:       "nodeport-service",
			Title:    "NodePort service exposed",
			Severity: check.Low,
			MITRE:    []Technique{tExternalServices},
			Fires:    "a Service written with spec.type: NodePort",
			Reads:    []string{"verb", "objectRef", "requestObject", "annotations", "responseStatus.code"},
			Fix:      "Use ClusterIP behind an Ingress or Gateway, or a LoadBalancer with source ranges; block node ports at the network edge.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if !writes(ev.Verb) || !ev.Is("", "services") || !ev.Allowed() {
				return nil
			}
			s, ok := v.Service()
			if !ok || s.Spec.Type != "NodePort" {
				return nil
			}
			var ports []string
			for _, p := range s.Spec.Ports {
				if p.NodePort != 0 {
					ports = append(ports, strconv.Itoa(int(p.NodePort)))
				}
			}
			return outcome(v, hit("Service "+ev.Namespace()+"/"+v.objectName(&s.Metadata)+" exposed as NodePort",
				"nodePorts", strings.Join(ports, ",")), check.Low)
		},
	}
}
