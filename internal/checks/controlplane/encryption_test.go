package controlplane

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
)

func TestAPIServerEncryptionProviderConfig(t *testing.T) {
	runFlagCases(t, APIServerEncryptionProviderConfig, "kube-apiserver", "kube-apiserver", []flagCase{
		{"set passes (the file is judged on its own)", hardenedAPIServer, nil},
		{"unset fires", with(hardenedAPIServer, "-encryption-provider-config"), []string{apiPod + " spec.containers[0].command"}},
	})
}

func encryptionConfig(resources, providers string) string {
	return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: ` + resources + `
  providers:
` + providers
}

const secretKey = "c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hIQ=="

func TestEncryptionProviders(t *testing.T) {
	aescbc := "  - aescbc: {keys: [{name: k1, secret: " + secretKey + "}]}\n  - identity: {}\n"
	tests := []struct {
		name string
		yaml string
		want []string
		sev  check.Severity
	}{
		{"aescbc first passes", encryptionConfig("[secrets]", aescbc), nil, 0},
		{"kms v2 passes", encryptionConfig("[secrets]", "  - kms: {apiVersion: v2, name: vault, endpoint: unix:///kms.sock}\n"), nil, 0},
		{"secretbox for everything passes", encryptionConfig(`["*.*"]`, "  - secretbox: {keys: [{name: k, secret: "+secretKey+"}]}\n"), nil, 0},
		{"identity first fires", encryptionConfig("[secrets]", "  - identity: {}\n  - aescbc: {keys: [{name: k1, secret: "+secretKey+"}]}\n"),
			[]string{"EncryptionConfiguration/ resources[0].providers[0].identity"}, check.High},
		{"secrets not covered fires", encryptionConfig("[configmaps]", aescbc), []string{"EncryptionConfiguration/ resources"}, check.High},
		{"core wildcard covers secrets", encryptionConfig(`["*."]`, aescbc), nil, 0},
		{"aesgcm is low", encryptionConfig("[secrets]", "  - aesgcm: {keys: [{name: k, secret: "+secretKey+"}]}\n"),
			[]string{"EncryptionConfiguration/ resources[0].providers[0].aesgcm"}, check.Low},
		{"kms v1 is low", encryptionConfig("[secrets]", "  - kms: {name: old, endpoint: unix:///kms.sock, cachesize: 100}\n"),
			[]string{"EncryptionConfiguration/ resources[0].providers[0].kms.apiVersion"}, check.Low},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := checktest.Run(t, tt.yaml, nil, EncryptionProviders)
			checktest.Expect(t, fs, tt.want...)
			for _, f := range fs {
				if f.Severity != tt.sev {
					t.Errorf("severity %s, want %s", f.Severity, tt.sev)
				}
				if strings.Contains(f.Message, secretKey) {
					t.Error("the key is in the message")
				}
			}
		})
	}
}

// A configuration in the same scan as the API server that names it says
// so; one the API server does not name is still judged. (checktest names
// its input fixture.yaml.)
func TestEncryptionProvidersLinked(t *testing.T) {
	identity := encryptionConfig("[secrets]", "  - identity: {}\n")
	for _, tc := range []struct {
		flag   string
		linked bool
	}{{"/etc/kubernetes/enc/enc.yaml", false}, {"/etc/kubernetes/fixture.yaml", true}} {
		api := staticPod("kube-apiserver", "kube-apiserver", with(hardenedAPIServer, "--encryption-provider-config="+tc.flag))
		fs := checktest.Run(t, api+"---\n"+identity, nil, EncryptionProviders)
		if len(fs) != 1 {
			t.Fatalf("%s: findings %+v", tc.flag, fs)
		}
		if got := strings.Contains(fs[0].Message, "Pod/kube-system/kube-apiserver"); got != tc.linked {
			t.Errorf("%s: linked = %v: %s", tc.flag, got, fs[0].Message)
		}
	}
}

func TestSameFile(t *testing.T) {
	tests := []struct {
		flag, scanned string
		want          bool
	}{
		{"/etc/kubernetes/enc/enc.yaml", "enc/enc.yaml", true},
		{"/etc/kubernetes/enc/enc.yaml", "/etc/kubernetes/enc/enc.yaml", true},
		{"/etc/kubernetes/enc/enc.yaml", "./enc.yaml", true},
		{"/etc/kubernetes/enc/enc.yaml", "other/enc.yaml", false},
		{"/etc/kubernetes/enc/enc.yaml", "x.yaml", false},
		{"/etc/kubernetes/enc/enc.yaml", "", false},
		{"/etc/kubernetes/enc/enc.yaml", "-", false},
		{"enc.yaml", "a/enc.yaml", true}, // a relative flag path: the file's name is all it says
		{"/etc/kubernetes/enc/enc.yaml", "/tmp/copy/etc/kubernetes/enc/enc.yaml", true},
		{"/etc/kubernetes/enc/enc.yaml", "/tmp/copy/etc/other/enc/enc.yaml", false},
	}
	for _, tt := range tests {
		if got := sameFile(tt.flag, tt.scanned); got != tt.want {
			t.Errorf("sameFile(%q, %q) = %v", tt.flag, tt.scanned, got)
		}
	}
}

// An API server without --encryption-provider-config has no providers at
// all: Secrets are written as identity would write them, which fails CIS
// 1.2.28 as well as 1.2.27.
func TestEncryptionProvidersWithoutConfiguration(t *testing.T) {
	noFlag := with(hardenedAPIServer, "-encryption-provider-config")
	fs := checktest.Run(t, staticPod("kube-apiserver", "kube-apiserver", noFlag), nil, EncryptionProviders)
	checktest.Expect(t, fs, at(apiPod, noFlag, "encryption-provider-config"))
	for _, f := range fs {
		if f.Severity != check.High || !strings.Contains(f.Message, "plain text") {
			t.Errorf("finding %s %q", f.Severity, f.Message)
		}
	}
	// With the flag, the file decides: judged where it is in the scan, and
	// a coverage gap (not a pass) where it is not.
	res, _ := checktest.RunResult(t, staticPod("kube-apiserver", "kube-apiserver", hardenedAPIServer), nil, EncryptionProviders)
	checktest.Expect(t, res.Findings)
	if len(res.Coverage) != 1 || res.Coverage[0].ID != GapEncryptionConfig || res.Coverage[0].Objects[0] != "Pod/kube-system/kube-apiserver" {
		t.Errorf("coverage %+v", res.Coverage)
	}
	cfg := encryptionConfig("[secrets]", "  - secretbox: {keys: [{name: k, secret: "+secretKey+"}]}\n")
	api := staticPod("kube-apiserver", "kube-apiserver", with(hardenedAPIServer, "--encryption-provider-config=/etc/kubernetes/fixture.yaml"))
	if res, _ := checktest.RunResult(t, api+"---\n"+cfg, nil, EncryptionProviders); len(res.Findings)+len(res.Coverage) != 0 {
		t.Errorf("the file in the scan decides: %+v %+v", res.Findings, res.Coverage)
	}
}
