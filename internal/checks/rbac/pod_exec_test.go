package rbac

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestPodExec(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [create], apiGroups: [''], resources: [pods/exec]}", "{verbs: [get], apiGroups: [''], resources: [pods/log, pods/status]}")
	fixtures = append(fixtures,
		fixture{name: "ephemeral containers", yaml: clusterRole("r", "[{verbs: [patch], apiGroups: [''], resources: [pods/ephemeralcontainers]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "any exec subresource", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: ['*/exec']}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "pods/* matches no exec", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [''], resources: ['pods/*']}]") + crb("b", "r", userDev)},
		// Polaris' failure.get_exec_using_apigroup_wildcard: get alone.
		fixture{name: "get alone on pods/exec", yaml: clusterRole("r", "[{verbs: [get], apiGroups: ['*'], resources: [pods/exec]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
	)
	runFixtures(t, PodExec, fixtures)
}

// get alone opens a WebSocket stream only on API servers older than 1.35,
// which did not also check create: low severity for kubeward's own release
// and newer, the full severity when the judged release is older.
func TestPodExecGetAloneByRelease(t *testing.T) {
	getOnly := clusterRole("r", "[{verbs: [get], apiGroups: [''], resources: [pods/attach]}]") + crb("b", "r", userDev)
	both := clusterRole("r", "[{verbs: [get, create], apiGroups: [''], resources: [pods/exec]}]") + crb("b", "r", userDev)
	for _, tc := range []struct {
		name, yaml, kube, server string
		want                     check.Severity
	}{
		{"get alone, kubeward's release", getOnly, "", "", check.Low},
		{"get alone, --kube-version 1.36", getOnly, "1.36", "", check.Low},
		{"get alone, --kube-version 1.34", getOnly, "1.34", "", check.High},
		{"get alone, a v1.33 API server", getOnly, "", "v1.33.4", check.High},
		{"a v1.35 API server wins over --kube-version", getOnly, "1.34", "v1.35.0", check.Low},
		{"get and create", both, "", "", check.High},
	} {
		opts := check.DefaultOptions()
		opts.KubeVersion, opts.ServerVersion = tc.kube, tc.server
		fs := checktest.Run(t, tc.yaml, opts, PodExec)
		if len(fs) != 1 || fs[0].Severity != tc.want {
			t.Errorf("%s: %d findings, want one at %v: %+v", tc.name, len(fs), tc.want, fs)
		}
	}
}
