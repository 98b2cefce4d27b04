package exposure

import (
	"fmt"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

const controller = `apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  template:
    spec:
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:%s@sha256:0123456789012345678901234567890123456789012345678901234567890123
        args: [/nginx-ingress-controller, --configmap=$(POD_NAMESPACE)/ingress-nginx-controller]
---
`

func controllerAt(tag string) string { return fmt.Sprintf(controller, tag) }

func TestNginxSnippets(t *testing.T) {
	checktest.RunFixtures(t, NginxSnippets, nil, []checktest.Fixture{{
		Name: "a current controller with default configuration and plain Ingresses passes",
		YAML: controllerAt("v1.15.1") + `apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {use-forwarded-headers: "true"}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}
spec: {rules: [{host: a.example.com}]}`,
	}, {
		Name: "snippets on an Ingress, and a ConfigMap allowing them",
		YAML: controllerAt("v1.15.1") + `apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {allow-snippet-annotations: "true", annotations-risk-level: Critical}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: |
      more_set_headers "X-Frame-Options: DENY";
    nginx.ingress.kubernetes.io/server-snippet: "location /x { return 200; }"
spec: {rules: [{host: a.example.com}]}`,
		Want: []string{"ConfigMap/ingress-nginx-controller data.allow-snippet-annotations", "ConfigMap/ingress-nginx-controller data.annotations-risk-level",
			"Ingress/web metadata.annotations.nginx.ingress.kubernetes.io/configuration-snippet", "Ingress/web metadata.annotations.nginx.ingress.kubernetes.io/server-snippet"},
	}, {
		Name: "a controller that cannot turn snippets off",
		YAML: controllerAt("v0.48.1"),
		Want: []string{"Deployment/ingress-nginx-controller spec.template.spec.containers[0].image"},
	}, {
		Name: "a controller that allows them by default, without a ConfigMap",
		YAML: controllerAt("v1.0.5"),
		Want: []string{"Deployment/ingress-nginx-controller spec.template.spec.containers[0].image"},
	}, {
		Name: "the same controller with snippets turned off",
		YAML: controllerAt("v1.8.2") + `apiVersion: v1
kind: ConfigMap
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
data: {allow-snippet-annotations: "false"}`,
	}})
}

func TestNginxRiskyAnnotation(t *testing.T) {
	checktest.RunFixtures(t, NginxRiskyAnnotation, nil, []checktest.Fixture{{
		Name: "plain URLs with nginx variables, satisfy all and verified client certificates pass",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://$host/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://$host/oauth2/start?rd=$escaped_request_uri"
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/satisfy: all
    nginx.ingress.kubernetes.io/auth-tls-secret: default/ca
    nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"
spec: {rules: [{host: a.example.com}]}`,
	}, {
		Name: "injection through auth-url and mirror-target, satisfy any, unverified certificates",
		YAML: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: evil
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "http://x/#;load_module /tmp/x.so;"
    nginx.ingress.kubernetes.io/mirror-target: "https://a.example.com/} location /t { alias /var/run/secrets/; }"
    nginx.ingress.kubernetes.io/satisfy: any
    nginx.ingress.kubernetes.io/auth-tls-secret: default/ca
    nginx.ingress.kubernetes.io/auth-tls-verify-client: optional_no_ca
spec: {rules: [{host: a.example.com}]}`,
		Want: []string{
			"Ingress/evil metadata.annotations.nginx.ingress.kubernetes.io/auth-url",
			"Ingress/evil metadata.annotations.nginx.ingress.kubernetes.io/mirror-target",
			"Ingress/evil metadata.annotations.nginx.ingress.kubernetes.io/satisfy",
			"Ingress/evil metadata.annotations.nginx.ingress.kubernetes.io/auth-tls-verify-client",
		},
	}})
}
