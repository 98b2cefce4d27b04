package controlplane

import "testing"

func TestAPIServerAuditLog(t *testing.T) {
	h := hardenedAPIServer
	missing := apiPod + " spec.containers[0].command"
	noLog := with(h, "-audit-log-path")
	webhook := with(h, "-audit-log-path", "--audit-webhook-config-file=/etc/kubernetes/audit-webhook.yaml")
	runFlagCases(t, APIServerAuditLog, "kube-apiserver", "kube-apiserver", []flagCase{
		{"log path passes", h, nil},
		{"stdout counts", with(h, "--audit-log-path=-"), nil},
		{"webhook backend counts", webhook, nil},
		{"no backend fires", noLog, []string{missing}},
	})
	runFlagCases(t, APIServerAuditPolicyFile, "kube-apiserver", "kube-apiserver", []flagCase{
		{"set passes", h, nil},
		{"a log without a policy records nothing", with(h, "-audit-policy-file"), []string{missing}},
	})
	short := func(flag, v string) []string { return with(h, "--"+flag+"="+v) }
	runFlagCases(t, APIServerAuditLogMaxAge, "kube-apiserver", "kube-apiserver", []flagCase{
		{"default 366 passes", h, nil},
		{"30 passes", short("audit-log-maxage", "30"), nil},
		{"0 keeps everything", short("audit-log-maxage", "0"), nil},
		{"7 fires", short("audit-log-maxage", "7"), []string{at(apiPod, short("audit-log-maxage", "7"), "audit-log-maxage")}},
		{"stdout has no rotation", with(h, "--audit-log-path=-", "--audit-log-maxage=7"), nil},
		{"no log file, nothing to retain", with(h, "-audit-log-path", "--audit-log-maxage=7"), nil},
	})
	runFlagCases(t, APIServerAuditLogMaxBackup, "kube-apiserver", "kube-apiserver", []flagCase{
		{"default 100 passes", h, nil},
		{"0 keeps every file", short("audit-log-maxbackup", "0"), nil},
		{"3 fires", short("audit-log-maxbackup", "3"), []string{at(apiPod, short("audit-log-maxbackup", "3"), "audit-log-maxbackup")}},
	})
	runFlagCases(t, APIServerAuditLogMaxSize, "kube-apiserver", "kube-apiserver", []flagCase{
		{"default 100 passes", h, nil},
		{"200 passes", short("audit-log-maxsize", "200"), nil},
		{"10 fires", short("audit-log-maxsize", "10"), []string{at(apiPod, short("audit-log-maxsize", "10"), "audit-log-maxsize")}},
	})
}
