package network

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
)

// RuleShadowed finds rules that allow nothing beyond what other rules
// already allow to the same pods: dead weight that misleads reviewers into
// thinking the narrow rule is what governs.
//
// Reads: every NetworkPolicy rule and the workloads they select. Allows: a
// rule that is the only one to allow some connection for some pod it
// applies to. Of two identical rules the later is reported. Judged on the
// workloads in the scan.
var RuleShadowed = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-rule-shadowed",
		Title:    "NetworkPolicy rule is shadowed by broader rules",
		Severity: check.Low,
		Category: check.CategoryNetwork,
		Rationale: "Policies add up: a narrow rule next to a broader one has no effect, and reviewers who read the " +
			"narrow rule believe the traffic is narrower than it is.",
		Fix:   "Remove the shadowed rule, or narrow the broader rule if the narrow one states the intent.",
		Reads: []string{"NetworkPolicy spec.ingress[*]", "NetworkPolicy spec.egress[*]"},
		Refs:  references,
	},
	Needs:     needs,
	Inventory: ruleShadowed,
}

func init() { check.Register(RuleShadowed) }

func ruleShadowed(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for _, s := range a.eng.ShadowedRules() {
		by := make([]string, 0, len(s.By))
		for _, b := range s.By {
			if b.Policy == s.Rule.Policy {
				by = append(by, b.Path)
			} else {
				by = append(by, b.Policy.String()+" "+b.Path)
			}
		}
		out = append(out, check.Result{Object: a.Policies[s.Rule.Policy.Index], Path: fieldpath.Parse(s.Rule.Path), Message: fmt.Sprintf(
			"%s rule %d allows nothing that %s do(es) not already allow to the same pods", s.Rule.Direction, s.Rule.Rule, strings.Join(by, ", "))})
	}
	return out
}
