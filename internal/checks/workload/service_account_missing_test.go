package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestServiceAccountMissing(t *testing.T) {
	checktest.RunFixtures(t, ServiceAccountMissing, nil, []checktest.Fixture{{
		Name: "default, unset and shipped accounts pass",
		YAML: `apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  template:
    spec:
      serviceAccountName: app
      containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec:
  serviceAccountName: default
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: a}
spec:
  containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: placeholder, namespace: a}
spec:
  serviceAccountName: <KSA_NAME>
  containers: [{name: a, image: x}]`,
	}, {
		Name: "an account missing, or in another namespace, fails",
		YAML: `apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: a}
spec:
  template:
    spec:
      serviceAccountName: app
      containers: [{name: a, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  serviceAccount: legacy
  containers: [{name: a, image: x}]`,
		Want: []string{"Deployment/d spec.template.spec.serviceAccountName", "Pod/p spec.serviceAccount"},
	}})
}
