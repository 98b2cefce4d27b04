package controlplane

import (
	"testing"
)

func TestAPIServerAdmission(t *testing.T) {
	h := hardenedAPIServer
	missing := apiPod + " spec.containers[0].command"
	enable := func(args []string) string { return at(apiPod, args, "enable-admission-plugins") }
	disable := func(args []string) string { return at(apiPod, args, "disable-admission-plugins") }
	legacy := func(args []string) string { return at(apiPod, args, "admission-control") }

	noNR := with(h, "-enable-admission-plugins")
	nrDisabled := with(h, "-enable-admission-plugins", "--disable-admission-plugins=NodeRestriction,ServiceAccount")
	nrBoth := with(h, "--enable-admission-plugins=NodeRestriction", "--disable-admission-plugins=ServiceAccount")
	legacyList := with(h, "-enable-admission-plugins", "--admission-control=NamespaceLifecycle,ServiceAccount")
	split := append(with(h, "--enable-admission-plugins=EventRateLimit"), "--enable-admission-plugins=NodeRestriction,AlwaysPullImages,DenyServiceExternalIPs")
	alwaysAdmit := with(h, "--enable-admission-plugins=NodeRestriction,AlwaysAdmit")

	runFlagCases(t, APIServerAdmissionNodeRestriction, "kube-apiserver", "kube-apiserver", []flagCase{
		{"enabled passes", h, nil},
		{"not enabled fires where it would be added", noNR, []string{missing}},
		{"off by default, so a disable list alone fires at the enable flag", nrDisabled, []string{missing}},
		{"repeated enable flags append", split, nil},
		{"legacy --admission-control lists exactly what runs", legacyList, []string{legacy(legacyList)}},
	})
	runFlagCases(t, APIServerAdmissionServiceAccount, "kube-apiserver", "kube-apiserver", []flagCase{
		{"on by default", h, nil},
		{"disabled fires at the disable flag", nrDisabled, []string{disable(nrDisabled)}},
		{"disabled while NodeRestriction enabled", nrBoth, []string{disable(nrBoth)}},
		{"legacy list with it passes", legacyList, nil},
	})
	noNL := with(h, "--disable-admission-plugins=NamespaceLifecycle")
	runFlagCases(t, APIServerAdmissionNamespaceLifecycle, "kube-apiserver", "kube-apiserver", []flagCase{
		{"on by default", h, nil},
		{"disabled fires", noNL, []string{disable(noNL)}},
		{"legacy list with it passes", legacyList, nil},
		{"legacy list without it fires", with(legacyList, "--admission-control=ServiceAccount"), []string{legacy(with(legacyList, "--admission-control=ServiceAccount"))}},
	})
	runFlagCases(t, APIServerAdmissionAlwaysAdmit, "kube-apiserver", "kube-apiserver", []flagCase{
		{"off by default", h, nil},
		{"enabled fires", alwaysAdmit, []string{enable(alwaysAdmit)}},
	})
	runFlagCases(t, APIServerAdmissionAlwaysPullImages, "kube-apiserver", "kube-apiserver", []flagCase{
		{"off by default fires", h, []string{enable(h)}},
		{"enabled by a second flag passes", split, nil},
	})
	runFlagCases(t, APIServerAdmissionEventRateLimit, "kube-apiserver", "kube-apiserver", []flagCase{
		{"off by default fires", h, []string{enable(h)}},
		{"enabled passes", split, nil},
	})
	runFlagCases(t, APIServerAdmissionDenyServiceExternalIPs, "kube-apiserver", "kube-apiserver", []flagCase{
		{"off by default fires", h, []string{enable(h)}},
		{"enabled passes", split, nil},
	})
}
