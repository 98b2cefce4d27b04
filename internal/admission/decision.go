package admission

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Outcome names a decision in metrics, logs and audit annotations.
type Outcome string

const (
	Allow Outcome = "allow"
	Deny  Outcome = "deny"
	// Exempt: admitted without evaluation (namespace, user, group).
	Exempt Outcome = "exempt"
	// Owner: made by a built-in controller from a template judged when its
	// owner was admitted.
	Owner Outcome = "owner"
	// Invalid: the review could not be evaluated (bad or oversized object).
	Invalid Outcome = "invalid"
)

// Decision is what the webhook answers for one object.
type Decision struct {
	Outcome Outcome
	Object  inventory.Ref
	Levels  Levels
	// Denied are the findings at or above the enforce level, Warned those
	// at or above the warn level that are not denied, Audited those at or
	// above the audit level.
	Denied, Warned, Audited []check.Finding
	// Suppressed counts findings a suppression accepted.
	Suppressed int
	// Notes are warnings about the request itself: a misspelt namespace
	// label, a suppression annotation without a reason.
	Notes []string
	// Why explains Exempt and Owner outcomes.
	Why string
}

// Limits of what kubectl shows well: it prints each warning on a line of
// its own, and the API server may truncate warnings over 256 characters
// or in large numbers.
const (
	maxWarnings      = 8
	maxWarningLen    = 256
	maxDenied        = 10
	maxAuditValueLen = 4 << 10
)

// findingKey identifies a finding across two versions of an object; an
// image check's finding is about the image too, so that changing an image
// is judged afresh.
type findingKey struct{ check, path, image string }

// judge sorts findings into the modes. old, for an update, holds the
// findings of the object before the change: an update is judged on what it
// adds, so scaling or relabelling a workload admitted before enforcement
// (or before a rule existed) is not blocked for problems it already had.
// enforceOnly is set for objects judged again only to enforce.
func judge(lv Levels, fs []check.Finding, old []check.Finding, enforceOnly bool) *Decision {
	d := &Decision{Outcome: Allow, Levels: lv}
	var had map[findingKey]bool // nil for a creation: reads find nothing
	if len(old) > 0 {
		had = make(map[findingKey]bool, len(old))
	}
	for i := range old {
		if !old[i].Suppressed() {
			had[findingKey{old[i].CheckID, old[i].Path, old[i].Image}] = true
		}
	}
	// place says which lists a finding goes to.
	place := func(f *check.Finding) (in [3]bool) { // denied, warned, audited
		if f.Suppressed() || had[findingKey{f.CheckID, f.Path, f.Image}] {
			return in
		}
		deny := at(f.Severity, lv.Enforce)
		if enforceOnly {
			return [3]bool{deny, false, false}
		}
		return [3]bool{deny, !deny && at(f.Severity, lv.Warn), at(f.Severity, lv.Audit)}
	}
	// The lists are counted, then cut from one array of their exact size:
	// a finding is large, and appending to three growing lists copied each
	// several times.
	var n [3]int
	for i := range fs {
		if fs[i].Suppressed() {
			d.Suppressed++
		}
		for m, in := range place(&fs[i]) {
			if in {
				n[m]++
			}
		}
	}
	all := make([]check.Finding, n[0]+n[1]+n[2])
	lists := [3]*[]check.Finding{&d.Denied, &d.Warned, &d.Audited}
	for m, start := range [3]int{0, n[0], n[0] + n[1]} {
		if n[m] > 0 { // else nil, as before any append
			*lists[m] = all[start : start : start+n[m]]
		}
	}
	for i := range fs {
		for m, in := range place(&fs[i]) {
			if in {
				*lists[m] = append(*lists[m], fs[i])
			}
		}
	}
	if len(d.Denied) > 0 {
		d.Outcome = Deny
	}
	return d
}

// at reports whether s reaches a mode's level; an off mode reaches nothing.
func at(s, level check.Severity) bool { return level != check.SeverityUnknown && s >= level }

// Response renders the decision for the API server.
func (d *Decision) Response(uid types.UID, dryRun bool) *admissionv1.AdmissionResponse {
	r := &admissionv1.AdmissionResponse{UID: uid, Allowed: d.Outcome != Deny, AuditAnnotations: d.auditAnnotations(dryRun)}
	if d.Outcome == Deny {
		r.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden,
			Reason: metav1.StatusReasonForbidden, Message: d.denyMessage()}
	}
	r.Warnings = d.warnings()
	return r
}

// denyMessage lists what must change, one finding a line, with the check
// id, the field and the fix. The API server prefixes it with
// `admission webhook "NAME" denied the request: `.
func (d *Decision) denyMessage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kubeward: %s violates %d check(s) at or above %s (the enforce level of %s):",
		d.Object.String(), len(d.Denied), d.Levels.Enforce, where(d.Object))
	for i, f := range d.Denied {
		if i == maxDenied {
			fmt.Fprintf(&b, "\n- and %d more; run `kubeward scan` on the manifest for all", len(d.Denied)-maxDenied)
			break
		}
		fmt.Fprintf(&b, "\n- %s (%s)", f.CheckID, f.Severity)
		if f.Path != "" {
			fmt.Fprintf(&b, " at %s", f.Path)
		}
		fmt.Fprintf(&b, ": %s", f.Message)
		if f.Fix != "" {
			if !strings.HasSuffix(f.Message, ".") {
				b.WriteByte('.')
			}
			fmt.Fprintf(&b, " Fix: %s", f.Fix)
		}
	}
	b.WriteString("\nTo accept a finding, annotate the object or its pod template with suppress.kubeward.dev/CHECK-ID: \"[YYYY-MM-DD: ]reason\".")
	return b.String()
}

func where(r inventory.Ref) string {
	if r.Namespace == "" {
		return "cluster-scoped objects"
	}
	return "namespace " + r.Namespace
}

// warnings are one line per finding at the warn level, then the notes.
func (d *Decision) warnings() []string {
	var out []string
	for i, f := range d.Warned {
		if i == maxWarnings {
			out = append(out, fmt.Sprintf("kubeward: %d more finding(s) at or above %s; run `kubeward scan` on the manifest for all", len(d.Warned)-maxWarnings, d.Levels.Warn))
			break
		}
		loc := ""
		if f.Path != "" {
			loc = " at " + f.Path
		}
		// One concatenation: a warning per finding at the warn level is the
		// common answer.
		out = append(out, shorten("kubeward: "+f.CheckID+" ("+f.Severity.String()+")"+loc+": "+f.Message, maxWarningLen))
	}
	for _, n := range d.Notes {
		out = append(out, shorten("kubeward: "+n, maxWarningLen))
	}
	return out
}

// auditAnnotations go into the API server's audit event, under the
// webhook's name: the decision always, the findings at the audit level
// when there are any.
func (d *Decision) auditAnnotations(dryRun bool) map[string]string {
	a := map[string]string{"decision": string(d.Outcome)}
	if d.Why != "" {
		a["decision"] += ": " + d.Why
	}
	if dryRun {
		a["dry-run"] = "true"
	}
	if len(d.Audited) > 0 {
		var b strings.Builder
		for i, f := range d.Audited {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(f.CheckID)
			b.WriteByte('(')
			b.WriteString(f.Severity.String())
			b.WriteByte(')')
			if f.Path != "" {
				b.WriteByte(' ')
				b.WriteString(f.Path)
			}
		}
		a["findings"] = shorten(b.String(), maxAuditValueLen)
	}
	if d.Suppressed > 0 {
		a["suppressed"] = strconv.Itoa(d.Suppressed)
	}
	return a
}
