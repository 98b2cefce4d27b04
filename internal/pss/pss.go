// Package pss evaluates the Pod Security Standards with the upstream
// k8s.io/pod-security-admission checks, and attributes each failing check
// to the fields that cause it.
//
// The upstream evaluator returns results without check ids. Rather than
// re-implement its selection of checks per level and version (overrides of
// baseline checks by restricted ones, versioned revisions), this package
// asks the evaluator itself: it wraps every check so that, called with a
// sentinel pod, the check names itself and its revision. The table that
// results is exactly the evaluator's choice for each level and version.
package pss

import (
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Evaluator knows which upstream check function applies to each check id at
// each level and version. It is immutable once built.
type Evaluator struct {
	checks map[policy.CheckID]policy.Check
	// active maps a level and version to the check functions in force,
	// in the evaluator's order.
	active     map[api.LevelVersion][]activeCheck
	maxVersion api.Version
}

type activeCheck struct {
	id  policy.CheckID
	fn  policy.CheckPodFn
	lvl api.Level // the level the check belongs to
}

// sentinel is a pod spec that wrapped checks recognise by address.
var sentinel = &corev1.PodSpec{}

// New builds the evaluator from policy.DefaultChecks.
func New() (*Evaluator, error) {
	defaults := policy.DefaultChecks()
	e := &Evaluator{checks: map[policy.CheckID]policy.Check{}, active: map[api.LevelVersion][]activeCheck{}}
	wrapped := make([]policy.Check, len(defaults))
	for i, c := range defaults {
		e.checks[c.ID] = c
		w := c
		w.Versions = slices.Clone(c.Versions)
		for j := range w.Versions {
			id, rev, orig := c.ID, j, c.Versions[j].CheckPod
			w.Versions[j].CheckPod = func(m *metav1.ObjectMeta, s *corev1.PodSpec) policy.CheckResult {
				if s == sentinel {
					return policy.CheckResult{ForbiddenReason: string(id), ForbiddenDetail: strconv.Itoa(rev)}
				}
				return orig(m, s)
			}
			if v := c.Versions[j].MinimumVersion; e.maxVersion.Older(v) {
				e.maxVersion = v
			}
		}
		wrapped[i] = w
	}
	ev, err := policy.NewEvaluator(wrapped, nil)
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	for minor := 0; minor <= e.maxVersion.Minor(); minor++ {
		for _, lvl := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
			lv := api.LevelVersion{Level: lvl, Version: api.MajorMinorVersion(1, minor)}
			for _, r := range ev.EvaluatePod(lv, &metav1.ObjectMeta{}, sentinel) {
				id := policy.CheckID(r.ForbiddenReason)
				rev, err := strconv.Atoi(r.ForbiddenDetail)
				c, ok := e.checks[id]
				if err != nil || !ok || rev >= len(c.Versions) {
					return nil, fmt.Errorf("pod security checks: unexpected sentinel answer %+v", r)
				}
				e.active[lv] = append(e.active[lv], activeCheck{id: id, fn: c.Versions[rev].CheckPod, lvl: c.Level})
			}
		}
	}
	return e, nil
}

