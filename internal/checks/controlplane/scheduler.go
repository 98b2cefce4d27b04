package controlplane

import (
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
)

// The kube-scheduler checks of CIS 1.4.

var scheduler = componentflags.Scheduler

// SchedulerProfiling (CIS 1.4.1). With --config the scheduler ignores
// --profiling and reads enableProfiling from its KubeSchedulerConfiguration
// (k/k cmd/kube-scheduler/app/options/options.go:229-233), which this
// check does not read: it then reports nothing.
var SchedulerProfiling = flagCheck(check.Meta{
	ID:        "scheduler-profiling",
	Title:     "Scheduler profiling is enabled",
	Severity:  check.Low,
	Rationale: "The /debug/pprof endpoints reveal internals and cost CPU; they are on unless disabled.",
	Fix:       "Set --profiling=false (or enableProfiling: false in the file given to --config).",
	Reads:     reads(scheduler, "profiling", "config"),
	Refs:      []check.Reference{check.CIS("1.4.1", "Ensure that the --profiling argument is set to false")},
}, scheduler, func(in *instance) []problem {
	if strings.TrimSpace(in.args.Get("config").Raw) != "" {
		return nil
	}
	return boolMustBe("profiling", false, "/debug/pprof is served")(in)
})

// SchedulerBindAddress (CIS 1.4.2).
var SchedulerBindAddress = flagCheck(check.Meta{
	ID:       "scheduler-bind-address",
	Title:    "Scheduler listens on all interfaces",
	Severity: check.Low,
	Rationale: "The scheduler's secure port (health, metrics, debugging) needs no remote clients; bound to " +
		"every interface it is one more service exposed on the node's network (default 0.0.0.0).",
	Fix:   "Set --bind-address=127.0.0.1.",
	Reads: reads(scheduler, "bind-address"),
	Refs:  []check.Reference{check.CIS("1.4.2", "Ensure that the --bind-address argument is set to 127.0.0.1"), check.NSA("Network separation and hardening")},
}, scheduler, loopbackOnly("bind-address"))

func init() { check.Register(SchedulerProfiling, SchedulerBindAddress) }
