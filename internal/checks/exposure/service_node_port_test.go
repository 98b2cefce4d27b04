package exposure

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestNodePort(t *testing.T) {
	checktest.RunFixtures(t, NodePort, nil, []checktest.Fixture{{
		Name: "NodePort Services fail",
		YAML: `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 30080}]`,
		Want: []string{"Service/s spec.type"},
	}, {
		Name: "ClusterIP, headless, ExternalName and LoadBalancer Services pass",
		YAML: `apiVersion: v1
kind: Service
metadata: {name: a}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec: {clusterIP: None, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: c}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Service
metadata: {name: d}
spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8], ports: [{port: 80}]}`,
	}})
}

func TestNodePortMessage(t *testing.T) {
	fs := checktest.Run(t, `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 30080}, {port: 53, protocol: UDP}]
`, nil, NodePort)
	want := "NodePort Service exposes ports 80/TCP on node port 30080, 53/UDP on every node"
	if len(fs) != 1 || fs[0].Message != want || fs[0].Position.Line != 5 {
		t.Fatalf("findings = %+v, want %q at line 5", fs, want)
	}
}
