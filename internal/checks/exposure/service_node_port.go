package exposure

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// NodePort reports Services of type NodePort.
//
// Reads: spec.type, spec.ports of Services.
// Allows: every other type. LoadBalancer Services also open node ports, but
// as plumbing for their load balancer: service-load-balancer-unrestricted
// judges those. ExternalName and headless Services open nothing.
var NodePort = &check.Check{
	Meta: check.Meta{
		ID:       "service-node-port",
		Title:    "Service is exposed on a port of every node",
		Severity: check.Low,
		Category: check.CategoryExposure,
		Rationale: "A NodePort Service listens on every node's addresses, bypassing any ingress controller or " +
			"load balancer policy; where nodes have public addresses or flat network access, the workload is " +
			"reachable by anyone who can reach a node, often without TLS or authentication in front of it.",
		Fix: "Use type ClusterIP behind an Ingress or Gateway, or a LoadBalancer with loadBalancerSourceRanges; " +
			"if a NodePort is needed, restrict the node ports with firewall rules and kube-proxy --nodeport-addresses.",
		Reads: []string{"spec.type", "spec.ports"},
		Refs:  []check.Reference{check.NSA("Network separation and hardening")},
		Peers: []check.Peer{check.KubeLinter("exposed-services").Differs("kube-linter reports LoadBalancer Services too; kubeward judges those in service-load-balancer-unrestricted")},
	},
	Object: nodePort,
	Kinds:  serviceKinds,
}

func init() { check.Register(NodePort) }

var typePath = fieldpath.New("spec", "type")

func nodePort(_ *check.Context, o *inventory.Object) []check.Result {
	s := service(o)
	if s == nil || s.Spec.Type != corev1.ServiceTypeNodePort {
		return nil
	}
	return []check.Result{{
		Path:    typePath,
		Message: fmt.Sprintf("NodePort Service exposes %s on every node", portList(s.Spec.Ports, true)),
	}}
}
