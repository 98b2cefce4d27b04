package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/kubeward/kubeward/internal/sharedtest"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// ReportsModuleCRDs reads the CRDs that github.com/openreports/reports-api
// ships (config/crd), from the module as the build resolved it.
func reportsModuleCRDs(t testing.TB) []*apiextv1.CustomResourceDefinition {
	t.Helper()
	dir := sharedtest.ModulePath(t, "github.com/openreports/reports-api", "config", "crd")
	var crds []*apiextv1.CustomResourceDefinition
	for _, name := range []string{"openreports.io_reports.yaml", "openreports.io_clusterreports.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(b, crd); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		crds = append(crds, crd)
	}
	return crds
}

// wgpolicyCRDs are the openreports CRDs under the group and kinds they
// continue (wgpolicyk8s.io/v1alpha2 PolicyReport, ClusterPolicyReport),
// without the report-level source field v1alpha2 lacks.
func wgpolicyCRDs(t testing.TB) []*apiextv1.CustomResourceDefinition {
	var out []*apiextv1.CustomResourceDefinition
	for _, crd := range reportsModuleCRDs(t) {
		kind, plural := "PolicyReport", "policyreports"
		if crd.Spec.Scope == apiextv1.ClusterScoped {
			kind, plural = "ClusterPolicyReport", "clusterpolicyreports"
		}
		crd.Name = plural + ".wgpolicyk8s.io"
		crd.Spec.Group = "wgpolicyk8s.io"
		crd.Spec.Names = apiextv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)}
		crd.Spec.Versions[0].Name = "v1alpha2"
		delete(crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties, "source")
		out = append(out, crd)
	}
	return out
}

func installCRDs(t testing.TB, cfg *rest.Config, crds []*apiextv1.CustomResourceDefinition) {
	t.Helper()
	cs := apiextclient.NewForConfigOrDie(cfg)
	ctx := context.Background()
	for _, crd := range crds {
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the CRDs are established", func() error {
		for _, crd := range crds {
			got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			ok := false
			for _, c := range got.Status.Conditions {
				ok = ok || (c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue)
			}
			if !ok {
				return errors.New(crd.Name + " not established")
			}
		}
		return nil
	})
}

// eventually polls cond until it holds; the deadline is generous for a
// loaded machine and is not a timing assertion.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// running is a controller started by a test.
type running struct {
	c      *Controller
	cancel context.CancelFunc
	done   chan error
}

func start(t testing.TB, cl *kubetest.Cluster, mod func(*Options)) *running {
	t.Helper()
	cfg := rest.CopyConfig(cl.Config)
	cfg.QPS, cfg.Burst = 100, 200
	opts := Options{Config: cfg, Context: "kubetest", Checks: check.Defaults(), Debounce: 50 * time.Millisecond}
	if mod != nil {
		mod(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: New(opts), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.c.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	// Changes made from here on are changes, not the initial list.
	eventually(t, "the first evaluation", func() error {
		select {
		case err := <-r.done:
			r.cancel = nil
			t.Fatalf("the controller stopped: %v", err)
		default:
		}
		return r.c.Ready()
	})
	return r
}

// stop ends the controller and checks it shut down cleanly.
func (r *running) stop(t testing.TB) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("controller: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the controller did not stop within 30s")
	}
}

// reports reads kubeward's reports of a namespace ("" the cluster).
func reports(ctx context.Context, cfg *rest.Config, f policyreport.Flavor, ns string) ([]reportsv1alpha1.Report, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	res := dyn.Resource(f.GVR(ns != ""))
	var ri dynamic.ResourceInterface = res
	if ns != "" {
		ri = res.Namespace(ns)
	}
	list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: policyreport.Selector})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]reportsv1alpha1.Report, len(list.Items))
	for i := range list.Items {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// result is a report result as tests compare it.
type result struct {
	Policy, Kind, Namespace, Name, Path, Result, Severity, Suppressed string
}

func results(rs []reportsv1alpha1.Report) []result {
	var out []result
	for _, r := range rs {
		for _, x := range r.Results {
			res := result{Policy: x.Policy, Path: x.Properties["path"], Result: string(x.Result), Severity: string(x.Severity), Suppressed: x.Properties["suppressed"]}
			if len(x.Subjects) > 0 {
				res.Kind, res.Namespace, res.Name = x.Subjects[0].Kind, x.Subjects[0].Namespace, x.Subjects[0].Name
			}
			out = append(out, res)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := json.Marshal(out[i])
		b, _ := json.Marshal(out[j])
		return string(a) < string(b)
	})
	return out
}

func has(rs []result, want result) bool {
	for _, r := range rs {
		if (want.Policy == "" || r.Policy == want.Policy) && (want.Kind == "" || r.Kind == want.Kind) &&
			(want.Name == "" || r.Name == want.Name) && (want.Path == "" || r.Path == want.Path) &&
			(want.Result == "" || r.Result == want.Result) && (want.Severity == "" || r.Severity == want.Severity) &&
			(want.Suppressed == "" || r.Suppressed == want.Suppressed) {
			return true
		}
	}
	return false
}

// gather renders the registry's series as `name{labels} value` lines
// (histograms as their _count), sorted labels as the exposition format
// writes them.
func gather(t testing.TB, reg *prometheus.Registry) []string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range fams {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Gauge != nil:
				out = append(out, fmt.Sprintf("%s %g", name, m.GetGauge().GetValue()))
			case m.Counter != nil:
				out = append(out, fmt.Sprintf("%s %g", name, m.GetCounter().GetValue()))
			case m.Histogram != nil:
				out = append(out, fmt.Sprintf("%s_count %d", mf.GetName(), m.GetHistogram().GetSampleCount()))
			}
		}
	}
	return out
}
