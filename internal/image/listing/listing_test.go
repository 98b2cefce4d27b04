package listing

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRunningDigests: a live pod runs an older digest than its tag names
// now; the listing shows both and what the registry said of each.
func TestRunningDigests(t *testing.T) {
	now, old := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "ghcr.io/acme/web:1.0"}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", ImageID: "ghcr.io/acme/web@" + old}}}}
	o, err := inventory.New(pod, inventory.Source{Cluster: "test"})
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.NewInventory()
	inv.Add(o)
	set := facts.NewSet()
	set.Add("ghcr.io/acme/web:1.0", &facts.Facts{Name: "ghcr.io/acme/web", Digest: now, Policies: []string{"acme"}})
	set.Add("ghcr.io/acme/web@"+old, &facts.Facts{Name: "ghcr.io/acme/web", Digest: old, Error: "manifest unknown"})
	images := Build(inv, set)
	if len(images) != 1 || len(images[0].Running) != 1 || images[0].Running[0] != old || images[0].RunningFacts[old] == nil || images[0].Facts.Digest != now {
		t.Fatalf("images = %+v", images[0])
	}
	var b bytes.Buffer
	if err := WriteTable(&b, images); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "passes; running sha256:bbbbbbbbbbbb: unreadable") {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestVulnerabilitiesSayIncomplete: the listing never shows an image whose
// report holds problems or missing ecosystems as plainly clean.
func TestVulnerabilitiesSayIncomplete(t *testing.T) {
	for _, tc := range []struct {
		rep  *vuln.Report
		want string
	}{
		{&vuln.Report{Packages: 4, Matched: 4}, "no known vulnerability"},
		{&vuln.Report{Source: "layers"}, "vulnerabilities unknown: no package found"},
		{&vuln.Report{Packages: 4, Matched: 3, Problems: []string{`version "1.3-1.azl3" cannot be compared`}},
			"no known vulnerability, incomplete (1 problem: -o json lists them)"},
		{&vuln.Report{Packages: 4, Matched: 1, Findings: []vuln.Finding{{ID: "GHSA-1", Severity: vuln.High}},
			Missing: map[string]int{"Alpine": 2}, Problems: []string{"a.jar: not a zip"}},
			"1 advisory (1 high), incomplete (2 problems: -o json lists them)"},
	} {
		if got := vulnerabilities(facts.Analysis{Value: tc.rep}); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
