package nodeconfig

import (
	"fmt"
	"strings"
	"testing"
)

// KubeadmDropIn is kubeadm's kubelet drop-in as the kubernetes/release
// packages install it (/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf).
const kubeadmDropIn = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

func TestKubeadmUnit(t *testing.T) {
	var u Unit
	u.Parse("/usr/lib/systemd/system/kubelet.service", []byte("[Unit]\nDescription=kubelet\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\n"))
	u.Parse("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", []byte(kubeadmDropIn))
	if len(u.EnvironmentFiles) != 2 || !u.EnvironmentFiles[0].Optional || u.EnvironmentFiles[1].Path != "/etc/default/kubelet" {
		t.Fatalf("environment files %+v", u.EnvironmentFiles)
	}
	flags := ParseEnvFile("/var/lib/kubelet/kubeadm-flags.env", []byte(`KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10"`+"\n"))
	extra := ParseEnvFile("/etc/default/kubelet", []byte("# overrides\nKUBELET_EXTRA_ARGS=--read-only-port=10255 \\\n  --anonymous-auth=true\n"))
	prog, args, line, ok := u.Expand([][]Setting{flags, extra})
	if !ok || prog != "/usr/bin/kubelet" || line != 11 {
		t.Fatalf("program %q line %d ok %v", prog, line, ok)
	}
	var got []string
	for _, a := range args {
		got = append(got, a.Value+" @"+a.Origin)
	}
	want := []string{
		"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf @/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf:3",
		"--kubeconfig=/etc/kubernetes/kubelet.conf @/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf:3",
		"--config=/var/lib/kubelet/config.yaml @/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf:4",
		"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock @/var/lib/kubelet/kubeadm-flags.env:1",
		"--pod-infra-container-image=registry.k8s.io/pause:3.10 @/var/lib/kubelet/kubeadm-flags.env:1",
		"--read-only-port=10255 @/etc/default/kubelet:2",
		"--anonymous-auth=true @/etc/default/kubelet:2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("args:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUnitSemantics(t *testing.T) {
	var u Unit
	u.Parse("a.service", []byte(`[Service]
Environment=A=1 "B=two words" 'C=x'
Environment=D=${A}
ExecStart=-/bin/kubelet --x=${B} $C "--y=$$" $MISSING --z=$A
[Install]
ExecStart=/ignored
`))
	_, args, _, ok := u.Expand(nil)
	if !ok || fmt.Sprint(values(args)) != "[--x=two words x --y=$ --z=$A]" {
		t.Errorf("args %q", values(args))
	}
	// An empty ExecStart= resets; an empty Environment= clears.
	u.Parse("b.conf", []byte("[Service]\nExecStart=\nEnvironment=\n"))
	if u.ExecStart != nil || u.Environment != nil {
		t.Error("resets ignored")
	}
	if _, _, _, ok := u.Expand(nil); ok {
		t.Error("no ExecStart expands")
	}
}

func TestParseEnvFile(t *testing.T) {
	got := ParseEnvFile("f", []byte("# c\n; c\nA=1\nB = \"x \\\"y\\\"\"\nC='$z'\nbad line\nD=multi \\\n line\n"))
	var vals []string
	for _, s := range got {
		vals = append(vals, fmt.Sprintf("%s@%d", s.Value, s.Line))
	}
	want := `[A=1@3 B=x "y"@4 C=$z@5 D=multi  line@7]`
	if fmt.Sprint(vals) != want {
		t.Errorf("got %s\nwant %s", fmt.Sprint(vals), want)
	}
}

func values(args []Arg) []string {
	var out []string
	for _, a := range args {
		out = append(out, a.Value)
	}
	return out
}

func FuzzUnit(f *testing.F) {
	f.Add(kubeadmDropIn, "KUBELET_KUBEADM_ARGS=\"--a=b\"\n")
	f.Add("[Service]\nExecStart=/x $A ${B}\\\n$$ '\"", "A='x\nB=\"\\")
	f.Fuzz(func(t *testing.T, unit, env string) {
		var u Unit
		u.Parse("u", []byte(unit))
		settings := ParseEnvFile("e", []byte(env))
		for _, s := range settings {
			if !strings.Contains(s.Value, "=") || s.Line < 1 {
				t.Fatalf("bad setting %+v", s)
			}
		}
		_, args, line, ok := u.Expand([][]Setting{settings})
		if ok && line < 1 {
			t.Fatalf("line %d", line)
		}
		for _, a := range args {
			if a.Origin == "" {
				t.Fatalf("argument %q without origin", a.Value)
			}
		}
	})
}
