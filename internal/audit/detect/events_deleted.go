package detect

import (
	"github.com/kubeward/kubeward/internal/check"
)

// eventsDeleted detects deletion of Kubernetes Events, which erases the
// cluster's own record of what happened (image pulls, kills, scheduling).
// Events expire on their own (--event-ttl), so deleting them by hand is
// rare.
//
// Reads: verb, objectRef (events of the core and events.k8s.io groups),
// user, the authorization decision.
//
// Fires on an authorized delete or deletecollection of events by an
// identity other than the control plane (the namespace controller empties
// deleted namespaces).
func eventsDeleted() Rule {
	return Rule{
		Meta: Meta{
			ID:       "events-deleted",
			Title:    "Events deleted",
			Severity: check.Medium,
			MITRE:    []Technique{tIndicatorRemoval},
			Fires:    "a delete or deletecollection of events by a non-system identity",
			Reads:    []string{"verb", "objectRef", "user", "annotations"},
			Fix:      "Find out what the deleted events recorded (the audit log still has the requests); remove delete on events from the identity.",
		},
		Eval: func(v *View) *Hit {
			ev := v.Event
			if (ev.Verb != "delete" && ev.Verb != "deletecollection") || (!ev.Is("", "events") && !ev.Is("events.k8s.io", "events")) ||
				!ev.Allowed() || v.isSystem(v.actor()) {
				return nil
			}
			what := "event " + ev.Namespace() + "/" + ev.Name()
			if ev.Verb == "deletecollection" {
				what = "all events"
				if ev.Namespace() != "" {
					what += " of namespace " + ev.Namespace()
				}
			}
			return hit(what + " deleted")
		},
	}
}
