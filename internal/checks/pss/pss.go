// Package pss reports the Pod Security Standards as kubeward checks, one per
// upstream check (pss-<name>), evaluated by k8s.io/pod-security-admission at
// the level and version of the run. The decisions and reason texts are
// upstream's; this package only names the check and points at the field.
//
// Unlike other check families this one is not one file per check: the logic
// of each check lives upstream, and controls.go carries their descriptions.
package pss

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/pss"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"
)

// evaluator is built once at start-up and only read afterwards.
var evaluator = mustEvaluator()

func mustEvaluator() *pss.Evaluator {
	e, err := pss.New()
	if err != nil {
		panic(err) // the upstream checks are compiled in: this cannot depend on input
	}
	return e
}

// Evaluator exposes the shared evaluator (the CLI validates --pss-level and
// --pss-version with it).
func Evaluator() *pss.Evaluator { return evaluator }

// ID returns the kubeward check id of an upstream check.
func ID(id policy.CheckID) string { return "pss-" + controls[id].slug }

func init() {
	for _, id := range evaluator.IDs() {
		ctl, ok := controls[id]
		if !ok {
			continue // TestEveryUpstreamCheckHasAControl fails instead
		}
		check.Register(newCheck(id, ctl))
	}
}

func newCheck(id policy.CheckID, ctl control) *check.Check {
	level := evaluator.Level(id)
	refs := append([]check.Reference{check.PSS(string(level), ctl.pssName)}, ctl.cis...)
	return &check.Check{
		Meta: check.Meta{
			ID:        ID(id),
			Title:     ctl.title,
			Severity:  ctl.severity,
			Category:  check.CategoryPodSecurity,
			Rationale: ctl.rationale + fmt.Sprintf(" This is the %q check of the Pod Security Standards (%s level), evaluated by k8s.io/pod-security-admission.", id, level),
			Fix:       ctl.fix,
			Reads:     ctl.reads,
			Refs:      refs,
			Peers:     ctl.peers,
		},
		Active: func(o *check.Options) bool {
			lv, err := evaluator.LevelVersion(o.PSSLevel, o.PSSVersion)
			return err == nil && evaluator.Active(id, lv)
		},
		Pod: func(ctx *check.Context, p *inventory.Pod) []check.Result {
			lv, err := evaluator.LevelVersion(ctx.Options.PSSLevel, ctx.Options.PSSVersion)
			if err != nil {
				return nil // the CLI rejects bad levels before a run
			}
			spec := pss.WithDefaults(p.Spec)
			v, failed, ok := evaluator.Check(id, lv, p.Meta, spec)
			if !ok || !failed {
				return nil
			}
			offenders := evaluator.Offenders(id, lv, p.Meta, spec)
			cause, leads := rootCause(id, p.Spec, offenders)
			return []check.Result{{
				Path:    locate(id, p, offenders),
				Message: fmt.Sprintf("violates PodSecurity %q: %s", shown(ctx.Options), v.Message()),
				Cause:   cause,
				Leads:   leads,
			}}
		},
	}
}

// shown is the level and version as PodSecurity admission prints them.
func shown(o *check.Options) string {
	v := o.PSSVersion
	if v == "" {
		v = "latest"
	}
	return o.PSSLevel + ":" + v
}

// rootCause names the cause a failing control shares with other checks
// (see check.Result.Cause). hostPath volumes are one cause with
// sensitive-host-path, the more specific check, which speaks for it. A
// privileged container holds every capability and may always escalate, so
// the capability and escalation controls add nothing when only privileged
// containers fail them: privileged speaks for them.
func rootCause(id policy.CheckID, spec *corev1.PodSpec, offenders []pss.Offender) (cause string, leads bool) {
	switch id {
	case "hostPathVolumes":
		return check.CauseHostPath, false
	case "privileged":
		return check.CausePrivileged, true
	case "capabilities_baseline", "capabilities_restricted", "allowPrivilegeEscalation":
		if len(offenders) == 0 {
			return "", false
		}
		for _, o := range offenders {
			if o.ContainerKind == "" {
				return "", false
			}
			sc := containerAt(spec, o.ContainerKind, o.Index).SecurityContext
			if sc == nil || sc.Privileged == nil || !*sc.Privileged {
				return "", false
			}
		}
		return check.CausePrivileged, false
	}
	return "", false
}

