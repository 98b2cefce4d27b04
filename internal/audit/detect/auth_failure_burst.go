package detect

import (
	"strconv"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// authFailureBurst detects credential guessing: many failed
// authentications from one source address.
//
// Reads: responseStatus.code (401), sourceIPs, responseStatus.message (the
// authentication methods tried, never the credential), stageTimestamp.
// The API server logs failed authentications at the ResponseStarted stage
// only, so the audit policy must not omit that stage.
//
// Fires when one source address collects Options.AuthFailureBurst.Threshold
// 401 responses within Options.AuthFailureBurst.Window, then counts afresh.
func authFailureBurst() Rule {
	return Rule{
		Meta: Meta{
			ID:       "auth-failure-burst",
			Title:    "Burst of failed authentications",
			Severity: check.Medium,
			MITRE:    []Technique{tBruteForce},
			Fires:    "one source address failing authentication repeatedly within a short window",
			Reads:    []string{"responseStatus.code", "responseStatus.message", "sourceIPs", "stageTimestamp"},
			Fix:      "Block the address if it is not a known client with an expired credential; check for leaked or guessed tokens.",
		},
		New: func(o *Options) Machine {
			return &authFailureMachine{b: newBurst(o.AuthFailureBurst, o.MaxTracked), o: o}
		},
	}
}

type authFailureMachine struct {
	b *burst
	o *Options
}

func (m *authFailureMachine) Observe(v *View) *Hit {
	ev := v.Event
	if ev.Code() != 401 || len(ev.SourceIPs) == 0 {
		return nil
	}
	methods := ""
	if ev.ResponseStatus != nil {
		methods = ev.ResponseStatus.Message
	}
	sample, fired := m.b.observe(ev.SourceIPs[0], ev.Time(), methods)
	if !fired {
		return nil
	}
	n := strconv.Itoa(m.o.AuthFailureBurst.Threshold)
	return hit(ev.SourceIPs[0]+" failed authentication "+n+" times within "+m.o.AuthFailureBurst.Window.String(),
		"failures", n, "window", m.o.AuthFailureBurst.Window.String(), "methods", strings.Join(sample, "; "))
}
