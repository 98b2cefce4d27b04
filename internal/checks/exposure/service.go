// Package exposure holds checks on how workloads are reached from outside
// the cluster: NodePort and LoadBalancer Services, external IPs, Ingresses
// and Gateway API listeners without TLS, Gateways open to every namespace,
// administration interfaces published outside, and ingress-nginx
// annotations that inject configuration.
package exposure

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var serviceKinds = []schema.GroupKind{inventory.KindService}

// service returns the typed Service of an object, nil for anything else.
func service(o *inventory.Object) *corev1.Service {
	s, _ := o.Typed.(*corev1.Service)
	return s
}

// portList renders ports as "80/TCP, 443/TCP", with the node port when
// one is set ("80/TCP on node port 30080").
func portList(ports []corev1.ServicePort, withNodePort bool) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		s := fmt.Sprintf("%d/%s", p.Port, proto)
		if withNodePort && p.NodePort != 0 {
			s += fmt.Sprintf(" on node port %d", p.NodePort)
		}
		parts = append(parts, s)
	}
	switch len(parts) {
	case 0:
		return "no ports"
	case 1:
		return "port " + parts[0]
	}
	return "ports " + strings.Join(parts, ", ")
}
