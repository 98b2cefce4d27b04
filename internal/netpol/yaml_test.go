package netpol

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// decodeInput reads a multi-document YAML of Namespaces, Pods, Deployments
// and NetworkPolicies into an Input, for readable test fixtures.
func decodeInput(docs string) (Input, error) {
	var in Input
	for i, doc := range strings.Split(docs, "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return in, fmt.Errorf("document %d: %w", i, err)
		}
		switch head.Kind {
		case "Namespace":
			var ns corev1.Namespace
			if err := yaml.UnmarshalStrict([]byte(doc), &ns); err != nil {
				return in, fmt.Errorf("document %d: %w", i, err)
			}
			in.Namespaces = append(in.Namespaces, Namespace{Name: ns.Name, Labels: ns.Labels})
		case "Pod":
			var p corev1.Pod
			if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
				return in, fmt.Errorf("document %d: %w", i, err)
			}
			pod := PodFromSpec("Pod", p.Namespace, p.Name, &p.ObjectMeta, &p.Spec)
			pod.IPs = PodIPs(&p.Status)
			in.Pods = append(in.Pods, pod)
		case "Deployment":
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict([]byte(doc), &d); err != nil {
				return in, fmt.Errorf("document %d: %w", i, err)
			}
			in.Pods = append(in.Pods, PodFromSpec("Deployment", d.Namespace, d.Name, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec))
		case "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			if err := yaml.UnmarshalStrict([]byte(doc), &np); err != nil {
				return in, fmt.Errorf("document %d: %w", i, err)
			}
			in.Policies = append(in.Policies, &np)
		default:
			return in, fmt.Errorf("document %d: kind %q not supported in fixtures", i, head.Kind)
		}
	}
	return in, nil
}

func mustEngine(t testing.TB, docs string) *Engine {
	t.Helper()
	in, err := decodeInput(docs)
	if err != nil {
		t.Fatal(err)
	}
	return New(in)
}

func mustEndpoint(t testing.TB, e *Engine, s string) Endpoint {
	t.Helper()
	ep, err := e.ResolveEndpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}
