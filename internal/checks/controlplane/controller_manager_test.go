package controlplane

import "testing"

// kubeadm's kube-controller-manager flags (v1.37).
var hardenedKCM = []string{
	"--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
	"--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
	"--bind-address=127.0.0.1",
	"--client-ca-file=/etc/kubernetes/pki/ca.crt",
	"--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
	"--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
	"--controllers=*,bootstrapsigner,tokencleaner",
	"--kubeconfig=/etc/kubernetes/controller-manager.conf",
	"--leader-elect=true",
	"--profiling=false",
	"--root-ca-file=/etc/kubernetes/pki/ca.crt",
	"--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
	"--use-service-account-credentials=true",
}

const kcmPod = "Pod/kube-controller-manager"

func TestControllerManager(t *testing.T) {
	h := hardenedKCM
	missing := kcmPod + " spec.containers[0].command"
	run := func(c checkCase) {
		runFlagCases(t, c.check, "kube-controller-manager", "kube-controller-manager", c.cases)
	}
	gc0 := with(h, "--terminated-pod-gc-threshold=0")
	run(checkCase{ControllerManagerTerminatedPodGC, []flagCase{
		{"default 12500 passes", h, nil},
		{"10 passes", with(h, "--terminated-pod-gc-threshold=10"), nil},
		{"0 disables the collector", gc0, []string{at(kcmPod, gc0, "terminated-pod-gc-threshold")}},
	}})
	run(checkCase{ControllerManagerProfiling, []flagCase{
		{"false passes", h, nil},
		{"default true fires", with(h, "-profiling"), []string{missing}},
	}})
	noSA := with(h, "--use-service-account-credentials=false")
	run(checkCase{ControllerManagerServiceAccountCredentials, []flagCase{
		{"true passes", h, nil},
		{"default false fires", with(h, "-use-service-account-credentials"), []string{missing}},
		{"false fires at the flag", noSA, []string{at(kcmPod, noSA, "use-service-account-credentials")}},
	}})
	run(checkCase{ControllerManagerServiceAccountPrivateKey, []flagCase{
		{"set passes", h, nil},
		{"unset fires", with(h, "-service-account-private-key-file"), []string{missing}},
	}})
	run(checkCase{ControllerManagerRootCAFile, []flagCase{
		{"set passes", h, nil},
		{"unset fires", with(h, "-root-ca-file"), []string{missing}},
	}})
	off := with(h, "--feature-gates=RotateKubeletServerCertificate=false")
	offKube := with(h, "--feature-gates=kube:RotateKubeletServerCertificate=false")
	run(checkCase{ControllerManagerRotateKubeletServerCertificate, []flagCase{
		{"default on passes", h, nil},
		{"explicit true passes", with(h, "--feature-gates=RotateKubeletServerCertificate=true"), nil},
		{"false fires", off, []string{at(kcmPod, off, "feature-gates")}},
		{"kube: prefix counts", offKube, []string{at(kcmPod, offKube, "feature-gates")}},
		{"another component's gate does not", with(h, "--feature-gates=wardle:RotateKubeletServerCertificate=false"), nil},
	}})
	all := with(h, "--bind-address=0.0.0.0")
	node := with(h, "--bind-address=10.0.0.10")
	run(checkCase{ControllerManagerBindAddress, []flagCase{
		{"loopback passes", h, nil},
		{"IPv6 loopback passes", with(h, "--bind-address=::1"), nil},
		{"default 0.0.0.0 fires", with(h, "-bind-address"), []string{missing}},
		{"0.0.0.0 fires", all, []string{at(kcmPod, all, "bind-address")}},
		{"a node address fires", node, []string{at(kcmPod, node, "bind-address")}},
	}})
}

func TestScheduler(t *testing.T) {
	h := []string{"--authentication-kubeconfig=/etc/kubernetes/scheduler.conf", "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
		"--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true", "--profiling=false"}
	const pod = "Pod/kube-scheduler"
	runFlagCases(t, SchedulerProfiling, "kube-scheduler", "kube-scheduler", []flagCase{
		{"false passes", h, nil},
		{"default true fires", with(h, "-profiling"), []string{pod + " spec.containers[0].command"}},
	})
	runFlagCases(t, SchedulerBindAddress, "kube-scheduler", "kube-scheduler", []flagCase{
		{"loopback passes", h, nil},
		{"default fires", with(h, "-bind-address"), []string{pod + " spec.containers[0].command"}},
	})
}
