package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestSystemNamespaceWorkload(t *testing.T) {
	checktest.RunFixtures(t, SystemNamespaceWorkload, nil, []checktest.Fixture{{
		Name: "other namespaces, add-ons and static control-plane pods pass",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: mypod, namespace: test}
spec:
  containers: [{name: a, image: nginx}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    spec:
      priorityClassName: system-cluster-critical
      containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver-node1, namespace: kube-system, labels: {tier: control-plane, component: kube-apiserver}}
spec:
  containers: [{name: a, image: x}]`,
	}, {
		// Trivy's KSV037 bad example.
		Name: "a user pod in kube-system fails",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: mypod, namespace: kube-system, labels: {name: mypod}}
spec:
  containers: [{name: mypod, image: nginx}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: kube-public}
spec:
  template:
    spec:
      priorityClassName: high
      containers: [{name: a, image: x}]`,
		Want: []string{"Pod/mypod metadata.namespace", "Job/j metadata.namespace"},
	}})
	opts := check.DefaultOptions()
	opts.SystemNamespaces = append(opts.SystemNamespaces, "platform")
	checktest.Expect(t, checktest.Run(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: platform}\nspec: {containers: [{name: a, image: x}]}\n", opts, SystemNamespaceWorkload),
		"Pod/p metadata.namespace")
}
