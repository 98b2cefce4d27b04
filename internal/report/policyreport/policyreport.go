// Package policyreport renders findings as the reports policy tools already
// read: openreports.io/v1alpha1 Report and ClusterReport, or the
// wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport they
// continue (Policy Reporter, older Kyverno tooling). It is a sink like the
// other renderers: it only turns findings into objects; the controller
// writes them.
//
// Granularity: one report per namespace, holding the results of every
// object in it, and one cluster report for cluster-scoped objects and the
// checks that could not run. A report that would pass MaxBytes is split
// into chunks (NAME, NAME-2, NAME-3...) at object boundaries, so no report
// nears etcd's 1.5 MiB object limit however many findings a namespace has.
// A compliance framework judged on the findings gets cluster reports of its
// own, a result per control (framework.go).
package policyreport

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/scan"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Source names kubeward as the producer of reports and results.
const Source = "kubeward"

// Name is the name of the first report of a namespace (and of the cluster
// report); further chunks add "-2", "-3"...
const Name = "kubeward"

// MaxBytes bounds the JSON of one report's results: etcd refuses objects
// over 1.5 MiB, and the metadata and managed fields need room too.
const MaxBytes = 1 << 20

// Labels mark the reports kubeward writes, so it finds (and removes) its
// own and nobody else's.
var Labels = map[string]string{
	"app.kubernetes.io/managed-by": "kubeward",
	"app.kubernetes.io/name":       "kubeward",
}

// Selector selects the reports Labels mark.
const Selector = "app.kubernetes.io/managed-by=kubeward,app.kubernetes.io/name=kubeward"

// Flavor is an API the reports are written in.
type Flavor struct {
	Name                      string
	GroupVersion              schema.GroupVersion
	Kind, ClusterKind         string
	Resource, ClusterResource string
	// ReportSource: the API has a report-level source field.
	ReportSource bool
}

var (
	// OpenReports is openreports.io/v1alpha1 (github.com/openreports/reports-api).
	OpenReports = Flavor{Name: "openreports", GroupVersion: reportsv1alpha1.SchemeGroupVersion, Kind: "Report", ClusterKind: "ClusterReport",
		Resource: "reports", ClusterResource: "clusterreports", ReportSource: true}
	// WGPolicy is wgpolicyk8s.io/v1alpha2, the Policy Working Group's API
	// OpenReports continues; its CRDs come with Kyverno or Policy Reporter.
	WGPolicy = Flavor{Name: "wgpolicy", GroupVersion: schema.GroupVersion{Group: "wgpolicyk8s.io", Version: "v1alpha2"},
		Kind: "PolicyReport", ClusterKind: "ClusterPolicyReport", Resource: "policyreports", ClusterResource: "clusterpolicyreports"}
)

// ParseFlavor accepts a flavor's name.
func ParseFlavor(s string) (Flavor, error) {
	for _, f := range []Flavor{OpenReports, WGPolicy} {
		if s == f.Name {
			return f, nil
		}
	}
	return Flavor{}, fmt.Errorf("unknown report API %q (want openreports or wgpolicy)", s)
}

// GVR is the resource of the namespaced (namespace != "") or cluster report.
func (f Flavor) GVR(namespaced bool) schema.GroupVersionResource {
	if namespaced {
		return f.GroupVersion.WithResource(f.Resource)
	}
	return f.GroupVersion.WithResource(f.ClusterResource)
}

// ResultOf renders one finding. since is when it was first seen: the
// result's timestamp stays put while the finding does, so an unchanged
// posture rewrites nothing.
func ResultOf(f *check.Finding, uid types.UID, since time.Time) reportsv1alpha1.ReportResult {
	r := reportsv1alpha1.ReportResult{
		Source:      Source,
		Policy:      f.CheckID,
		Category:    string(f.Category),
		Severity:    reportsv1alpha1.ResultSeverity(f.Severity.String()),
		Timestamp:   metav1.Timestamp{Seconds: since.Unix()},
		Result:      "fail",
		Scored:      true,
		Description: f.Message,
		Subjects: []corev1.ObjectReference{{APIVersion: f.Object.APIVersion, Kind: f.Object.Kind, Namespace: f.Object.Namespace,
			Name: f.Object.Name, UID: uid}},
		Properties: map[string]string{"title": f.Title},
	}
	if f.Path != "" {
		r.Properties["path"] = f.Path
	}
	if f.Image != "" {
		r.Properties["image"] = f.Image
	}
	if s := f.Suppression; s != nil {
		// Suppressed results stay, marked, so a suppression is seen.
		if !s.Expired {
			r.Result = "skip"
		}
		r.Properties["suppressed"] = s.Reason
		r.Properties["suppressionOrigin"] = s.Origin
		if s.Expires != "" {
			r.Properties["suppressionExpires"] = s.Expires
		}
	}
	return r
}

// CoverageResult renders a check that could not run, ran on part of its
// input (error), or found nothing to judge (skip): nothing is called clean
// because it was not looked at.
func CoverageResult(cc scan.CheckCoverage, since time.Time) reportsv1alpha1.ReportResult {
	r := reportsv1alpha1.ReportResult{
		Source: Source, Policy: cc.Check, Result: "error", Description: cc.Reason,
		Timestamp:  metav1.Timestamp{Seconds: since.Unix()},
		Properties: map[string]string{"coverage": string(cc.Status)},
	}
	if cc.Status == scan.NothingToJudge {
		r.Result = "skip"
	}
	if c, ok := check.Get(cc.Check); ok {
		r.Category = string(c.Category)
		r.Severity = reportsv1alpha1.ResultSeverity(c.Severity.String())
	}
	return r
}

