package admission

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/sharedtest"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// corpusWorkloads decodes the corpus and keeps the workloads, in full.
func corpusWorkloads(t testing.TB) []*inventory.Object {
	t.Helper()
	dir := sharedtest.Dir(t, "corpus")
	l := loader.Default()
	perWorker := make([][]*inventory.Object, l.Workers())
	reads := func(gk schema.GroupKind) bool { return slices.Contains(inventory.WorkloadKinds, gk) }
	if _, err := l.Load([]string{dir}, reads, &diag.Log{}, func(w int, o *inventory.Object) {
		if o.Typed != nil && len(o.Pods()) > 0 {
			perWorker[w] = append(perWorker[w], o)
		}
	}); err != nil {
		t.Fatal(err)
	}
	out := slices.Concat(perWorker...)
	inventory.SortObjects(out)
	return out
}

// TestCorpusSameAsScan sends every workload of the real-world corpus
// through the webhook as the API server would (the object encoded to JSON
// in an AdmissionReview) and compares what the webhook finds with what
// `kubeward scan` finds in the manifest: the same checks at the same
// fields. Objects in a namespace the webhook always exempts are evaluated
// directly. It also counts the decisions at the default levels.
func TestCorpusSameAsScan(t *testing.T) {
	objs := corpusWorkloads(t)
	w := newTestWebhook(t, DefaultPolicy("kubeward"), nil, nil)
	e := scan.New(scan.Options{Checks: w.Eval.checks})
	decisions := map[string]int{}
	denied := map[string]int{}
	mismatches := 0
	for i, o := range objs {
		// As the scan reports them: one finding per root cause.
		want := check.Finish(e.Runner.CheckObject(e.Ctx, o))
		raw, err := json.Marshal(o.Typed)
		if err != nil {
			t.Fatal(err)
		}
		ns := o.Namespace
		if ns == "" {
			ns = "corpus" // the namespace kubectl apply -n would give it
		}
		gvk := o.Typed.GetObjectKind().GroupVersionKind()
		req := &admissionv1.AdmissionRequest{UID: types.UID(fmt.Sprint(i)), Operation: admissionv1.Create, Namespace: ns, Name: o.Name,
			Kind:     metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
			UserInfo: alice, Object: runtime.RawExtension{Raw: raw}}
		d, err := w.Admit(t.Context(), req)
		if err != nil {
			t.Errorf("%s %s: %v", o.Source.File, o.Ref, err)
			continue
		}
		decisions[string(d.Outcome)]++
		for _, f := range d.Denied {
			denied[f.CheckID]++
			if testing.Verbose() {
				t.Logf("deny %s#%d %s: %s at %s: %s", o.Source.File, o.Source.Document, o.Ref, f.CheckID, f.Path, f.Message)
			}
		}

		// What the webhook evaluates, after the JSON round trip.
		typed, err := DecodeObject(runtime.RawExtension{Raw: raw}, gvk)
		if err != nil || typed == nil {
			t.Errorf("%s %s: %v", o.Source.File, o.Ref, err)
			continue
		}
		ev, err := w.Eval.Evaluate(typed, ns)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := keys(want, o.Namespace == ""), keys(ev.Findings, o.Namespace == ""); !slices.Equal(a, b) {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("%s#%d %s:\n scan    %q\n webhook %q", o.Source.File, o.Source.Document, o.Ref, a, b)
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d workloads judged differently", mismatches, len(objs))
	}
	t.Logf("%d workloads; decisions at the defaults (enforce high, warn medium): %v", len(objs), decisions)
	ids := make([]string, 0, len(denied))
	for id := range denied {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return denied[ids[i]] > denied[ids[j]] })
	for _, id := range ids {
		t.Logf("%5d denied findings of %s", denied[id], id)
	}
}

// keys are the findings as check and field. A manifest without a namespace
// is judged in the request's at admission: the checks about the default
// namespace are left out of the comparison for it.
func keys(fs []check.Finding, noNamespace bool) []string {
	var out []string
	for _, f := range fs {
		if noNamespace && f.CheckID == "default-namespace" {
			continue
		}
		out = append(out, f.CheckID+" "+f.Path+" "+f.Severity.String())
	}
	sort.Strings(out)
	return out
}
