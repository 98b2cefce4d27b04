package policyreport

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/inventory"
	reportsv1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// metaPrefix is the prefix of the labels and annotations kubeward writes
// on its reports beyond Labels.
const metaPrefix = "kubeward.dev/"

const (
	// FrameworkLabel names the framework a cluster report judges:
	// kubectl get clusterreports -l kubeward.dev/framework=cis-1.12.
	FrameworkLabel = metaPrefix + "framework"
	// ScoreAnnotation is the framework's score in percent, one decimal
	// (passed / (passed + failed + not checked)): the summary of one
	// report counts only its own results when the framework is split.
	ScoreAnnotation = metaPrefix + "framework-score"
	// ControlsAnnotation counts the framework's controls by status.
	ControlsAnnotation = metaPrefix + "framework-controls"
)

// MaxSubjects bounds the failing objects a control's result names:
// properties.failingObjects counts them all, and each object's own
// findings are in its namespace's report. With it a framework's report
// stays far below MaxBytes (cis-1.12, every control failing on
// MaxSubjects objects of the longest names: about 1.4 MiB, two reports).
const MaxSubjects = 25

// FrameworkName is the name of a framework's first cluster report.
func FrameworkName(id string) string { return Name + "-framework-" + id }

// FrameworkResults renders a framework's result, a result per control in
// the framework's order: policy is the framework's id, rule the control's.
// passed is pass, failed fail with its failing objects as resources (the
// first MaxSubjects), not checked error (a coverage gap left its checks
// out or partial: it counts against the score, as a check that could not
// run is an error of the cluster report), not applicable and manual skip;
// properties.status keeps kubeward's status and the message says why.
// uid gives an object's UID where it is known.
func FrameworkResults(r *framework.Result, uid func(inventory.Ref) types.UID, since time.Time) []reportsv1alpha1.ReportResult {
	out := make([]reportsv1alpha1.ReportResult, 0, len(r.Controls))
	for i := range r.Controls {
		c := &r.Controls[i]
		x := reportsv1alpha1.ReportResult{
			Source: Source, Policy: r.Framework.ID, Rule: c.ID, Category: c.Section,
			Severity:   controlSeverity(c.Checks),
			Timestamp:  metav1.Timestamp{Seconds: since.Unix()},
			Properties: map[string]string{"title": c.Title, "status": string(c.Status)},
		}
		if x.Category == "" {
			x.Category = r.Framework.Title
		}
		if len(c.Checks) > 0 {
			x.Properties["checks"] = strings.Join(c.Checks, ",")
		}
		if c.Kubescape != "" {
			x.Properties["kubescape"] = c.Kubescape
		}
		if c.Trivy != "" {
			x.Properties["trivy"] = c.Trivy
		}
		switch c.Status {
		case framework.Passed:
			x.Result, x.Scored = "pass", true
			x.Description = "its checks ran and found nothing"
		case framework.Failed:
			x.Result, x.Scored = "fail", true
			x.Description = fmt.Sprintf("%s on %s", plural(c.Findings, "finding"), plural(len(c.Objects), "object"))
			if len(c.Objects) > MaxSubjects {
				x.Description += fmt.Sprintf(" (the first %d named)", MaxSubjects)
			}
			x.Properties["findings"] = strconv.Itoa(c.Findings)
			x.Properties["failingObjects"] = strconv.Itoa(len(c.Objects))
			for _, ref := range c.Refs[:min(len(c.Refs), MaxSubjects)] {
				x.Subjects = append(x.Subjects, corev1.ObjectReference{APIVersion: ref.APIVersion, Kind: ref.Kind,
					Namespace: ref.Namespace, Name: ref.Name, UID: uid(ref)})
			}
		case framework.NotChecked:
			x.Result, x.Scored = "error", true
			x.Description = "not checked: " + c.Reason
		case framework.NotApplicable:
			x.Result = "skip"
			x.Description = "not applicable: nothing in the cluster for its checks to judge"
		case framework.Manual:
			x.Result = "skip"
			x.Description = "manual: " + c.Manual
		}
		out = append(out, x)
	}
	return out
}

// controlSeverity is the highest severity of the checks deciding a
// control; none for a manual one.
func controlSeverity(ids []string) reportsv1alpha1.ResultSeverity {
	top := check.SeverityUnknown
	for _, id := range ids {
		if ch, ok := check.Get(id); ok {
			top = max(top, ch.Severity)
		}
	}
	if top == check.SeverityUnknown {
		return ""
	}
	return reportsv1alpha1.ResultSeverity(top.String())
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// BuildFramework renders a framework's results (FrameworkResults, with
// their timestamps) as cluster reports named FrameworkName(id), split past
// MaxBytes between controls, each labelled with the framework and
// annotated with its score and counts.
func BuildFramework(f Flavor, r *framework.Result, results []reportsv1alpha1.ReportResult) ([]Report, error) {
	counts := make([]string, 0, len(r.Counts))
	for _, st := range framework.Statuses() {
		counts = append(counts, fmt.Sprintf("%s=%d", st, r.Counts[st]))
	}
	meta := Meta{
		Labels: map[string]string{FrameworkLabel: r.Framework.ID},
		Annotations: map[string]string{
			ScoreAnnotation:    strconv.FormatFloat(r.Score, 'f', 1, 64),
			ControlsAnnotation: strings.Join(counts, ","),
		},
	}
	return build(f, "", FrameworkName(r.Framework.ID), meta, results)
}
