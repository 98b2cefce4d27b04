package helm_test

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/workload"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/helm"
)

func newLoader(t *testing.T, opts helm.Options) *loader.Loader {
	t.Helper()
	l, err := loader.New(loader.Options{Helm: opts, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWalk runs the renderer under the loader: a chart that fails is
// reported and the other charts are still scanned; a library chart is
// skipped with its reason.
func TestWalk(t *testing.T) {
	log := &diag.Log{}
	units := map[string]bool{}
	_, err := newLoader(t, helm.Options{}).Load([]string{"testdata"}, nil, log, func(_ int, o *inventory.Object) {
		units[o.Source.File+" "+o.Source.Template] = true
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for u := range units {
		got = append(got, u)
	}
	sort.Strings(got)
	want := []string{
		"testdata/app app/charts/sub/templates/configmap.yaml",
		"testdata/app app/crds/widgets.yaml",
		"testdata/app app/templates/deployment.yaml",
		"testdata/app app/templates/hook-job.yaml",
		"testdata/app app/templates/legacy-hooks.yaml",
		"testdata/app app/templates/rbac.yaml",
		"testdata/app app/templates/service.yaml",
		"testdata/caps caps/templates/configmap.yaml",
		"testdata/glued glued/templates/configmaps.yaml",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects from:\n got %q\nwant %q", got, want)
	}
	var problems []string
	for _, p := range log.Problems() {
		problems = append(problems, p.File+": "+p.Message)
	}
	if len(problems) != 2 || !strings.HasPrefix(problems[0], "testdata/broken: helm: execution error at (broken/templates/deployment.yaml:10:20)") ||
		!strings.HasPrefix(problems[1], "testdata/missing-dep: helm: missing chart dependencies") {
		t.Errorf("problems: %q", problems)
	}
	var skipped []string
	for _, s := range log.Skipped() {
		if !strings.HasPrefix(s.Path, "testdata/fuzz/") { // go test's fuzz corpus
			skipped = append(skipped, s.Path+": "+s.Reason)
		}
	}
	if len(skipped) != 3 || !strings.HasPrefix(skipped[0], "testdata/greeting.txt") || !strings.HasPrefix(skipped[1], "testdata/library: helm: library chart") ||
		!strings.HasPrefix(skipped[2], "testdata/values-prod.yaml: not a Kubernetes manifest") {
		t.Errorf("skipped: %q", skipped)
	}
}

// TestFindingsInTemplates runs a real check on a rendered chart: the
// finding names the chart, the template and the line in its output.
func TestFindingsInTemplates(t *testing.T) {
	e := scan.New(scan.Options{Checks: []*check.Check{workload.ReadOnlyRootFilesystem}})
	res, _, err := e.Files(newLoader(t, helm.Options{}), []string{"testdata/app"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s/%s %s %s:%d %s", f.Object.Kind, f.Object.Name, f.Path, f.Source.File, f.Position.Line, f.Source.Template))
	}
	// The field is missing: its position is its parent's, where it goes.
	want := []string{"Job/release-name-app-migrate spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem testdata/app:15 app/templates/hook-job.yaml"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
}

// TestNamespaceDefault: without a release namespace, a chart is not
// reported for the default namespace; with the release namespace default,
// both its Deployment (namespace: {{ .Release.Namespace }}) and its Job,
// which names no namespace, are: Helm installs such objects in the release
// namespace, and the Job used to be left without one.
func TestNamespaceDefault(t *testing.T) {
	for _, c := range []struct {
		ns   string
		want int
	}{{"", 0}, {"default", 2}} {
		e := scan.New(scan.Options{Checks: []*check.Check{workload.DefaultNamespace}})
		res, _, err := e.Files(newLoader(t, helm.Options{Namespace: c.ns}), []string{"testdata/app"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != c.want {
			t.Errorf("namespace %q: %d findings, want %d", c.ns, len(res.Findings), c.want)
		}
	}
}
