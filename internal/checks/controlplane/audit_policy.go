package controlplane

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	auditinternal "k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

var kindAuditPolicy = schema.GroupKind{Group: "audit.k8s.io", Kind: "Policy"}

// secretAPI is a request whose body or response carries a credential.
type secretAPI struct {
	group, resource, subresource string
	// requestVerbs carry the credential in the request body (logged from
	// level Request); responseVerbs in the response (RequestResponse).
	requestVerbs, responseVerbs []string
	what                        string
}

var secretAPIs = []secretAPI{
	{"", "secrets", "", []string{"create", "update", "patch"}, []string{"get", "list", "create", "update", "patch", "delete", "deletecollection"}, "Secret values"},
	{"authentication.k8s.io", "tokenreviews", "", []string{"create"}, []string{"create"}, "bearer tokens under review"},
	{"", "serviceaccounts", "token", nil, []string{"create"}, "issued service-account tokens"},
}

// AuditPolicySecrets reports audit policies that write credentials into the
// audit log (CIS 3.2.2): a Request or RequestResponse rule that applies to
// Secrets, TokenReviews or service-account TokenRequests.
//
// Reads: every audit.k8s.io Policy's rules. The rules are evaluated with the
// API server's own matcher (k8s.io/apiserver pkg/audit/policy) against probe
// requests built from the identities, namespaces, verbs and names the
// policy mentions, so that the first matching rule decides, as it does in
// the API server. Allows: Metadata or None for those APIs.
var AuditPolicySecrets = &check.Check{
	Meta: check.Meta{
		ID:       "audit-policy-logs-secrets",
		Title:    "Audit policy writes credentials into the audit log",
		Severity: check.High,
		Category: check.CategoryControlPlane,
		Rationale: "At level Request the audit log records request bodies, at RequestResponse responses too: " +
			"for Secrets, TokenReviews and TokenRequests that is the credentials themselves, copied into log files " +
			"and log pipelines that many more people can read.",
		Fix: "Add a rule before the broader ones: `- level: Metadata` with resources secrets (group \"\"), " +
			"tokenreviews (group authentication.k8s.io) and serviceaccounts/token.",
		Reads: []string{"Policy (audit.k8s.io) rules[*]", "kube-apiserver --audit-policy-file"},
		Refs:  []check.Reference{check.CIS("3.2.2", "Ensure that the audit policy covers key security concerns"), check.NSA(nsaAudit)},
	},
	Needs:     append([]schema.GroupKind{kindAuditPolicy}, componentKinds...),
	Inventory: auditPolicySecrets,
	Subject:   apiserverSubject,
}

func auditPolicySecrets(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	out := unheldFiles(ctx, inv, "audit-policy-file", kindAuditPolicy, GapAuditPolicy, "an audit Policy")
	for _, o := range inv.ByKind(kindAuditPolicy) {
		var v1 auditv1.Policy
		if err := decodeRaw(o, &v1); err != nil {
			continue
		}
		var p audit.Policy
		if err := auditv1.Convert_v1_Policy_To_audit_Policy(&v1, &p, nil); err != nil {
			continue
		}
		users := usedBy(ctx, inv, o, "audit-policy-file")
		for _, l := range leaks(&p) {
			out = append(out, check.Result{Object: o, Path: fieldpath.New("rules").Index(l.rule).Child("level"),
				Message: fmt.Sprintf("rule %d (level %s) logs %s: %s%s", l.rule, p.Rules[l.rule].Level, l.what, strings.Join(l.requests, "; "), users)})
		}
	}
	return out
}

type leak struct {
	rule     int
	what     string
	requests []string
}

