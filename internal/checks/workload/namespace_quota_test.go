package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

const namespaces = `apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
`

func TestNamespaceResourceQuota(t *testing.T) {
	checktest.RunFixtures(t, NamespaceResourceQuota, nil, []checktest.Fixture{{
		Name: "a compute quota covers its namespace; one on objects only does not",
		YAML: namespaces + `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team-a}
spec: {hard: {requests.cpu: "4", limits.memory: 8Gi}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team-b}
spec: {hard: {configmaps: "10"}}`,
		Want: []string{"Namespace/team-b metadata.name"},
	}, {
		Name: "pods count too",
		YAML: `apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: a}
spec: {hard: {pods: "20"}}`,
	}, {
		Name: "workloads in a namespace the scan does not define are not judged",
		YAML: `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: elsewhere}
spec: {containers: [{name: a, image: x}]}`,
	}})
}

func TestNamespaceLimitRange(t *testing.T) {
	checktest.RunFixtures(t, NamespaceLimitRange, nil, []checktest.Fixture{{
		Name: "a LimitRange with limits covers its namespace",
		YAML: namespaces + `apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: team-a}
spec: {limits: [{type: Container, default: {memory: 512Mi}}]}
---
apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: team-b}
spec: {limits: []}`,
		Want: []string{"Namespace/team-b metadata.name"},
	}, {
		Name: "system namespaces only",
		YAML: `apiVersion: v1
kind: Namespace
metadata: {name: kube-public}`,
	}})
}
