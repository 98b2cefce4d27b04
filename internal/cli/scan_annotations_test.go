package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
)

// TestScanImagesSignerAnnotations: a signer with annotations (cosign
// verify -a env=prod) through scan --images. The web image's signature,
// by the trusted identity but without the annotation, is
// image-signature-untrusted at its image line, saying what was missing;
// the api image, signed with it, passes; a configuration giving the
// annotations as a list is a usage error at its line.
func TestScanImagesSignerAnnotations(t *testing.T) {
	e := newImageEnv(t)
	sigtest.PushLayers(t, e.reg, e.unsigned, ".sig",
		e.ss.SignKeyless(t, sigtest.PayloadWith(e.unsigned, map[string]any{"env": "prod", "git-sha": "0a1b2c"}), testReleaser, testIssuer))
	apps := e.manifests(t)
	policy := func(annotations string) string {
		return writeTestFile(t, e.dir, "kubeward.yaml", fmt.Sprintf(`apiVersion: kubeward.dev/v1alpha1
kind: Config
images:
  trustedRoot: trusted_root.json
  registry: {caFile: %q, cache: cache, timeout: 5s}
  policies:
  - name: acme-prod
    images: ["%s/acme/**"]
    signers:
    - keyless: {issuer: %q, subject: %q}
      annotations: %s
`, e.ca, e.reg.Host, testIssuer, testReleaser, annotations))
	}

	code, stderr, r := scanImages(t, "--config", policy("{env: prod}"), "--checks", "image-sig*,image-unsigned", "--images", apps)
	var got []string
	for _, f := range r.Findings {
		got = append(got, fmt.Sprintf("%s %s:%d %s", f.Check, f.Object.Name, f.Location.Line, f.Message))
	}
	if code != ExitFindings || len(got) != 1 || !strings.HasPrefix(got[0], "image-signature-untrusted web:11 ") ||
		!strings.Contains(got[0], testReleaser+" (issuer "+testIssuer+"), a signer of the policy, but no annotation env") ||
		!strings.Contains(got[0], "with annotations env=prod") {
		t.Fatalf("exit %d, findings:\n%s\n%s", code, strings.Join(got, "\n"), stderr)
	}

	code, _, stderr = runCLI(t, "scan", "--config", policy("[env=prod]"), "--images", apps)
	if code != ExitError || !strings.Contains(stderr, "line 11: cannot unmarshal !!seq into map[string]string") {
		t.Fatalf("a list of annotations: exit %d\n%s", code, stderr)
	}
}
