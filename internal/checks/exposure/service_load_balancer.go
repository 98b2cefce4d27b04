package exposure

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
)

// LoadBalancerUnrestricted reports LoadBalancer Services that accept
// connections from any address.
//
// Reads: spec.type, spec.loadBalancerSourceRanges, spec.loadBalancerClass,
// spec.ports, and the annotations cloud providers read: the
// service.beta.kubernetes.io/load-balancer-source-ranges fallback and the
// internal load balancer annotations of AWS, Google Cloud, Azure, Oracle,
// IBM, Alibaba, OpenStack and Hetzner.
// Allows: source ranges none of which is 0.0.0.0/0 or ::/0. The severity
// depends on who can reach it: medium for an Internet-facing load balancer,
// low when it serves only HTTP and HTTPS on ports 80 and 443 (a public
// website is the usual intent), informational for an internal load balancer,
// which the whole private network can still reach.
var LoadBalancerUnrestricted = &check.Check{
	Meta: check.Meta{
		ID:       "service-load-balancer-unrestricted",
		Title:    "LoadBalancer Service accepts connections from any address",
		Severity: check.Medium,
		Category: check.CategoryExposure,
		Rationale: "Without loadBalancerSourceRanges, a cloud load balancer forwards connections from the whole " +
			"Internet (or the whole private network, for an internal one) to the Service: databases, admin " +
			"interfaces and metrics endpoints exposed this way are found by scanners within minutes.",
		Fix: "List the client networks in spec.loadBalancerSourceRanges, make the load balancer internal with " +
			"your cloud's annotation if only the private network needs it, or put an Ingress or Gateway with " +
			"authentication in front of the workload.",
		Reads: []string{"spec.type", "spec.loadBalancerSourceRanges", "spec.loadBalancerClass", "spec.ports", "metadata.annotations"},
		Refs:  []check.Reference{check.NSA("Network separation and hardening")},
	},
	Object: loadBalancerUnrestricted,
	Kinds:  serviceKinds,
}

func init() { check.Register(LoadBalancerUnrestricted) }

// sourceRangesAnnotation is read by cloud providers when the field is empty.
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

var sourceRangesPath = fieldpath.New("spec", "loadBalancerSourceRanges")

func loadBalancerUnrestricted(_ *check.Context, o *inventory.Object) []check.Result {
	s := service(o)
	if s == nil || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	path, open := sourceRangesPath, true
	if ranges := s.Spec.LoadBalancerSourceRanges; len(ranges) > 0 {
		open = false
		for i, r := range ranges {
			if anyAddress(r) {
				path, open = sourceRangesPath.Index(i), true
				break
			}
		}
	} else if v, ok := o.Meta.Annotations[sourceRangesAnnotation]; ok && strings.TrimSpace(v) != "" {
		open, path = false, fieldpath.New("metadata", "annotations").Key(sourceRangesAnnotation)
		for _, r := range strings.Split(v, ",") {
			if anyAddress(r) {
				open = true
			}
		}
	}
	if !open {
		return nil
	}
	ports := portList(s.Spec.Ports, false)
	if why := internalLoadBalancer(o.Meta.Annotations, s.Spec.LoadBalancerClass); why != "" {
		return []check.Result{{Path: path, Severity: check.Info,
			Message: fmt.Sprintf("internal load balancer (%s) accepts connections to %s from any address of the private network", why, ports)}}
	}
	if webOnly(s.Spec.Ports) {
		return []check.Result{{Path: path, Severity: check.Low,
			Message: fmt.Sprintf("load balancer serves %s to the whole Internet: fine for a public website, otherwise restrict its source ranges", ports)}}
	}
	return []check.Result{{Path: path,
		Message: fmt.Sprintf("load balancer exposes %s to the whole Internet", ports)}}
}

// anyAddress reports whether a CIDR admits every address.
func anyAddress(cidr string) bool {
	p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	return err == nil && p.Bits() == 0
}

// webOnly reports whether every port is HTTP's or HTTPS's.
func webOnly(ports []corev1.ServicePort) bool {
	for _, p := range ports {
		if (p.Port != 80 && p.Port != 443) || (p.Protocol != "" && p.Protocol != corev1.ProtocolTCP) {
			return false
		}
	}
	return len(ports) > 0
}

// internalLoadBalancer names the setting that makes the cloud provision a
// private load balancer, or returns "".
func internalLoadBalancer(ann map[string]string, class *string) string {
	is := func(key string, values ...string) bool {
		v, ok := ann[key]
		if !ok {
			return false
		}
		for _, want := range values {
			if strings.EqualFold(strings.TrimSpace(v), want) {
				return true
			}
		}
		return false
	}
	const aws = "service.beta.kubernetes.io/aws-load-balancer-"
	switch {
	case is(aws+"scheme", "internal"):
		return aws + "scheme: internal"
	case is(aws+"scheme", "internet-facing"):
		return ""
	case ann[aws+"internal"] != "" && !is(aws+"internal", "false"):
		return aws + "internal" // the in-tree provider also accepts 0.0.0.0/0 here
	case is(aws+"type", "external", "nlb-ip") || (class != nil && *class == "service.k8s.aws/nlb"):
		// The AWS Load Balancer Controller makes internal load balancers
		// unless told otherwise.
		return "AWS Load Balancer Controller default scheme"
	}
	for _, a := range internalAnnotations {
		if is(a.key, a.value) {
			return a.key + ": " + a.value
		}
	}
	return ""
}

// internalAnnotations make other clouds' load balancers private.
var internalAnnotations = []struct{ key, value string }{
	{"networking.gke.io/load-balancer-type", "Internal"},
	{"cloud.google.com/load-balancer-type", "Internal"},
	{"service.beta.kubernetes.io/azure-load-balancer-internal", "true"},
	{"service.beta.kubernetes.io/oci-load-balancer-internal", "true"},
	{"oci-network-load-balancer.oraclecloud.com/internal", "true"},
	{"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type", "private"},
	{"service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type", "intranet"},
	{"service.beta.kubernetes.io/openstack-internal-load-balancer", "true"},
	{"load-balancer.hetzner.cloud/disable-public-network", "true"},
}
