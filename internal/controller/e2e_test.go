package controller

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/cluster"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

func deployment(name string, privileged bool, annotations map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "registry.example.com/app:1.0",
				SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(privileged)},
			}}}}},
	}
}

func createNamespace(t testing.TB, cs kubernetes.Interface, name string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// shop starts a cluster with the report CRDs and the namespace shop
// holding a privileged Deployment of each name.
func shop(t testing.TB, opts kubetest.Options, crds []*apiextv1.CustomResourceDefinition, privileged ...string) (*kubetest.Cluster, kubernetes.Interface) {
	t.Helper()
	cl := kubetest.Start(t, opts)
	installCRDs(t, cl.Config, crds)
	cs := cl.Client()
	createNamespace(t, cs, "shop")
	for _, name := range privileged {
		if _, err := cs.AppsV1().Deployments("shop").Create(context.Background(), deployment(name, true, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return cl, cs
}

// TestReportsFollowTheCluster: an insecure Deployment gets its results in
// its namespace's report and fails the framework's control in the
// framework's report, fixing it removes them and passes the control, a
// suppression marks its result skipped with the reason, a RoleBinding to
// cluster-admin gets the RBAC result on the binding, the reports say what
// `scan --cluster` says, deleting the namespace removes its report, and a
// restart without --framework removes the framework's report.
func TestReportsFollowTheCluster(t *testing.T) {
	kubetest.SkipIfShort(t)
	cl, cs := shop(t, kubetest.Options{ControllerManager: true}, reportsModuleCRDs(t))
	ctx := context.Background()
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, deployment("quiet", true, map[string]string{
		check.AnnotationPrefix + "pss-privileged": "the device plugin needs it"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	pss, err := framework.Get("pss-baseline")
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, cl, func(o *Options) { o.Registerer, o.Frameworks = reg, []*framework.Framework{pss} })
	f := policyreport.OpenReports
	read := func(ns string) []result {
		rs, err := reports(ctx, cl.Config, f, ns)
		if err != nil {
			t.Fatal(err)
		}
		return results(rs)
	}
	privileged := result{Policy: "pss-privileged", Kind: "Deployment", Name: "web", Path: "spec.template.spec.containers[0].securityContext.privileged", Result: "fail", Severity: "critical"}

	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, deployment("web", true, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the insecure Deployment's result", func() error {
		if rs := read("shop"); !has(rs, privileged) {
			return fmt.Errorf("no %+v in %+v", privileged, rs)
		}
		return nil
	})
	// The framework's report: Privileged Containers fails on web, not on
	// quiet, whose finding is suppressed.
	eventually(t, "the framework's failed control naming the Deployment", func() error {
		x, rep, err := frameworkControl(ctx, cl.Config, f, "pss-baseline", "3")
		if err != nil {
			return err
		}
		if x.Result != "fail" || len(x.Subjects) != 1 || x.Subjects[0].Kind != "Deployment" || x.Subjects[0].Namespace != "shop" ||
			x.Subjects[0].Name != "web" || x.Subjects[0].UID == "" || x.Properties["failingObjects"] != "1" {
			return fmt.Errorf("control 3: %s on %+v (%v)", x.Result, x.Subjects, x.Properties)
		}
		if rep.Annotations[policyreport.ScoreAnnotation] == "" || rep.Summary.Fail == 0 {
			return fmt.Errorf("no score or failure in %v, %+v", rep.Annotations, rep.Summary)
		}
		return nil
	})
	rs := read("shop")
	if !has(rs, result{Policy: "pss-privileged", Name: "quiet", Result: "skip", Suppressed: "the device plugin needs it"}) {
		t.Errorf("the suppressed result is not marked: %+v", rs)
	}
	for _, x := range rs {
		if x.Kind == "ReplicaSet" || x.Kind == "Pod" {
			t.Errorf("a result on %s/%s, which its Deployment's results cover", x.Kind, x.Name)
		}
	}

	// Metrics: the findings by check, namespace and suppression; the
	// latency of the changes written; no object names in labels.
	series := gather(t, reg)
	for _, want := range []string{
		`kubeward_findings{category="pod-security",check="pss-privileged",namespace="shop",severity="critical",suppressed="false"} 1`,
		`kubeward_findings{category="pod-security",check="pss-privileged",namespace="shop",severity="critical",suppressed="true"} 1`,
		`kubeward_controller_leader 1`,
	} {
		if !slices.Contains(series, want) {
			t.Errorf("no %s in\n%s", want, strings.Join(series, "\n"))
		}
	}
	if !slices.ContainsFunc(series, func(s string) bool {
		return strings.HasPrefix(s, "kubeward_change_to_report_seconds_count ") && !strings.HasSuffix(s, " 0")
	}) {
		t.Errorf("no change-to-report latency observed in\n%s", strings.Join(series, "\n"))
	}
	// The framework judged on the live findings: the privileged control fails.
	if !slices.ContainsFunc(series, func(s string) bool {
		return strings.HasPrefix(s, `kubeward_framework_controls{framework="pss-baseline",status="failed"} `) && !strings.HasSuffix(s, " 0")
	}) || !slices.ContainsFunc(series, func(s string) bool {
		return strings.HasPrefix(s, `kubeward_framework_score{framework="pss-baseline"} `)
	}) {
		t.Errorf("no failed pss-baseline control or score in\n%s", strings.Join(series, "\n"))
	}
	if !slices.ContainsFunc(series, func(s string) bool { return strings.HasPrefix(s, "kubeward_seconds_since_last_full_evaluation ") }) {
		t.Errorf("no time since the last full evaluation")
	}
	for _, s := range series {
		if strings.Contains(s, `"web"`) || strings.Contains(s, `"quiet"`) {
			t.Errorf("an object name in a label: %s", s)
		}
	}

	// The same findings as a one-shot cluster scan with the same engine.
	scanned := scanResults(t, cl, "shop")
	eventually(t, "the report agrees with scan --cluster", func() error {
		got := read("shop")
		if !sameResults(got, scanned) {
			return fmt.Errorf("report:\n%+v\nscan:\n%+v", got, scanned)
		}
		return nil
	})

	// Fixed: its results disappear.
	d, err := cs.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr.To(false)
	if _, err := cs.AppsV1().Deployments("shop").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fixed Deployment's result gone", func() error {
		if rs := read("shop"); has(rs, result{Policy: "pss-privileged", Name: "web"}) {
			return fmt.Errorf("still %+v", rs)
		}
		return nil
	})
	eventually(t, "the framework's control passing once the Deployment is fixed", func() error {
		x, _, err := frameworkControl(ctx, cl.Config, f, "pss-baseline", "3")
		if err != nil {
			return err
		}
		if x.Result != "pass" || len(x.Subjects) != 0 {
			return fmt.Errorf("control 3: %s on %+v", x.Result, x.Subjects)
		}
		return nil
	})
	// The metrics follow: a scrape does not keep the posture it derived
	// before the change.
	if series := gather(t, reg); slices.Contains(series,
		`kubeward_findings{category="pod-security",check="pss-privileged",namespace="shop",severity="critical",suppressed="false"} 1`) {
		t.Errorf("the fixed Deployment's finding still counted:\n%s", strings.Join(series, "\n"))
	}

	// RBAC: a RoleBinding to cluster-admin, reported on the binding.
	if _, err := cs.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "ops-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "ops"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the RBAC result on the RoleBinding", func() error {
		if rs := read("shop"); !has(rs, result{Policy: "rbac-wildcard", Kind: "RoleBinding", Name: "ops-admin", Result: "fail"}) {
			return fmt.Errorf("none in %+v", rs)
		}
		return nil
	})
	if series := gather(t, reg); !slices.ContainsFunc(series, func(s string) bool {
		return strings.HasPrefix(s, "kubeward_findings{") && strings.Contains(s, `,check="rbac-wildcard",namespace="shop",`)
	}) {
		t.Errorf("the cross-object finding not counted:\n%s", strings.Join(series, "\n"))
	}

	// Deleted with a deleted object: the Deployment's results go.
	if err := cs.AppsV1().Deployments("shop").Delete(ctx, "quiet", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted Deployment's results gone", func() error {
		if rs := read("shop"); has(rs, result{Name: "quiet"}) {
			return fmt.Errorf("still %+v", rs)
		}
		return nil
	})

	// The namespace's report goes with it.
	if err := cs.CoreV1().Namespaces().Delete(ctx, "shop", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the namespace's reports deleted", func() error {
		rs, err := reports(ctx, cl.Config, f, "shop")
		if err != nil {
			return err
		}
		if len(rs) > 0 {
			return fmt.Errorf("%d reports left", len(rs))
		}
		if _, err := cs.CoreV1().Namespaces().Get(ctx, "shop", metav1.GetOptions{}); err == nil {
			return fmt.Errorf("namespace still there")
		}
		return nil
	})
	// The cluster report holds the cluster-scoped findings and coverage.
	if crs := read(""); len(crs) == 0 {
		t.Errorf("no cluster report results")
	}
	r.stop(t)

	// Restarted without --framework: the framework's reports go, the
	// cluster report stays.
	start(t, cl, nil)
	eventually(t, "the framework's reports deleted", func() error {
		rs, err := reports(ctx, cl.Config, f, "")
		if err != nil {
			return err
		}
		if len(rs) != 1 || rs[0].Name != policyreport.Name {
			var names []string
			for _, r := range rs {
				names = append(names, r.Name)
			}
			return fmt.Errorf("cluster reports %v", names)
		}
		return nil
	})
}

