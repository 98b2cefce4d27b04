package mesh

import (
	"strconv"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// AuthorizationPolicyAllowAll reports Istio AuthorizationPolicies that allow
// every request: action ALLOW (the default) with a rule that has no from,
// to or when.
//
// Reads: spec.action, spec.rules, spec.selector, spec.targetRef(s) and the
// namespace of AuthorizationPolicies (security.istio.io, any version).
// Allows: rules that name sources, operations or conditions; DENY, AUDIT
// and CUSTOM policies; an ALLOW policy without rules (it allows nothing).
// Mesh-wide policies are high, the others medium.
var AuthorizationPolicyAllowAll = &check.Check{
	Meta: check.Meta{
		ID:       "istio-authorization-allow-all",
		Title:    "Istio AuthorizationPolicy allows every request",
		Severity: check.Medium,
		Category: check.CategoryMesh,
		Rationale: "An empty rule matches every request, from any source, meshed or not, to any path: once one ALLOW " +
			"policy applies, Istio denies what no ALLOW policy matches, and this one matches everything, so the " +
			"policies next to it stop protecting anything. In the root namespace it opens the whole mesh.",
		Fix:   "Name the callers (from.source.principals or namespaces) and operations (to.operation) each rule allows; to deny by default, use an ALLOW policy with no rules.",
		Reads: []string{"AuthorizationPolicy spec.action", "AuthorizationPolicy spec.rules", "AuthorizationPolicy spec.selector"},
		Refs: []check.Reference{check.NSA("Network separation and hardening"),
			check.MITRE("T1210", "Exploitation of Remote Services")},
	},
	Object: authorizationPolicyAllowAll,
	Kinds:  []schema.GroupKind{kindAuthorizationPolicy},
}

func init() { check.Register(AuthorizationPolicyAllowAll) }

func authorizationPolicyAllowAll(_ *check.Context, o *inventory.Object) []check.Result {
	var ap authorizationPolicy
	if o.DecodeRaw(&ap) != nil || (ap.Spec.Action != "" && ap.Spec.Action != "ALLOW") {
		return nil
	}
	for i, r := range ap.Spec.Rules {
		if !emptyRule(r) {
			continue
		}
		res := check.Result{Path: fieldpath.New("spec", "rules").Index(i),
			Message: "rule " + strconv.Itoa(i) + " has no from, to or when: it allows every request to " + scope(o, ap.targeted())}
		if o.Namespace == rootNamespace && !ap.targeted() {
			res.Severity = check.High
		}
		return []check.Result{res}
	}
	return nil
}

// emptyRule reports whether a rule matches everything: every condition
// list it has is empty.
func emptyRule(r map[string]any) bool {
	for _, k := range []string{"from", "to", "when"} {
		v, ok := r[k]
		if !ok || v == nil {
			continue
		}
		if l, isList := v.([]any); isList && len(l) == 0 {
			continue
		}
		return false
	}
	return true
}