// Key identifies a result across writes (check or framework and control,
// object, field, message),
// to keep its first-seen timestamp.
func Key(r *reportsv1alpha1.ReportResult) string {
	b, _ := json.Marshal([]any{r.Policy, r.Rule, r.Subjects, r.Properties["path"], r.Description, r.Result})
	return string(b)
}

// SortResults orders results by object, then check, field and message.
func SortResults(rs []reportsv1alpha1.ReportResult) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := subjectKey(&rs[i]), subjectKey(&rs[j])
		if a != b {
			return a < b
		}
		if rs[i].Policy != rs[j].Policy {
			return rs[i].Policy < rs[j].Policy
		}
		if rs[i].Properties["path"] != rs[j].Properties["path"] {
			return rs[i].Properties["path"] < rs[j].Properties["path"]
		}
		return rs[i].Description < rs[j].Description
	})
}

func subjectKey(r *reportsv1alpha1.ReportResult) string {
	if len(r.Subjects) == 0 {
		return ""
	}
	s := r.Subjects[0]
	return s.Kind + "/" + s.Namespace + "/" + s.Name
}

// Report is one report object to write, and the hash of what it says.
type Report struct {
	Object *unstructured.Unstructured
	Hash   string
}

// Build splits the sorted results of a namespace ("" for the cluster
// report) into reports of at most MaxBytes of results each, cut between
// objects. A namespace without results still gets one empty report: it was
// evaluated and is clean.
func Build(f Flavor, namespace string, results []reportsv1alpha1.ReportResult) ([]Report, error) {
	return build(f, namespace, Name, Meta{}, results)
}

// build splits results into reports named base, base-2, base-3..., cut
// between objects (and between a framework's controls).
func build(f Flavor, namespace, base string, meta Meta, results []reportsv1alpha1.ReportResult) ([]Report, error) {
	var chunks [][]reportsv1alpha1.ReportResult
	start, size := 0, 0
	for i := range results {
		b, err := json.Marshal(&results[i])
		if err != nil {
			return nil, err
		}
		if size+len(b) > MaxBytes && i > start && (subjectKey(&results[i]) != subjectKey(&results[i-1]) || results[i].Rule != results[i-1].Rule) {
			chunks = append(chunks, results[start:i])
			start, size = i, 0
		}
		size += len(b) + 1
	}
	chunks = append(chunks, results[start:])
	out := make([]Report, 0, len(chunks))
	for i, rs := range chunks {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s-%d", base, i+1)
		}
		r, err := Object(f, namespace, name, meta, rs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Meta is what a report says of itself beyond Labels: a framework report's
// framework and score.
type Meta struct {
	Labels, Annotations map[string]string
}

// Object renders one report with its summary.
func Object(f Flavor, namespace, name string, meta Meta, results []reportsv1alpha1.ReportResult) (Report, error) {
	labels := Labels
	if len(meta.Labels) > 0 {
		labels = maps.Clone(Labels)
		maps.Copy(labels, meta.Labels)
	}
	rep := &reportsv1alpha1.Report{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels, Annotations: meta.Annotations},
		Results:    results,
	}
	if f.ReportSource {
		rep.Source = Source
	}
	if namespace != "" {
		rep.Scope = &corev1.ObjectReference{APIVersion: "v1", Kind: "Namespace", Name: namespace}
	}
	for i := range results {
		switch results[i].Result {
		case "pass":
			rep.Summary.Pass++
		case "fail":
			rep.Summary.Fail++
		case "warn":
			rep.Summary.Warn++
		case "error":
			rep.Summary.Error++
		case "skip":
			rep.Summary.Skip++
		}
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(rep)
	if err != nil {
		return Report{}, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(f.GroupVersion.String())
	if namespace != "" {
		u.SetKind(f.Kind)
	} else {
		u.SetKind(f.ClusterKind)
	}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	if !f.ReportSource {
		unstructured.RemoveNestedField(u.Object, "source")
	}
	b, err := json.Marshal(u.Object)
	if err != nil {
		return Report{}, err
	}
	sum := sha256.Sum256(b)
	return Report{Object: u, Hash: fmt.Sprintf("%x", sum[:])}, nil
}

// Normalize reads a report as the API server returns it back into what
// Object renders, so its hash says whether rewriting it would change
// anything (a new leader then writes nothing it already finds).
func Normalize(f Flavor, u *unstructured.Unstructured) (Report, []reportsv1alpha1.ReportResult, error) {
	var rep reportsv1alpha1.Report
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &rep); err != nil {
		return Report{}, nil, err
	}
	// Only what Object writes counts: labels and annotations others add
	// to a report are not a reason to rewrite it.
	var meta Meta
	for k, v := range u.GetLabels() {
		if _, ours := Labels[k]; !ours && strings.HasPrefix(k, metaPrefix) {
			meta.Labels = setKey(meta.Labels, k, v)
		}
	}
	for k, v := range u.GetAnnotations() {
		if strings.HasPrefix(k, metaPrefix) {
			meta.Annotations = setKey(meta.Annotations, k, v)
		}
	}
	r, err := Object(f, u.GetNamespace(), u.GetName(), meta, rep.Results)
	return r, rep.Results, err
}

func setKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}