// IDs returns every upstream check id, sorted.
func (e *Evaluator) IDs() []policy.CheckID {
	out := make([]policy.CheckID, 0, len(e.checks))
	for id := range e.checks {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Level returns the level a check belongs to.
func (e *Evaluator) Level(id policy.CheckID) api.Level { return e.checks[id].Level }

// LevelVersion parses a level ("baseline", "restricted") and a version
// ("latest", "v1.30"), clamping versions newer than the checks to the newest.
func (e *Evaluator) LevelVersion(level, version string) (api.LevelVersion, error) {
	lvl, err := api.ParseLevel(level)
	if err != nil || lvl == api.LevelPrivileged {
		return api.LevelVersion{}, fmt.Errorf("pod security level %q: want baseline or restricted", level)
	}
	v, err := api.ParseVersion(version)
	if err != nil {
		return api.LevelVersion{}, fmt.Errorf("pod security version %q: want latest or v1.N", version)
	}
	if v.Latest() || e.maxVersion.Older(v) {
		v = e.maxVersion
	}
	return api.LevelVersion{Level: lvl, Version: v}, nil
}

// Active reports whether check id is in force at lv.
func (e *Evaluator) Active(id policy.CheckID, lv api.LevelVersion) bool {
	_, ok := e.find(id, lv)
	return ok
}

func (e *Evaluator) find(id policy.CheckID, lv api.LevelVersion) (activeCheck, bool) {
	for _, a := range e.active[lv] {
		if a.id == id {
			return a, true
		}
	}
	return activeCheck{}, false
}

// Evaluate runs every check in force at lv, as the admission plugin does,
// and returns the failing ones by id.
func (e *Evaluator) Evaluate(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	var out []Violation
	for _, a := range e.active[lv] {
		if r := a.fn(meta, spec); !r.Allowed {
			out = append(out, Violation{ID: a.id, Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail})
		}
	}
	return out
}

// Violation is one failing check with the upstream wording.
type Violation struct {
	ID     policy.CheckID
	Reason string
	Detail string
}

// Message is the upstream reason and detail, as kubectl shows them.
func (v Violation) Message() string {
	if v.Detail == "" {
		return v.Reason
	}
	return v.Reason + " (" + v.Detail + ")"
}

// Check runs one check at lv. ok is false when the check is not in force.
func (e *Evaluator) Check(id policy.CheckID, lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (v Violation, failed, ok bool) {
	a, ok := e.find(id, lv)
	if !ok {
		return Violation{}, false, false
	}
	r := a.fn(meta, spec)
	return Violation{ID: id, Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail}, !r.Allowed, true
}

// Offender is a part of the pod that makes a check fail on its own.
type Offender struct {
	// Container is the index into Containers order (init, regular,
	// ephemeral) as kind+index, or "" for a pod-level offence.
	ContainerKind string // "initContainers", "containers", "ephemeralContainers" or ""
	Index         int    // container or volume index
	Volume        bool
}

// Offenders finds which parts of the pod fail check id at lv on their own:
// the pod-level fields (with no containers), each volume, each container
// (with the pod-level fields it inherits). The decision stays upstream's;
// this only narrows where to point.
func (e *Evaluator) Offenders(id policy.CheckID, lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Offender {
	a, ok := e.find(id, lv)
	if !ok {
		return nil
	}
	fails := func(s *corev1.PodSpec) bool { return !a.fn(meta, s).Allowed }
	bare := *spec
	bare.InitContainers, bare.Containers, bare.EphemeralContainers = nil, nil, nil
	var out []Offender
	if fails(&bare) {
		noVolumes := bare
		noVolumes.Volumes = nil
		if fails(&noVolumes) {
			out = append(out, Offender{})
		}
		for i := range spec.Volumes {
			one := noVolumes
			one.Volumes = spec.Volumes[i : i+1]
			if fails(&one) {
				out = append(out, Offender{Index: i, Volume: true})
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	try := func(kind string, n int, set func(s *corev1.PodSpec, i int)) {
		for i := 0; i < n; i++ {
			one := bare
			set(&one, i)
			if fails(&one) {
				out = append(out, Offender{ContainerKind: kind, Index: i})
			}
		}
	}
	try("initContainers", len(spec.InitContainers), func(s *corev1.PodSpec, i int) { s.InitContainers = spec.InitContainers[i : i+1] })
	try("containers", len(spec.Containers), func(s *corev1.PodSpec, i int) { s.Containers = spec.Containers[i : i+1] })
	try("ephemeralContainers", len(spec.EphemeralContainers), func(s *corev1.PodSpec, i int) { s.EphemeralContainers = spec.EphemeralContainers[i : i+1] })
	return out
}
