package config

import (
	"strings"
	"testing"
)

func TestImagePolicyValidation(t *testing.T) {
	head := "apiVersion: kubeward.dev/v1alpha1\nkind: Config\nimages:\n"
	ok := head + `  policies:
  - name: p
    images: ["ghcr.io/acme/**"]
    signers:
    - keyless: {issuer: https://token.actions.githubusercontent.com, subjectRegExp: "https://github\\.com/acme/.*"}
    - key: cosign.pub
    attestations: [{type: slsa-provenance, builderIDRegExp: "https://github\\.com/.*"}, {type: spdx}]
    exceptions: [{images: [ghcr.io/acme/old], reason: legacy, expires: "2027-01-01"}]
  registry: {timeout: 10s, retries: 0, cacheMaxSize: 2Gi}
  maxImageSize: 1536Mi
  onRegistryError: warn
`
	f, err := Parse([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	ann := head + "  policies: [{images: [x], signers: [{key: k, annotations: {env: prod, build: 42, empty: \"\"}}]}]\n"
	fa, err := Parse([]byte(ann))
	if err != nil {
		t.Fatal(err)
	}
	if got := fa.Images.Policies[0].Signers[0].Annotations; len(got) != 3 || got["env"] != "prod" || got["build"] != "42" || got["empty"] != "" {
		t.Fatalf("annotations = %q", got)
	}
	if n, _ := ParseSize(f.Images.Registry.CacheMaxSize); n != 2<<30 {
		t.Errorf("cacheMaxSize: %d bytes", n)
	}
	if n, _ := ParseSize(f.Images.MaxImageSize); n != 1536<<20 {
		t.Errorf("maxImageSize: %d bytes", n)
	}
	rules := f.ImageSuppressions()
	if len(rules) != len(PolicyChecks) || rules[0].Image != "ghcr.io/acme/old" || !strings.Contains(rules[0].Origin, "images.policies[0].exceptions[0]") {
		t.Fatalf("suppressions = %+v", rules)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"  policies: [{signers: [{key: k}]}]\n", "images is required"},
		{"  policies: [{images: [x]}]\n", "needs signers, attestations or both"},
		{"  policies: [{images: [x], signers: [{key: k, keyless: {issuer: i, subject: s}}]}]\n", "not both"},
		{"  policies: [{images: [x], signers: [{keyless: {subject: s}}]}]\n", "issuer or issuerRegExp"},
		{"  policies: [{images: [x], signers: [{keyless: {issuer: i, subjectRegExp: \"(\"}}]}]\n", "missing closing"},
		{"  policies: [{images: [x], attestations: [{type: spdx}]}]\n", "no signers"},
		{"  policies: [{images: [x], signers: [{key: k}], attestations: [{type: sbom}]}]\n", "predicate type URI"},
		{"  policies: [{images: [x], signers: [{key: k}], attestations: [{type: spdx, builderID: b}]}]\n", "conditions on SLSA provenance"},
		{"  policies: [{images: [x], signers: [{key: k}], exceptions: [{images: [y]}]}]\n", "needs a reason"},
		{"  policies: [{images: [x], signers: [{key: k}], exceptions: [{images: [y], checks: [image-latest-tag], reason: r}]}]\n", "is not one of"},
		{"  policies: [{name: a, images: [x], signers: [{key: k}]}, {name: a, images: [y], signers: [{key: k}]}]\n", "used twice"},
		{"  onRegistryError: allow\n", "deny or warn"},
		{"  registry: {timeout: soon}\n", "duration"},
		{"  registry: {cacheMaxSize: lots}\n", `images.registry.cacheMaxSize: "lots" is not a positive size like 10Gi`},
		{"  maxImageSize: -1Gi\n", `images.maxImageSize: "-1Gi" is not a positive size`},
		{"  maxImageSize: \"0\"\n", `images.maxImageSize: "0" is not a positive size`},
		// Signers' annotations: a map of strings, at the line of the mistake.
		{"  policies:\n  - images: [x]\n    signers:\n    - key: k\n      annotations: [env=prod]\n", "line 8: cannot unmarshal !!seq into map[string]string"},
		{"  policies: [{images: [x], signers: [{key: k, annotations: prod}]}]\n", "line 4: cannot unmarshal !!str `prod` into map[string]string"},
		{"  policies: [{images: [x], signers: [{key: k, annotations: {env: {stage: prod}}}]}]\n", "line 4: cannot unmarshal !!map into string"},
		{"  policies:\n  - images: [x]\n    signers:\n    - key: k\n      annotations:\n        env:\n", `line 9: annotations: "env" has no value`},
		{"  policies: [{images: [x], signers: [{key: k, annotations: {\"\": x}}]}]\n", "annotations: an empty key"},
		{"  policies: [{images: [x], attestations: [{type: spdx, signers: [{key: k, annotations: {env: prod}}]}]}]\n",
			"images.policies[0].attestations[0].signers[0].annotations: annotations are checked on image signatures, not attestations"},
	} {
		if _, err := Parse([]byte(head + tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", strings.TrimSpace(tc.yaml), err, tc.want)
		}
	}
}
