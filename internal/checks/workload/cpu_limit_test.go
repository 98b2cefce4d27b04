package workload

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestCPULimit(t *testing.T) {
	fs := checktest.Run(t, resourceFixture, nil, CPULimit)
	checktest.Expect(t, fs,
		"Deployment/d spec.template.spec.initContainers[0].resources.limits.cpu",
		"Deployment/d spec.template.spec.initContainers[1].resources.limits.cpu",
		"Deployment/d spec.template.spec.containers[2].resources.limits.cpu",
		"Deployment/d spec.template.spec.containers[3].resources.limits.cpu",
	)
	for _, f := range fs {
		if f.Severity != check.Info {
			t.Errorf("%s: severity %s, want info", f.Path, f.Severity)
		}
	}
	checktest.Expect(t, checktest.Run(t, resourceFixture+`---
apiVersion: v1
kind: LimitRange
metadata: {name: lr, namespace: ns}
spec:
  limits: [{type: Container, default: {cpu: "1"}}]`, nil, CPULimit))
}
