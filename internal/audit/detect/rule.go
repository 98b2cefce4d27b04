// Package detect is kubeward's run-time threat detection engine: rules over
// audit.k8s.io/v1 events, stateless ones as pure functions and stateful ones
// as small state machines, and an Engine that runs them over a stream and
// turns what they find into alerts.
//
// Rules follow the shape of k8s.io/pod-security-admission/policy: one rule
// per file, its doc comment naming the event fields it reads and what makes
// it fire, and its own table test.
package detect

import (
	"fmt"
	"regexp"

	"github.com/kubeward/kubeward/internal/check"
)

// Technique is a MITRE ATT&CK technique.
type Technique struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// URL is the technique's page on attack.mitre.org.
func (t Technique) URL() string {
	id := t.ID
	for i := range id {
		if id[i] == '.' {
			id = id[:i] + "/" + id[i+1:]
			break
		}
	}
	return "https://attack.mitre.org/techniques/" + id + "/"
}

// Meta describes a rule for people and for alerts.
type Meta struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity check.Severity `json:"severity"`
	MITRE    []Technique    `json:"mitre"`
	// Fires says what makes the rule fire; Reads names the event fields it
	// reads (for the audit policy: see deploy/audit).
	Fires string   `json:"fires"`
	Reads []string `json:"reads"`
	Fix   string   `json:"fix"`
	// Needs names the Options field without which the rule stays off
	// (an allow-list to compare against); empty for rules on by default.
	Needs string `json:"needs,omitempty"`
}

// Hit is what a rule reports about one event.
type Hit struct {
	Message string
	// Details are extra facts for the alert. Never a credential.
	Details map[string]string
	// Severity overrides the rule's severity when set.
	Severity check.Severity
}

// Func is a stateless rule: a pure function of one event (through the
// View, which also carries the Options).
type Func func(v *View) *Hit

// Machine is a stateful rule for one stream. Observe sees every event the
// engine evaluates, in order, and must bound its own memory.
type Machine interface {
	Observe(v *View) *Hit
}

// Rule is one detection: Eval for a stateless rule, or New for a stateful
// one.
type Rule struct {
	Meta
	Eval Func
	New  func(o *Options) Machine
}

var slug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (r *Rule) validate() error {
	switch {
	case !slug.MatchString(r.ID):
		return fmt.Errorf("rule id %q is not a lower-case slug", r.ID)
	case r.Title == "" || r.Fires == "" || r.Fix == "" || len(r.Reads) == 0:
		return fmt.Errorf("rule %s: title, fires, reads and fix are required", r.ID)
	case len(r.MITRE) == 0:
		return fmt.Errorf("rule %s: a MITRE ATT&CK technique is required", r.ID)
	case r.Severity <= check.SeverityUnknown || r.Severity > check.Critical:
		return fmt.Errorf("rule %s: invalid severity", r.ID)
	case (r.Eval == nil) == (r.New == nil):
		return fmt.Errorf("rule %s: exactly one of Eval and New must be set", r.ID)
	}
	return nil
}

// Rules returns the catalogue of rules, in a stable order. It builds a new
// slice each time: there is no global registry to mutate.
func Rules() []Rule {
	return []Rule{
		podExec(),
		podPortForward(),
		nodeProxy(),
		ephemeralContainer(),
		privilegedPod(),
		hostNetworkPod(),
		hostPIDPod(),
		hostIPCPod(),
		sensitiveMountPod(),
		disallowedImage(),
		podInKubeNamespace(),
		serviceAccountInKubeNamespace(),
		systemRoleModified(),
		clusterAdminBinding(),
		roleWildcard(),
		roleWriteVerbs(),
		roleExecRights(),
		roleEscalationVerbs(),
		anonymousAllowed(),
		secretRead(),
		configMapCredentials(),
		nodePortService(),
		ingressWithoutTLS(),
		untrustedNode(),
		disallowedUser(),
		disallowedNamespace(),
		systemMastersUsed(),
		impersonation(),
		tokenRequestOtherSA(),
		csrApproval(),
		admissionWebhookChange(),
		eventsDeleted(),
		novelAction(),
		forbiddenBurst(),
		authFailureBurst(),
	}
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
