package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestSSHServer(t *testing.T) {
	checktest.RunFixtures(t, SSHServer, nil, []checktest.Fixture{{
		Name: "web server, UDP 22 and a Service of another app pass",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: a, image: nginx, ports: [{containerPort: 8080}, {containerPort: 22, protocol: UDP}], command: [nginx, -g, daemon off;], args: [--sshd-like-flag=x]}
---
apiVersion: v1
kind: Service
metadata: {name: git}
spec:
  selector: {app: git}
  ports: [{port: 22}]
---
apiVersion: v1
kind: Service
metadata: {name: no-selector}
spec:
  ports: [{port: 22}]`,
	}, {
		Name: "container ports 22 and 2222 and an sshd command fail",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
      - {name: a, image: x, ports: [{containerPort: 80}, {containerPort: 22}]}
      - {name: b, image: x, ports: [{containerPort: 2222, protocol: TCP}]}
      - {name: c, image: x, command: [/bin/sh, -c, "/usr/sbin/sshd -D"]}`,
		Want: []string{
			"Deployment/d spec.template.spec.containers[0].ports[1].containerPort",
			"Deployment/d spec.template.spec.containers[1].ports[0].containerPort",
			"Deployment/d spec.template.spec.containers[2].command[2]",
		},
	}, {
		// kubescape's C-0042 shape: the Service says SSH, the pod does not.
		Name: "a Service sending 22 or 2222 to the pods fails on the workload",
		YAML: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  template:
    metadata: {labels: {app: d, tier: x}}
    spec:
      containers: [{name: a, image: x, ports: [{name: shell, containerPort: 2222}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: p}}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: a}
spec:
  selector: {app: p}
  ports: [{port: 80, targetPort: 22}]
---
apiVersion: v1
kind: Service
metadata: {name: other-namespace, namespace: b}
spec:
  selector: {app: d}
  ports: [{port: 22}]`,
		Want: []string{
			"Deployment/d spec.template.spec.containers[0].ports[0].containerPort",
			"Pod/p metadata.labels",
		},
	}})
}
