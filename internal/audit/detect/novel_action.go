package detect

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
)

// novelAction detects an identity doing what it never did: each identity's
// actions (verb on group/resource/subresource, or verb on a non-resource
// path) are learned for Options.Baseline.Learn from its first event;
// afterwards a new action alerts once and joins the baseline. A stolen
// credential used for something its owner never does stands out even when
// RBAC allows it.
//
// Reads: user, verb, objectRef (apiGroup, resource, subresource),
// requestURI (path of non-resource requests), the authorization decision,
// stageTimestamp.
//
// Fires on an authorized request whose action is not in its identity's
// baseline once the identity's learning period is over. Identities in
// Options.Baseline.Ignore and unauthenticated requests have no baseline.
// Memory is bounded by Options.MaxTracked identities and
// Options.Baseline.MaxActions actions each, non-resource paths cut to
// maxKeptPath bytes; the baseline can be saved and
// loaded (Engine.SaveState) so a restart does not relearn.
func novelAction() Rule {
	return Rule{
		Meta: Meta{
			ID:       "novel-action",
			Title:    "Identity did something new",
			Severity: check.Medium,
			MITRE:    []Technique{tValidAccounts},
			Fires:    "an identity, past its learning period, making a kind of request it never made before",
			Reads:    []string{"user", "verb", "objectRef", "requestURI", "annotations", "stageTimestamp"},
			Fix:      "Confirm with the identity's owner; if unexpected, treat the credential as stolen. Expected changes (new releases) can be ignored per identity with baseline.ignore or exceptions.",
		},
		New: func(o *Options) Machine {
			return &baseline{o: o, ids: newBounded[string, *identityBaseline](o.MaxTracked)}
		},
	}
}

type action struct{ verb, group, resource, sub string }

func (a action) String() string {
	if a.group == "" && a.sub == "" && strings.HasPrefix(a.resource, "/") {
		return a.verb + " " + a.resource
	}
	r := a.resource
	if a.group != "" {
		r += "." + a.group
	}
	if a.sub != "" {
		r += "/" + a.sub
	}
	return a.verb + " " + r
}

func parseAction(s string) (action, bool) {
	verb, rest, ok := strings.Cut(s, " ")
	if !ok || verb == "" {
		return action{}, false
	}
	if strings.HasPrefix(rest, "/") {
		return action{verb: verb, resource: rest}, true
	}
	res, sub, _ := strings.Cut(rest, "/")
	res, group, _ := strings.Cut(res, ".")
	return action{verb: verb, group: group, resource: res, sub: sub}, true
}

type identityBaseline struct {
	first   time.Time
	actions map[action]struct{}
}

type baseline struct {
	o   *Options
	ids *bounded[string, *identityBaseline]
}

func actionOf(v *View) action {
	ev := v.Event
	if o := ev.ObjectRef; o != nil {
		return action{verb: ev.Verb, group: o.APIGroup, resource: o.Resource, sub: o.Subresource}
	}
	return action{verb: ev.Verb, resource: keptPath(ev.RequestURI)}
}

func (b *baseline) Observe(v *View) *Hit {
	ev := v.Event
	user := ev.User.Username
	if user == "" || user == userAnonymous || !ev.Allowed() || b.o.Baseline.Ignore.Match(user) {
		return nil
	}
	a := actionOf(v)
	t := ev.Time()
	ib, ok := b.ids.get(user)
	if !ok {
		ib = &identityBaseline{first: t, actions: map[action]struct{}{}}
		b.ids.set(strings.Clone(user), ib)
	}
	if _, known := ib.actions[a]; known {
		return nil
	}
	if len(ib.actions) < b.o.Baseline.MaxActions {
		a.resource = strings.Clone(a.resource) // may be a slice of a request URI
		ib.actions[a] = struct{}{}
	}
	if t.Sub(ib.first) < b.o.Baseline.Learn {
		return nil
	}
	return hit(user+" did something it never did before: "+a.String(),
		"action", a.String(), "learnedSince", ib.first.UTC().Format(time.RFC3339), "knownActions", strconv.Itoa(len(ib.actions)-1))
}

// savedBaseline is the persisted form: identity -> first seen and actions.
type savedBaseline struct {
	Identities map[string]savedIdentity `json:"identities"`
}

type savedIdentity struct {
	First   time.Time `json:"first"`
	Actions []string  `json:"actions"`
}

func (b *baseline) saveState() (any, error) {
	s := savedBaseline{Identities: make(map[string]savedIdentity, b.ids.len())}
	for user, ib := range b.ids.m {
		acts := make([]string, 0, len(ib.actions))
		for a := range ib.actions {
			acts = append(acts, a.String())
		}
		sort.Strings(acts)
		s.Identities[user] = savedIdentity{First: ib.first, Actions: acts}
	}
	return s, nil
}

func (b *baseline) loadState(raw json.RawMessage) error {
	var s savedBaseline
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	for user, si := range s.Identities {
		ib := &identityBaseline{first: si.First, actions: make(map[action]struct{}, len(si.Actions))}
		for _, as := range si.Actions {
			if len(ib.actions) >= b.o.Baseline.MaxActions {
				break
			}
			a, ok := parseAction(as)
			if !ok {
				return fmt.Errorf("baseline of %s: malformed action %q", user, as)
			}
			ib.actions[a] = struct{}{}
		}
		b.ids.set(user, ib)
	}
	return nil
}
