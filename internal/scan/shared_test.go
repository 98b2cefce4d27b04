package scan

import (
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/sharedtest"
)

// TestQuirks scans real files that make other scanners abort: every object
// is still loaded and checked, and each problem is reported at its line.
func TestQuirks(t *testing.T) {
	dir := sharedtest.Dir(t, "corpus-quirks")
	res, inv, err := New(Options{Checks: check.All()}).Files(loader.Default(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Len() != 28 {
		t.Errorf("loaded %d objects, want the 28 of the quirks corpus", inv.Len())
	}
	var got []string
	for _, p := range res.Problems {
		rel, _ := filepath.Rel(dir, p.File)
		got = append(got, string(p.Level)+" "+rel+":"+strconv.Itoa(p.Line)+" "+p.Path)
	}
	want := []string{
		"warning examples/_archived/volumes/fibre_channel/fc.yaml:17 spec.volumes[0].fc.lun", // <ADD LUN ID Here>: a documentation placeholder
		"error ingress-nginx/docs/examples/auth/oauth-external-auth/vouch-proxy.yaml:21 spec.template.spec.containers[0].env[0].value",
		"error kubernetes-engine-samples/autoscaling/custom-compute-classes/reservations/deployment-gpu.yaml:39 spec.template.spec.containers[0].resources.requests[nvidia.com/gpu]",
		"error kubernetes-engine-samples/autoscaling/custom-compute-classes/reservations/deployment-gpu.yaml:43 spec.template.spec.containers[0].resources.limits[nvidia.com/gpu]",
		"error kubernetes-engine-samples/networking/sctp/sctp-deployment.yaml:33 spec.template.spec.containers[0].ports[0].containerPort",
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("missing problem %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	// The objects with bad values were still checked.
	checked := map[string]bool{}
	for _, f := range res.Findings {
		checked[f.Object.Name] = true
	}
	for _, name := range []string{"vouch-proxy", "ccc-reservations", "sctp-app", "fibre-channel-example-pod"} {
		if !checked[name] {
			t.Errorf("no finding on %s, which has a bad value: was the rest of it checked?", name)
		}
	}
}

// TestCorpusLoads loads the whole real-world corpus. Its input errors are
// real: 31 objects of API versions Kubernetes no longer serves
// (autoscaling/v2beta1 and v2beta2 HorizontalPodAutoscalers,
// PodSecurityPolicies, an InitializerConfiguration), which the API server
// refuses too. A documentation Secret whose data is the placeholder
// "...base64 encoded data..." is a warning, and a Kustomize component's
// "$patch: delete" fragment is skipped, not loaded as an object.
func TestCorpusLoads(t *testing.T) {
	dir := sharedtest.Dir(t, "corpus")
	res, inv, err := New(Options{Checks: check.All()}).Files(loader.Default(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Len() != 4297 {
		t.Errorf("loaded %d objects, want 4297", inv.Len())
	}
	placeholder := false
	for _, p := range res.Problems {
		placeholder = placeholder || (strings.HasSuffix(p.File, "ssl-dh-param/ssl-dh-param.yaml") && p.Line == 3 && p.Level == "warning")
	}
	if !placeholder {
		t.Error("the ssl-dh-param placeholder is not reported as a warning")
	}
	rejected := map[string]int{}
	for _, p := range res.Problems {
		if p.Level != "error" {
			continue
		}
		if strings.Contains(p.Message, "the API server would reject the object") {
			rejected[strings.SplitN(p.Object, "/", 2)[0]]++
			continue
		}
		t.Errorf("input error: %s", p)
	}
	if want := map[string]int{"HorizontalPodAutoscaler": 26, "PodSecurityPolicy": 4, "InitializerConfiguration": 1}; !maps.Equal(rejected, want) {
		t.Errorf("rejected objects %v, want %v", rejected, want)
	}
	if len(res.Findings) == 0 {
		t.Error("no findings on the corpus")
	}
}