// frameworkControl reads a control's result from a framework's reports.
func frameworkControl(ctx context.Context, cfg *rest.Config, f policyreport.Flavor, fw, id string) (reportsv1alpha1.ReportResult, reportsv1alpha1.Report, error) {
	rs, err := reports(ctx, cfg, f, "")
	if err != nil {
		return reportsv1alpha1.ReportResult{}, reportsv1alpha1.Report{}, err
	}
	for _, r := range rs {
		if r.Labels[policyreport.FrameworkLabel] != fw {
			continue
		}
		for _, x := range r.Results {
			if x.Policy == fw && x.Rule == id {
				return x, r, nil
			}
		}
	}
	return reportsv1alpha1.ReportResult{}, reportsv1alpha1.Report{}, fmt.Errorf("no control %s of %s in %d cluster reports", id, fw, len(rs))
}

// scanResults are the results `scan --cluster` gives for a namespace now,
// as the reports should say them.
func scanResults(t testing.TB, cl *kubetest.Cluster, ns string) []result {
	t.Helper()
	kinds, metaOnly := scan.ClusterInputs(check.Defaults())
	loaded, err := (&cluster.Loader{Config: cl.Config, Context: "kubetest", MetadataOnly: metaOnly}).Load(context.Background(), kinds)
	if err != nil {
		t.Fatal(err)
	}
	res := scan.New(scan.Options{Checks: check.Defaults(), Mode: scan.ModeCluster}).Inventory(loaded.Inventory)
	var out []result
	// The scan folds findings of one root cause into one and groups the
	// places of one finding; a PolicyReport keeps one result per check and
	// object, so every finding held inside another is a result of its own.
	var add func(fds []check.Finding)
	add = func(fds []check.Finding) {
		for _, fd := range fds {
			add(fd.Folded)
			add(fd.Elsewhere)
			if fd.Object.Namespace != ns {
				continue
			}
			x := result{Policy: fd.CheckID, Kind: fd.Object.Kind, Namespace: ns, Name: fd.Object.Name, Path: fd.Path, Result: "fail", Severity: fd.Severity.String()}
			if fd.Suppressed() {
				x.Result, x.Suppressed = "skip", fd.Suppression.Reason
			}
			out = append(out, x)
		}
	}
	add(res.Findings)
	return out
}

func sameResults(a, b []result) bool {
	key := func(rs []result) []string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%+v", r))
		}
		slices.Sort(out)
		return out
	}
	return reflect.DeepEqual(key(a), key(b))
}
