package detect

import (
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// forbiddenBurst detects enumeration: an identity collecting authorization
// denials, as tools do that probe what a stolen credential may do
// (kubectl auth can-i --list does it without denials; trying does not).
//
// Reads: user, the authorization decision (or response code 403 when the
// event has no decision), verb, objectRef, requestURI, stageTimestamp.
//
// Fires when one identity collects Options.ForbiddenBurst.Threshold
// authorization denials within Options.ForbiddenBurst.Window, then counts
// afresh. Rejections by admission (403 with an "allow" decision) are not
// denials of permission and do not count.
func forbiddenBurst() Rule {
	return Rule{
		Meta: Meta{
			ID:       "forbidden-burst",
			Title:    "Burst of forbidden requests",
			Severity: check.Medium,
			MITRE:    []Technique{tResourceDiscovery, tPermissionDiscovery},
			Fires:    "an identity denied by authorization repeatedly within a short window",
			Reads:    []string{"user", "annotations", "responseStatus.code", "verb", "objectRef", "stageTimestamp"},
			Fix:      "Find out who holds the credential and why it probes; revoke it if it is not the owner.",
		},
		New: func(o *Options) Machine { return &forbiddenMachine{b: newBurst(o.ForbiddenBurst, o.MaxTracked), o: o} },
	}
}

type forbiddenMachine struct {
	b *burst
	o *Options
}

func (m *forbiddenMachine) Observe(v *View) *Hit {
	ev := v.Event
	denied := ev.Decision() == "forbid" || (ev.Decision() == "" && ev.Code() == 403)
	if !denied || ev.User.Username == "" {
		return nil
	}
	sample, fired := m.b.observe(ev.User.Username, ev.Time(), requestSummary(v))
	if !fired {
		return nil
	}
	n := strconv.Itoa(m.o.ForbiddenBurst.Threshold)
	return hit(ev.User.Username+" was denied "+n+" requests within "+m.o.ForbiddenBurst.Window.String(),
		"denials", n, "window", m.o.ForbiddenBurst.Window.String(), "sample", strings.Join(sample, "; "))
}
