package controlplane

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// kubeadm's scheduler flags with a configuration file and profiling "off"
// on the command line, which the scheduler ignores with --config. checktest
// names its input fixture.yaml, so the file --config names is that one.
var schedulerWithConfig = []string{"--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
	"--authorization-kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1",
	"--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true", "--profiling=false",
	"--config=/etc/kubernetes/fixture.yaml"}

func schedulerConfig(extra string) string {
	return "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\n" + extra
}

// CIS 1.4.1 with --config: the file decides, --profiling=false is ignored.
func TestSchedulerProfilingConfigFile(t *testing.T) {
	pod := staticPod("kube-scheduler", "kube-scheduler", schedulerWithConfig)
	tests := []struct {
		name, config string
		want         []string
	}{
		{"enableProfiling absent defaults to true", schedulerConfig(""), []string{"KubeSchedulerConfiguration/ enableProfiling"}},
		{"enableProfiling true", schedulerConfig("enableProfiling: true\n"), []string{"KubeSchedulerConfiguration/ enableProfiling"}},
		{"enableProfiling false passes", schedulerConfig("enableProfiling: false\n"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := checktest.RunResult(t, pod+"---\n"+tt.config, nil, SchedulerProfiling)
			checktest.Expect(t, res.Findings, tt.want...)
			for _, f := range res.Findings {
				if !strings.Contains(f.Message, "--profiling=false is ignored with --config") || !strings.Contains(f.Message, "Pod/kube-system/kube-scheduler") {
					t.Errorf("message %q", f.Message)
				}
			}
			if len(res.Coverage) != 0 {
				t.Errorf("the file is in the scan: coverage %+v", res.Coverage)
			}
		})
	}
}

// A scheduler run as a Deployment with its configuration in a ConfigMap
// (a second scheduler, a hosted control plane) is judged in a cluster scan.
func TestSchedulerProfilingConfigMap(t *testing.T) {
	deploy := `apiVersion: apps/v1
kind: Deployment
metadata: {name: my-scheduler, namespace: kube-system}
spec:
  selector: {matchLabels: {app: my-scheduler}}
  template:
    metadata: {labels: {app: my-scheduler}}
    spec:
      containers:
      - name: kube-scheduler
        image: registry.k8s.io/kube-scheduler:v1.37.2
        command: [/usr/local/bin/kube-scheduler, --config=/etc/kubernetes/my-scheduler/my-scheduler-config.yaml, --profiling=false]
        volumeMounts: [{name: config, mountPath: /etc/kubernetes/my-scheduler}]
      volumes:
      - name: config
        configMap: {name: my-scheduler-config}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: my-scheduler-config, namespace: kube-system}
data:
  my-scheduler-config.yaml: |
    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    profiles: [{schedulerName: my-scheduler}]
    leaderElection: {leaderElect: false}
`
	checktest.Expect(t, checktest.Run(t, deploy, nil, SchedulerProfiling), "ConfigMap/my-scheduler-config data[my-scheduler-config.yaml]")
	off := strings.Replace(deploy, "leaderElection:", "enableProfiling: false\n    leaderElection:", 1)
	checktest.Expect(t, checktest.Run(t, off, nil, SchedulerProfiling))
}

// A --config file the scan does not hold is not a pass: the scheduler is
// reported as a coverage gap naming the object.
func TestSchedulerProfilingConfigUnknown(t *testing.T) {
	args := with(schedulerWithConfig, "--config=/etc/kubernetes/scheduler-config.yaml")
	res, _ := checktest.RunResult(t, staticPod("kube-scheduler", "kube-scheduler", args), nil, SchedulerProfiling)
	checktest.Expect(t, res.Findings)
	if len(res.Coverage) != 1 || res.Coverage[0].ID != GapSchedulerConfig ||
		strings.Join(res.Coverage[0].Objects, ",") != "Pod/kube-system/kube-scheduler" || strings.Join(res.Coverage[0].Partial, ",") != "scheduler-profiling" {
		t.Errorf("coverage %+v", res.Coverage)
	}
}
