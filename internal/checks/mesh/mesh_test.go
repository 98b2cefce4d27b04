package mesh

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPeerAuthenticationNotStrict(t *testing.T) {
	checktest.RunFixtures(t, PeerAuthenticationNotStrict, nil, []checktest.Fixture{{
		Name: "STRICT, UNSET and a strict port pass",
		YAML: `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: inherit, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  portLevelMtls:
    "8080": {mode: STRICT}`,
	}, {
		Name: "PERMISSIVE mesh-wide, DISABLE for a namespace, a permissive port",
		YAML: `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: off, namespace: legacy}
spec: {mtls: {mode: DISABLE}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: metrics, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: STRICT}
  portLevelMtls:
    "9090": {mode: PERMISSIVE}`,
		Want: []string{"PeerAuthentication/default spec.mtls.mode", "PeerAuthentication/off spec.mtls.mode", "PeerAuthentication/metrics spec.portLevelMtls.9090.mode"},
	}})
	fs := checktest.Run(t, "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: off, namespace: a}\nspec: {mtls: {mode: DISABLE}}\n", nil, PeerAuthenticationNotStrict)
	if len(fs) != 1 || fs[0].Severity != check.High || fs[0].Position.Line != 4 {
		t.Errorf("DISABLE: %+v", fs)
	}
}

func TestDestinationRuleTLSDisabled(t *testing.T) {
	checktest.RunFixtures(t, DestinationRuleTLSDisabled, nil, []checktest.Fixture{{
		Name: "mutual TLS and no tls pass",
		YAML: `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r}
spec:
  host: reviews
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: lb}
spec:
  host: ratings
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: dikastes, namespace: istio-system}
spec:
  hosts: [dikastes.calico.cluster.local]
  endpoints: [{address: "unix:///var/run/dikastes/dikastes.sock"}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: dikastes-mtls, namespace: istio-system}
spec:
  host: dikastes.calico.cluster.local
  trafficPolicy: {tls: {mode: DISABLE}}`,
	}, {
		Name: "DISABLE in the policy, a port and a subset",
		YAML: `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r}
spec:
  host: reviews.shop.svc.cluster.local
  trafficPolicy:
    tls: {mode: DISABLE}
    portLevelSettings:
    - port: {number: 9080}
      tls: {mode: DISABLE}
  subsets:
  - name: v2
    labels: {version: v2}
    trafficPolicy: {tls: {mode: DISABLE}}`,
		Want: []string{"DestinationRule/r spec.trafficPolicy.tls.mode", "DestinationRule/r spec.trafficPolicy.portLevelSettings[0].tls.mode", "DestinationRule/r spec.subsets[0].trafficPolicy.tls.mode"},
	}})
}

func TestAuthorizationPolicyAllowAll(t *testing.T) {
	checktest.RunFixtures(t, AuthorizationPolicyAllowAll, nil, []checktest.Fixture{{
		Name: "deny-all, named callers and DENY pass",
		YAML: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: shop}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules:
  - from: [{source: {principals: [cluster.local/ns/shop/sa/frontend]}}]
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: shop}
spec:
  action: DENY
  rules: [{}]`,
	}, {
		Name: "an empty rule allows everything",
		YAML: `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all, namespace: istio-system}
spec:
  rules: [{}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: open, namespace: shop}
spec:
  action: ALLOW
  selector: {matchLabels: {app: web}}
  rules:
  - to: [{operation: {methods: [GET]}}]
  - from: []`,
		Want: []string{"AuthorizationPolicy/allow-all spec.rules[0]", "AuthorizationPolicy/open spec.rules[1]"},
	}})
}

func TestNamespaceWithoutPolicy(t *testing.T) {
	const namespaces = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {istio.io/rev: canary}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain}
---
`
	checktest.RunFixtures(t, NamespaceWithoutPolicy, nil, []checktest.Fixture{{
		Name: "meshed namespaces without policy",
		YAML: namespaces + `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: shop}
spec: {}`,
		Want: []string{"Namespace/pay metadata.labels"},
	}, {
		Name: "a mesh-wide policy covers every namespace",
		YAML: namespaces + `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}`,
	}, {
		Name: "a root-namespace policy with a selector does not",
		YAML: namespaces + `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: gw, namespace: istio-system}
spec: {selector: {matchLabels: {app: gateway}}, mtls: {mode: STRICT}}`,
		Want: []string{"Namespace/shop metadata.labels", "Namespace/pay metadata.labels"},
	}})
}

func TestLinkerdAllUnauthenticated(t *testing.T) {
	checktest.RunFixtures(t, LinkerdAllUnauthenticated, nil, []checktest.Fixture{{
		Name: "authenticated defaults pass",
		YAML: `apiVersion: v1
kind: ConfigMap
metadata: {name: linkerd-config, namespace: linkerd}
data:
  values: |
    proxy:
      defaultInboundPolicy: all-authenticated
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, annotations: {config.linkerd.io/default-inbound-policy: cluster-authenticated}}`,
	}, {
		Name: "all-unauthenticated for the cluster, a namespace and a workload",
		YAML: `apiVersion: v1
kind: ConfigMap
metadata: {name: linkerd-config, namespace: linkerd}
data:
  values: |
    proxy:
      image: {name: cr.l5d.io/linkerd/proxy}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, annotations: {config.linkerd.io/default-inbound-policy: all-unauthenticated}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {annotations: {config.linkerd.io/default-inbound-policy: all-unauthenticated}}
    spec: {containers: [{name: a, image: x}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: linkerd-destination, namespace: linkerd}
spec:
  template:
    spec:
      containers:
      - {name: policy, image: cr.l5d.io/linkerd/policy-controller, args: [--admin-addr=0.0.0.0:9990, --default-policy=all-unauthenticated]}`,
		Want: []string{"ConfigMap/linkerd-config data.values", "Namespace/shop metadata.annotations.config.linkerd.io/default-inbound-policy",
			"Deployment/web spec.template.metadata.annotations.config.linkerd.io/default-inbound-policy", "Deployment/linkerd-destination spec.template.spec.containers[0].args[1]"},
	}})
}