// leaks evaluates probe requests against the policy and groups the ones
// that log credentials by the rule that decides them.
func leaks(p *audit.Policy) []leak {
	single := make([]auditinternal.PolicyRuleEvaluator, len(p.Rules))
	for i := range p.Rules {
		r := p.Rules[i]
		r.Level = audit.LevelRequestResponse // so a match is visible
		single[i] = policy.NewPolicyRuleEvaluator(&audit.Policy{Rules: []audit.PolicyRule{r}})
	}
	decide := func(attrs authorizer.Attributes) int {
		for i, e := range single {
			if e.EvaluatePolicyRule(attrs).Level != audit.LevelNone {
				return i
			}
		}
		return -1
	}
	users, groups, namespaces, names, verbs := probeValues(p)
	found := map[int]map[string]bool{}
	whats := map[int]string{}
	for _, api := range secretAPIs {
		for _, u := range users {
			for _, g := range groups {
				info := &user.DefaultInfo{Name: u, Groups: append([]string{user.AllAuthenticated}, g...)}
				for _, ns := range namespaces {
					for _, name := range names {
						for _, verb := range verbs {
							attrs := authorizer.AttributesRecord{User: info, Verb: verb, Namespace: ns, APIGroup: api.group,
								Resource: api.resource, Subresource: api.subresource, Name: name, ResourceRequest: true}
							i := decide(attrs)
							if i < 0 {
								continue
							}
							level := p.Rules[i].Level
							bodyLogged := level.GreaterOrEqual(audit.LevelRequest) && hasValue(api.requestVerbs, verb)
							respLogged := level.GreaterOrEqual(audit.LevelRequestResponse) && hasValue(api.responseVerbs, verb)
							if !bodyLogged && !respLogged {
								continue
							}
							if found[i] == nil {
								found[i] = map[string]bool{}
							}
							res := api.resource
							if api.subresource != "" {
								res += "/" + api.subresource
							}
							found[i][verb+" "+res] = true
							if !strings.Contains(whats[i], api.what) {
								whats[i] = strings.TrimPrefix(whats[i]+" and "+api.what, " and ")
							}
						}
					}
				}
			}
		}
	}
	var out []leak
	for i, reqs := range found {
		out = append(out, leak{rule: i, what: whats[i], requests: sortedKeys(reqs)})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].rule < out[b].rule })
	return out
}

// probeValues lists the values worth trying in each dimension: those the
// rules name, and one they do not.
func probeValues(p *audit.Policy) (users []string, groups [][]string, namespaces, names, verbs []string) {
	seen := func(list []string, v string) []string {
		if !hasValue(list, v) {
			list = append(list, v)
		}
		return list
	}
	users = []string{"kubeward:probe"}
	groups = [][]string{nil}
	namespaces = []string{"kubeward-probe", ""}
	names = []string{"kubeward-probe"}
	verbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	groupSeen := map[string]bool{}
	for _, r := range p.Rules {
		for _, u := range r.Users {
			users = seen(users, u)
		}
		for _, g := range r.UserGroups {
			if !groupSeen[g] && len(groups) < 64 {
				groupSeen[g] = true
				groups = append(groups, []string{g})
			}
		}
		for _, n := range r.Namespaces {
			namespaces = seen(namespaces, n)
		}
		for _, v := range r.Verbs {
			verbs = seen(verbs, v)
		}
		for _, gr := range r.Resources {
			for _, n := range gr.ResourceNames {
				names = seen(names, n)
			}
		}
	}
	// Keep the probe set bounded on pathological policies: the first values
	// of each list are tried (a policy naming more is rare and still gets a
	// large sample).
	for total := func() int { return len(users) * len(groups) * len(namespaces) * len(names) * len(verbs) }; total() > maxProbes; {
		switch {
		case len(users) > 8:
			users = users[:len(users)/2]
		case len(namespaces) > 8:
			namespaces = namespaces[:len(namespaces)/2]
		case len(names) > 4:
			names = names[:len(names)/2]
		case len(groups) > 8:
			groups = groups[:len(groups)/2]
		default:
			return users, groups, namespaces, names, verbs
		}
	}
	return users, groups, namespaces, names, verbs
}

const maxProbes = 50000

func init() { check.Register(AuditPolicySecrets) }
