package rbac

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// TestUnboundRole: a role no binding of the input uses is reported at low
// severity, saying so, instead of in silence; in a cluster, where the
// inventory is complete, it grants nothing and stays quiet.
func TestUnboundRole(t *testing.T) {
	const rule = "{verbs: [get], apiGroups: [''], resources: [secrets]}"
	fs := checktest.Run(t, clusterRole("operator", "["+rule+"]"), nil, SecretsRead)
	if len(fs) != 1 || fs[0].Severity != check.Low || !strings.Contains(fs[0].Message, "no binding in this input gives the role out") {
		t.Fatalf("unbound ClusterRole: %+v", fs)
	}
	aggregated := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: extra, labels: {rbac.authorization.k8s.io/aggregate-to-edit: 'true'}}\nrules: [" + rule + "]\n"
	fs = checktest.Run(t, aggregated, nil, SecretsRead)
	if len(fs) != 1 || fs[0].Severity != check.Low || !strings.Contains(fs[0].Message, "aggregated into edit") {
		t.Fatalf("ClusterRole aggregated into edit: %+v", fs)
	}
	if fs := checktest.RunCluster(t, clusterRole("operator", "["+rule+"]"), nil, SecretsRead); len(fs) != 0 {
		t.Fatalf("unbound ClusterRole read from a cluster: %+v", fs)
	}
	// Bound to a person: full severity, not the unbound message.
	fs = checktest.Run(t, clusterRole("operator", "["+rule+"]")+crb("b", "operator", userDev), nil, SecretsRead)
	if len(fs) != 1 || fs[0].Severity != check.High || strings.Contains(fs[0].Message, "no binding") {
		t.Fatalf("bound ClusterRole: %+v", fs)
	}
}
