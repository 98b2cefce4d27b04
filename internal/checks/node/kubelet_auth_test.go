package node

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
)

const cfgName = "KubeletConfiguration/"

func TestKubeletAnonymousAuth(t *testing.T) {
	runKubelet(t, KubeletAnonymousAuth, []kcase{
		{"kubeadm's configuration passes", config(""), nil, 0},
		{"a configuration without the field defaults to off", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n", nil, 0},
		{"enabled in the file fires", config("") + "---\n" + "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {anonymous: {enabled: true}}\n",
			[]string{cfgName + " authentication.anonymous.enabled"}, check.High},
		{"no --config: the legacy default is on, with AlwaysAllow", commandLine("--kubeconfig=/etc/kubernetes/kubelet.conf"),
			[]string{"KubeletCommandLine/kubelet args"}, check.Critical},
		{"a flag overrides the file", commandLine("--config=/var/lib/kubelet/fixture.yaml", "--anonymous-auth=true") + "---\n" + config(""),
			[]string{"KubeletCommandLine/kubelet args[1]"}, check.High},
		{"--config naming a file outside the scan: unknown", commandLine("--config=/var/lib/kubelet/config.yaml"), nil, 0},
	})
}

func TestKubeletAuthorization(t *testing.T) {
	runKubelet(t, KubeletAuthorizationAlwaysAllow, []kcase{
		{"Webhook passes", config(""), nil, 0},
		{"empty mode is Webhook", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthorization: {mode: \"\"}\n", nil, 0},
		{"AlwaysAllow in the file fires", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthorization: {mode: AlwaysAllow}\n",
			[]string{cfgName + " authorization.mode"}, check.High},
		{"legacy defaults: AlwaysAllow with anonymous is critical", commandLine("--kubeconfig=/k"), []string{"KubeletCommandLine/kubelet args"}, check.Critical},
		{"legacy defaults fixed by flags", commandLine("--anonymous-auth=false", "--authorization-mode=Webhook", "--client-ca-file=/ca"), nil, 0},
	})
	runKubelet(t, KubeletClientCA, []kcase{
		{"set passes", config(""), nil, 0},
		{"missing fires", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {x509: {}}\n",
			[]string{cfgName + " authentication.x509.clientCAFile"}, 0},
		{"flag sets it", commandLine("--client-ca-file=/ca", "--anonymous-auth=false"), nil, 0},
	})
}
