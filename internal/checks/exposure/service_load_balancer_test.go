package exposure

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func lb(name, extra string) string {
	return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n" + extra
}

func TestLoadBalancerUnrestricted(t *testing.T) {
	checktest.RunFixtures(t, LoadBalancerUnrestricted, nil, []checktest.Fixture{{
		Name: "no source ranges, or an any-address range, fail",
		YAML: lb("none", "spec: {type: LoadBalancer, ports: [{port: 5432}]}") + "\n---\n" +
			lb("any4", "spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8, 0.0.0.0/0], ports: [{port: 5432}]}") + "\n---\n" +
			lb("any6", "spec: {type: LoadBalancer, loadBalancerSourceRanges: ['::/0'], ports: [{port: 5432}]}") + "\n---\n" +
			lb("annotation", "  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: '10.0.0.0/8, 0.0.0.0/0'}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"),
		Want: []string{
			"Service/annotation metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]",
			"Service/any4 spec.loadBalancerSourceRanges[1]",
			"Service/any6 spec.loadBalancerSourceRanges[0]",
			"Service/none spec.loadBalancerSourceRanges",
		},
	}, {
		Name: "restricted ranges, in the field or the annotation, pass; other types pass",
		YAML: lb("field", "spec: {type: LoadBalancer, loadBalancerSourceRanges: [203.0.113.0/24], ports: [{port: 5432}]}") + "\n---\n" +
			lb("annotation", "  annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: '203.0.113.0/24,198.51.100.7/32'}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}") + "\n---\n" +
			lb("clusterip", "spec: {ports: [{port: 5432}]}"),
	}})
}

func TestLoadBalancerUnrestrictedSeverity(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       check.Severity
		msg        string
	}{
		{"public database", lb("s", "spec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Medium, "exposes port 5432/TCP to the whole Internet"},
		{"public website", lb("s", "spec: {type: LoadBalancer, ports: [{port: 80}, {port: 443}]}"), check.Low, "fine for a public website"},
		{"web port over UDP is not a website", lb("s", "spec: {type: LoadBalancer, ports: [{port: 443, protocol: UDP}]}"), check.Medium, "443/UDP"},
		{"website plus something else", lb("s", "spec: {type: LoadBalancer, ports: [{port: 443}, {port: 22}]}"), check.Medium, "22/TCP"},
		{"GKE internal", lb("s", "  annotations: {networking.gke.io/load-balancer-type: Internal}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Info, "internal load balancer (networking.gke.io/load-balancer-type: Internal)"},
		{"legacy GKE internal", lb("s", "  annotations: {cloud.google.com/load-balancer-type: internal}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Info, "internal"},
		{"AWS in-tree internal", lb("s", "  annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: '0.0.0.0/0'}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Info, "aws-load-balancer-internal"},
		{"AWS internal false", lb("s", "  annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: 'false'}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Medium, "whole Internet"},
		{"AWS controller default", lb("s", "  annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Info, "AWS Load Balancer Controller default scheme"},
		{"AWS controller class", lb("s", "spec: {type: LoadBalancer, loadBalancerClass: service.k8s.aws/nlb, ports: [{port: 5432}]}"), check.Info, "AWS Load Balancer Controller"},
		{"AWS controller internet-facing", lb("s", "  annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external, service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Medium, "whole Internet"},
		{"AWS in-tree NLB is public", lb("s", "  annotations: {service.beta.kubernetes.io/aws-load-balancer-type: nlb}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Medium, "whole Internet"},
		{"Azure internal", lb("s", "  annotations: {service.beta.kubernetes.io/azure-load-balancer-internal: 'true'}\nspec: {type: LoadBalancer, ports: [{port: 5432}]}"), check.Info, "azure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, tt.yaml, nil, LoadBalancerUnrestricted)
			if len(fs) != 1 || fs[0].Severity != tt.want || !strings.Contains(fs[0].Message, tt.msg) {
				t.Fatalf("findings = %+v, want one %s containing %q", fs, tt.want, tt.msg)
			}
		})
	}
}
