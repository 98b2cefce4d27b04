package custom

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apimachinery/pkg/util/version"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// Variables a check's expressions see.
const (
	varObject  = "object"  // the object checked (for pod spec checks, the workload)
	varPodSpec = "podSpec" // pod spec checks: the pod spec
	varPodMeta = "podMeta" // pod spec checks: the pod template's metadata
)

// envs are the CEL environments of checks: the base environment the
// ValidatingAdmissionPolicy plugin compiles policies with (as
// internal/policy/vap does: Kubernetes libraries at the default
// compatibility version, strict cost tracking and the per-call cost limit
// are all part of it) with the check's variables, typed dynamically like a
// policy's object.
var envs = sync.OnceValues(func() (map[bool]*cel.Env, error) {
	out := map[bool]*cel.Env{}
	for _, pod := range []bool{false, true} {
		opts := []cel.EnvOption{cel.Variable(varObject, cel.DynType)}
		if pod {
			opts = append(opts, cel.Variable(varPodSpec, cel.DynType), cel.Variable(varPodMeta, cel.DynType))
		}
		set, err := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()).Extend(
			environment.VersionedOptions{IntroducedVersion: version.MajorMinor(1, 0), EnvOptions: opts})
		if err != nil {
			return nil, err
		}
		// Checks are written now: the environment of new expressions, as
		// the API server uses to admit a new policy.
		if out[pod], err = set.Env(environment.NewExpressions); err != nil {
			return nil, err
		}
	}
	return out, nil
})

// compile compiles an expression that must evaluate to want (or dyn, known
// at run time only); nil accepts any type.
func compile(src string, pod bool, want *cel.Type) (cel.Program, error) {
	all, err := envs()
	if err != nil {
		return nil, fmt.Errorf("CEL environment: %w", err)
	}
	env := all[pod]
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compilation failed: %s", iss.Err())
	}
	if want != nil && !ast.OutputType().IsExactType(want) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, fmt.Errorf("must evaluate to %s but got %s", want, ast.OutputType())
	}
	return env.Program(ast, cel.InterruptCheckFrequency(celconfig.CheckFrequency))
}

// activation binds the variables without a map per evaluation.
type activation struct {
	object, podSpec, podMeta ref.Val
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case varObject:
		return a.object, a.object != nil
	case varPodSpec:
		return a.podSpec, a.podSpec != nil
	case varPodMeta:
		return a.podMeta, a.podMeta != nil
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// eval runs a program within the per-call cost limit the environment sets
// (celconfig.PerCallLimit): an expression over budget fails with
// "operation cancelled: actual cost limit exceeded".
func eval(p cel.Program, a *activation) (ref.Val, error) {
	v, _, err := p.Eval(a)
	if err != nil {
		return nil, err
	}
	if types.IsError(v) {
		return nil, fmt.Errorf("%v", v)
	}
	return v, nil
}
