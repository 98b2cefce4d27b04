package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
	schedulerv1 "k8s.io/kube-scheduler/config/v1"
	kjson "sigs.k8s.io/json"
)

// The kube-scheduler checks of CIS 1.4.

var scheduler = componentflags.Scheduler

var kindSchedulerConfiguration = schema.GroupKind{Group: "kubescheduler.config.k8s.io", Kind: "KubeSchedulerConfiguration"}

// GapSchedulerConfig: a scheduler's --config names a file the scan does
// not hold, so what the file decides is unknown.
const GapSchedulerConfig = "kube-scheduler-config"

// SchedulerProfiling (CIS 1.4.1). Without --config the flag decides
// (default true). With --config the scheduler ignores --profiling and every
// deprecated flag (k/k cmd/kube-scheduler/app/options/options.go, ApplyTo:
// only the leader-election flags are honoured) and serves /debug/pprof when
// the KubeSchedulerConfiguration's enableProfiling is true, which an absent
// field defaults to (k/k pkg/scheduler/apis/config/v1/defaults.go:169-171).
//
// Reads: kube-scheduler --profiling and --config; the
// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) that --config
// names, as a scanned file or a ConfigMap the pod mounts at that path.
// A file the scan does not hold leaves the scheduler undecided (a coverage
// gap), never passed.
var SchedulerProfiling = &check.Check{
	Meta: check.Meta{
		ID:        "scheduler-profiling",
		Title:     "Scheduler profiling is enabled",
		Severity:  check.Low,
		Category:  check.CategoryControlPlane,
		Rationale: "The /debug/pprof endpoints reveal internals and cost CPU; they are on unless disabled.",
		Fix: "Set --profiling=false; with --config the flag is ignored: set enableProfiling: false in the " +
			"KubeSchedulerConfiguration instead.",
		Reads: append(reads(scheduler, "profiling", "config"), "KubeSchedulerConfiguration enableProfiling (the file --config names, or the ConfigMap mounted there)"),
		Refs:  []check.Reference{check.CIS("1.4.1", "Ensure that the --profiling argument is set to false")},
	},
	Needs:     append(append([]schema.GroupKind(nil), componentKinds...), kindSchedulerConfiguration, inventory.KindConfigMap),
	Subject:   schedulerSubject,
	Inventory: schedulerProfiling,
}

func schedulerProfiling(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, scheduler) {
			if strings.TrimSpace(in.args.Get("config").Raw) == "" {
				for _, p := range boolMustBe("profiling", false, "/debug/pprof is served")(in) {
					out = append(out, check.Result{Object: o, Path: in.at(p.flag), Message: p.message})
				}
				continue
			}
			out = append(out, schedulerConfigProfiling(ctx, inv, o, in)...)
		}
	}
	return out
}

// schedulerConfigProfiling judges enableProfiling in the file --config names.
func schedulerConfigProfiling(ctx *check.Context, inv *inventory.Inventory, o *inventory.Object, in *instance) []check.Result {
	ignored := ""
	if in.args.Get("profiling").Set {
		ignored = fmt.Sprintf("; %s is ignored with --config", in.describe("profiling"))
	}
	cfg, ok := configOf(ctx, inv, in, kindSchedulerConfiguration)
	if !ok {
		return []check.Result{{Object: o, Path: in.at("config"), Undecided: GapSchedulerConfig,
			Message: "kube-scheduler --config names a KubeSchedulerConfiguration the scan does not hold (a file on the node), " +
				"and the scheduler takes enableProfiling from it, not from --profiling: run `kubeward node` on the " +
				"control-plane node, or scan the file with --node-config"}}
	}
	var sc schedulerv1.KubeSchedulerConfiguration
	if err := kjson.UnmarshalCaseSensitivePreserveInts(cfg.json, &sc); err != nil {
		return nil // the scheduler refuses it and does not start
	}
	if sc.EnableProfiling != nil && !*sc.EnableProfiling {
		return nil
	}
	state := "enableProfiling is not set (default true)"
	if sc.EnableProfiling != nil {
		state = "enableProfiling: true"
	}
	return []check.Result{{Object: cfg.obj, Path: cfg.field("enableProfiling"),
		Message: fmt.Sprintf("%s (--config of %s in %s): %s: /debug/pprof is served%s", cfg.name, in.name, o.Ref, state, ignored)}}
}

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
