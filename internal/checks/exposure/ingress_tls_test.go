package exposure

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestIngressWithoutTLS(t *testing.T) {
	checktest.RunFixtures(t, IngressWithoutTLS, nil, []checktest.Fixture{{
		Name: "hosts without a TLS entry fail, per rule",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  tls: [{hosts: [a.example.com], secretName: a}]
  rules:
  - host: a.example.com
  - host: b.example.com
  - host: A.EXAMPLE.COM
  - {}`,
		Want: []string{"Ingress/i spec.rules[1].host", "Ingress/i spec.rules[3]"},
	}, {
		Name: "wildcards cover one label only",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  tls: [{hosts: ["*.example.com"]}]
  rules:
  - host: a.example.com
  - host: "*.example.com"
  - host: a.b.example.com
  - host: example.com`,
		Want: []string{"Ingress/i spec.rules[2].host", "Ingress/i spec.rules[3].host"},
	}, {
		Name: "a TLS entry without hosts covers every rule",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  tls: [{secretName: default}]
  rules: [{host: a.example.com}, {}]`,
	}, {
		Name: "no TLS at all: every rule, or the lone default backend",
		YAML: `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: old}
spec:
  rules: [{host: a.example.com}]
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: backend}
spec:
  backend: {serviceName: s, servicePort: 80}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: v1backend}
spec:
  defaultBackend: {service: {name: s, port: {number: 80}}}`,
		Want: []string{"Ingress/backend spec.tls", "Ingress/old spec.rules[0].host", "Ingress/v1backend spec.tls"},
	}, {
		Name: "TLS at a cloud load balancer passes",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: alb
  annotations: {alb.ingress.kubernetes.io/certificate-arn: "arn:aws:acm:eu-west-1:1:certificate/x"}
spec:
  rules: [{host: a.example.com}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: alb-discovery
  annotations: {alb.ingress.kubernetes.io/listen-ports: '[{"HTTPS":443}]'}
spec:
  rules: [{host: a.example.com}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: gke
  annotations: {networking.gke.io/managed-certificates: cert}
spec:
  rules: [{host: a.example.com}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: alb-http
  annotations: {alb.ingress.kubernetes.io/listen-ports: '[{"HTTP":80}]'}
spec:
  rules: [{host: a.example.com}]`,
		Want: []string{"Ingress/alb-http spec.rules[0].host"},
	}})
}

func TestCovers(t *testing.T) {
	tests := []struct {
		tls  []string
		host string
		want bool
	}{
		{nil, "", true},
		{[]string{"a.com"}, "a.com", true},
		{[]string{"a.com"}, "", false},
		{[]string{"*.a.com"}, "x.a.com", true},
		{[]string{"*.a.com"}, ".a.com", false},
		{[]string{"*.a.com"}, "a.com", false},
		{[]string{"*.a.com"}, "y.x.a.com", false},
		{[]string{"*a.com"}, "ba.com", false},
		{[]string{"A.com"}, "a.COM", true},
	}
	for _, tt := range tests {
		if got := covers(tt.tls, tt.host); got != tt.want {
			t.Errorf("covers(%q, %q) = %v, want %v", tt.tls, tt.host, got, tt.want)
		}
	}
}

// FuzzCovers checks host matching: a host covers itself, a wildcard covers
// exactly the one-label-deeper names, and nothing panics.
func FuzzCovers(f *testing.F) {
	f.Add("a.example.com", "x")
	f.Add("*.example.com", "a.b")
	f.Fuzz(func(t *testing.T, host, label string) {
		if host != "" && !covers([]string{host}, host) {
			t.Errorf("%q does not cover itself", host)
		}
		if host == "" || strings.HasPrefix(host, "*") {
			return
		}
		deeper := label + "." + host
		want := label != "" && !strings.Contains(label, ".")
		if got := covers([]string{"*." + host}, deeper); got != want {
			t.Errorf("covers(*.%s, %q) = %v, want %v", host, deeper, got, want)
		}
	})
}