// locate points at the first part of the pod that fails the check.
func locate(id policy.CheckID, p *inventory.Pod, offenders []pss.Offender) *fieldpath.Path {
	if len(offenders) == 0 {
		return p.SpecPath
	}
	o := offenders[0]
	switch {
	case o.Volume:
		v := p.SpecPath.Child("volumes").Index(o.Index)
		if id == "hostPathVolumes" {
			return v.Child("hostPath")
		}
		return v
	case o.ContainerKind != "":
		c := containerAt(p.Spec, o.ContainerKind, o.Index)
		return containerField(id, c, p.SpecPath.Child(o.ContainerKind).Index(o.Index))
	default:
		return podField(id, p)
	}
}

func containerAt(s *corev1.PodSpec, kind string, i int) *corev1.Container {
	switch kind {
	case "initContainers":
		return &s.InitContainers[i]
	case "containers":
		return &s.Containers[i]
	default:
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		return &c
	}
}

// containerField names the field of a container that a check reads.
func containerField(id policy.CheckID, c *corev1.Container, at *fieldpath.Path) *fieldpath.Path {
	sc := at.Child("securityContext")
	switch id {
	case "privileged":
		return sc.Child("privileged")
	case "allowPrivilegeEscalation":
		return sc.Child("allowPrivilegeEscalation")
	case "capabilities_baseline":
		return sc.Child("capabilities", "add")
	case "capabilities_restricted":
		if c.SecurityContext != nil && c.SecurityContext.Capabilities != nil {
			for _, cp := range c.SecurityContext.Capabilities.Add {
				if cp != "NET_BIND_SERVICE" {
					return sc.Child("capabilities", "add")
				}
			}
		}
		return sc.Child("capabilities", "drop")
	case "hostPorts":
		for j, port := range c.Ports {
			if port.HostPort != 0 {
				return at.Child("ports").Index(j).Child("hostPort")
			}
		}
		return at.Child("ports")
	case "procMount", "procMount_restricted":
		return sc.Child("procMount")
	case "runAsNonRoot":
		return sc.Child("runAsNonRoot")
	case "runAsUser":
		return sc.Child("runAsUser")
	case "seLinuxOptions":
		return sc.Child("seLinuxOptions")
	case "seccompProfile_baseline", "seccompProfile_restricted":
		return sc.Child("seccompProfile")
	case "appArmorProfile":
		return sc.Child("appArmorProfile")
	case "windowsHostProcess":
		return sc.Child("windowsOptions", "hostProcess")
	case "hostProbesAndHostLifecycle":
		return hostProbe(c, at)
	}
	return at
}

func hostProbe(c *corev1.Container, at *fieldpath.Path) *fieldpath.Path {
	handler := func(h *corev1.ProbeHandler, p *fieldpath.Path) *fieldpath.Path {
		switch {
		case h == nil:
		case h.HTTPGet != nil && h.HTTPGet.Host != "":
			return p.Child("httpGet", "host")
		case h.TCPSocket != nil && h.TCPSocket.Host != "":
			return p.Child("tcpSocket", "host")
		}
		return nil
	}
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if pr.probe != nil {
			if p := handler(&pr.probe.ProbeHandler, at.Child(pr.name)); p != nil {
				return p
			}
		}
	}
	if lc := c.Lifecycle; lc != nil {
		for _, h := range []struct {
			name string
			h    *corev1.LifecycleHandler
		}{{"postStart", lc.PostStart}, {"preStop", lc.PreStop}} {
			if h.h == nil {
				continue
			}
			ph := &corev1.ProbeHandler{HTTPGet: h.h.HTTPGet, TCPSocket: h.h.TCPSocket}
			if p := handler(ph, at.Child("lifecycle", h.name)); p != nil {
				return p
			}
		}
	}
	return at
}

// podField names the pod-level field of a check that fails without containers.
func podField(id policy.CheckID, p *inventory.Pod) *fieldpath.Path {
	s, sc := p.Spec, p.SpecPath.Child("securityContext")
	switch id {
	case "hostNamespaces":
		switch {
		case s.HostNetwork:
			return p.SpecPath.Child("hostNetwork")
		case s.HostPID:
			return p.SpecPath.Child("hostPID")
		case s.HostIPC:
			return p.SpecPath.Child("hostIPC")
		}
	case "sysctls":
		return sc.Child("sysctls")
	case "runAsNonRoot":
		return sc.Child("runAsNonRoot")
	case "runAsUser":
		return sc.Child("runAsUser")
	case "seLinuxOptions":
		return sc.Child("seLinuxOptions")
	case "seccompProfile_baseline", "seccompProfile_restricted":
		return sc.Child("seccompProfile")
	case "appArmorProfile":
		if s.SecurityContext != nil && s.SecurityContext.AppArmorProfile != nil {
			return sc.Child("appArmorProfile")
		}
		return p.MetaPath.Child("annotations")
	case "windowsHostProcess":
		return sc.Child("windowsOptions", "hostProcess")
	}
	return p.SpecPath
}
