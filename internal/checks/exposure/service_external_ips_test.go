package exposure

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestExternalIPs(t *testing.T) {
	checktest.RunFixtures(t, ExternalIPs, nil, []checktest.Fixture{{
		Name: "externalIPs on ClusterIP, NodePort and LoadBalancer Services fail",
		YAML: `apiVersion: v1
kind: Service
metadata: {name: a}
spec: {externalIPs: [203.0.113.10], ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec: {type: NodePort, externalIPs: [203.0.113.11], ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: c}
spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8], externalIPs: [203.0.113.12], ports: [{port: 80}]}`,
		Want: []string{"Service/a spec.externalIPs", "Service/b spec.externalIPs", "Service/c spec.externalIPs"},
	}, {
		Name: "headless and ExternalName Services are ignored by kube-proxy; no externalIPs pass",
		YAML: `apiVersion: v1
kind: Service
metadata: {name: headless}
spec: {clusterIP: None, externalIPs: [203.0.113.10], ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com, externalIPs: [203.0.113.10]}
---
apiVersion: v1
kind: Service
metadata: {name: plain}
spec: {externalIPs: [], ports: [{port: 80}]}`,
	}})
}
