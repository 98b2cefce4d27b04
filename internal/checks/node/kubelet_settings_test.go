package node

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func file(body string) string {
	return "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n" + body
}

func TestKubeletSettings(t *testing.T) {
	tests := []struct {
		check *check.Check
		cases []kcase
	}{
		{KubeletReadOnlyPort, []kcase{
			{"file default 0 passes", config(""), nil, 0},
			{"set in the file fires", file("readOnlyPort: 10255\n"), []string{cfgName + " readOnlyPort"}, 0},
			{"legacy default 10255 without --config fires", commandLine("--anonymous-auth=false"), []string{"KubeletCommandLine/kubelet args"}, 0},
			{"flag 0 passes", commandLine("--read-only-port=0"), nil, 0},
		}},
		{KubeletStreamingIdleTimeout, []kcase{
			{"default passes", config(""), nil, 0},
			{"0 in the file is replaced by the default", file("streamingConnectionIdleTimeout: 0s\n"), nil, 0},
			{"0 by flag fires", commandLine("--streaming-connection-idle-timeout=0"), []string{"KubeletCommandLine/kubelet args[0]"}, 0},
		}},
		{KubeletIPTablesUtilChains, []kcase{
			{"default passes", config(""), nil, 0},
			{"false fires", file("makeIPTablesUtilChains: false\n"), []string{cfgName + " makeIPTablesUtilChains"}, 0},
		}},
		{KubeletHostnameOverride, []kcase{
			{"absent passes", commandLine("--config=/x"), nil, 0},
			{"set fires", commandLine("--hostname-override=node-1"), []string{"KubeletCommandLine/kubelet args[0]"}, 0},
			{"a file cannot set it", config(""), nil, 0},
		}},
		{KubeletRotateCertificates, []kcase{
			{"kubeadm sets it", config(""), nil, 0},
			{"absent means off", file(""), []string{cfgName + " rotateCertificates"}, 0},
			{"flag false overrides", commandLine("--config=/x/fixture.yaml", "--rotate-certificates=false") + "---\n" + config(""), []string{"KubeletCommandLine/kubelet args[1]"}, 0},
		}},
		{KubeletRotateServerCertificateGate, []kcase{
			{"default on passes", config(""), nil, 0},
			{"off in the file fires", file("featureGates: {RotateKubeletServerCertificate: false}\n"), []string{cfgName + " featureGates[RotateKubeletServerCertificate]"}, 0},
			{"a flag turning it on wins", commandLine("--config=/x/fixture.yaml", "--feature-gates=RotateKubeletServerCertificate=true") + "---\n" + file("featureGates: {RotateKubeletServerCertificate: false}\n"), nil, 0},
		}},
		{KubeletPodPidsLimit, []kcase{
			{"set passes", config(""), nil, 0},
			{"default -1 fires", file(""), []string{cfgName + " podPidsLimit"}, 0},
			{"negative is unlimited", file("podPidsLimit: -5\n"), []string{cfgName + " podPidsLimit"}, 0},
		}},
		{KubeletSeccompDefault, []kcase{
			{"true passes", config(""), nil, 0},
			{"default false fires", kubeadmKubeletConfig, []string{cfgName + " seccompDefault"}, 0},
		}},
		{KubeletProtectKernelDefaults, []kcase{
			{"true passes", config(""), nil, 0},
			{"default false fires", kubeadmKubeletConfig, []string{cfgName + " protectKernelDefaults"}, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.check.ID, func(t *testing.T) { runKubelet(t, tt.check, tt.cases) })
	}
}

// A kubelet whose --config file is not in the scan is a coverage gap for
// the settings only the file could give, not a pass; a setting its flags
// give is still judged.
func TestKubeletConfigNotInScan(t *testing.T) {
	res, _ := checktest.RunResult(t, commandLine("--config=/var/lib/kubelet/config.yaml", "--read-only-port=10255"), nil, KubeletReadOnlyPort, KubeletAnonymousAuth)
	checktest.Expect(t, res.Findings, "KubeletCommandLine/kubelet args[1]")
	if len(res.Coverage) != 1 || res.Coverage[0].ID != GapKubeletConfig || strings.Join(res.Coverage[0].Partial, ",") != "kubelet-anonymous-auth" {
		t.Errorf("coverage %+v", res.Coverage)
	}
}
