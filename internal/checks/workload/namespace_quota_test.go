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
		Name: "a namespace without a quota, and a quota on objects only",
		YAML: namespaces + `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: team-a}
spec: {hard: {configmaps: "10"}}`,
		Want: []string{"Namespace/team-b metadata.name", "ResourceQuota/q spec.hard"},
	}, {
		Name: "a quota capping CPU and memory in any form",
		YAML: `apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: a}
spec: {hard: {requests.cpu: "4", limits.memory: 8Gi, pods: "20"}}`,
	}, {
		// Trivy's KSV040 fixture shapes: a quota without hard limits fails; one
		// missing requests.cpu alone passes here (limits.cpu caps CPU).
		Name: "a quota without hard limits",
		YAML: `apiVersion: v1
kind: ResourceQuota
metadata: {name: mem-cpu-demo}
spec: {}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: partial}
spec: {hard: {requests.memory: 1Gi, limits.cpu: "2", limits.memory: 2Gi}}`,
		Want: []string{"ResourceQuota/mem-cpu-demo spec.hard"},
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
		Name: "a LimitRange with defaults covers its namespace; an empty one is reported itself",
		YAML: namespaces + `apiVersion: v1
kind: LimitRange
metadata: {name: l, namespace: team-a}
spec: {limits: [{type: Container, default: {memory: 512Mi}}]}
---
apiVersion: v1
kind: LimitRange
metadata: {name: empty, namespace: team-b}
spec: {limits: [{type: PersistentVolumeClaim, max: {storage: 10Gi}}]}`,
		Want: []string{"LimitRange/empty spec.limits"},
	}, {
		Name: "system namespaces only",
		YAML: `apiVersion: v1
kind: Namespace
metadata: {name: kube-public}`,
	}})
}
