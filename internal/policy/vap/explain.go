package vap

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"github.com/google/cel-go/parser"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/cel/common"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/apiserver/pkg/cel/library"
)

// evalError is how the plugin reports an expression that failed at run
// time (k8s.io/apiserver/pkg/admission/plugin/cel/activation.go).
var evalError = regexp.MustCompile(`(?s)^expression '(.*)' resulted in error: (.*)$`)

// explain says, for a validation that failed at run time, which part of
// the expression failed and the likely cause. It evaluates the expression
// again, with cel-go's state tracking, over the same object, oldObject,
// params, request, namespaceObject, authorizer and variables the plugin
// gave it, and reports the innermost sub-expression whose value is the
// error. "" when the failure is not an evaluation error it can reproduce.
func explain(msg string, policy *admissionregistrationv1.ValidatingAdmissionPolicy, call *validated) string {
	m := evalError.FindStringSubmatch(msg)
	if m == nil || call == nil || call.attr == nil {
		return ""
	}
	expr, errText := m[1], m[2]
	env, act, err := explainEnv(policy, call)
	if err != nil {
		return strings.TrimPrefix(cause(errText, "", nil), "; ")
	}
	part, args := failingPart(env, act, expr)
	if strings.HasPrefix(part, "variables.") {
		// The error came from a variable: explain its own expression.
		name := strings.TrimPrefix(part, "variables.")
		for _, v := range policy.Spec.Variables {
			if v.Name == name {
				if inner, innerArgs := failingPart(env, act, v.Expression); inner != "" {
					return fmt.Sprintf("the part that failed: `%s` in variable %q (%s)%s", inner, name, errText, cause(errText, inner, innerArgs))
				}
			}
		}
	}
	if part == "" {
		return strings.TrimPrefix(cause(errText, "", nil), "; ")
	}
	return fmt.Sprintf("the part that failed: `%s` (%s)%s", part, errText, cause(errText, part, args))
}

// explainActivation resolves the plugin's variables to the values it
// used.
type explainActivation struct {
	vars map[string]any
}

func (a *explainActivation) ResolveName(name string) (any, bool) {
	v, ok := a.vars[name]
	return v, ok && v != nil
}

func (a *explainActivation) Parent() interpreter.Activation { return nil }

// explainEnv is the plugin's environment with its variables declared
// dynamically, and the activation of the call.
func explainEnv(policy *admissionregistrationv1.ValidatingAdmissionPolicy, call *validated) (*cel.Env, *explainActivation, error) {
	base, err := compositionEnv().Env(environment.StoredExpressions)
	if err != nil {
		return nil, nil, err
	}
	env, err := base.Extend(
		cel.Variable(plugincel.ObjectVarName, cel.DynType),
		cel.Variable(plugincel.OldObjectVarName, cel.DynType),
		cel.Variable(plugincel.ParamsVarName, cel.DynType),
		cel.Variable(plugincel.RequestVarName, cel.DynType),
		cel.Variable(plugincel.NamespaceVarName, cel.DynType),
		cel.Variable(plugincel.AuthorizerVarName, library.AuthorizerType),
		cel.Variable(plugincel.RequestResourceAuthorizerVarName, library.ResourceCheckType),
		cel.Variable(plugincel.VariableVarName, cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		return nil, nil, err
	}
	attr := call.attr
	obj, err := attr.VersionedObject.CELValue()
	if err != nil {
		return nil, nil, err
	}
	old, err := attr.VersionedOldObject.CELValue()
	if err != nil {
		return nil, nil, err
	}
	req := plugincel.CreateAdmissionRequest(attr.Attributes, metav1.GroupVersionResource(call.resource), metav1.GroupVersionKind(attr.VersionedKind))
	act := &explainActivation{vars: map[string]any{
		plugincel.ObjectVarName:    obj,
		plugincel.OldObjectVarName: old,
		plugincel.RequestVarName:   common.SchemalessTypedToVal(req),
	}}
	if call.params != nil {
		act.vars[plugincel.ParamsVarName] = common.SchemalessTypedToVal(call.params)
	} else {
		act.vars[plugincel.ParamsVarName] = types.NullValue
	}
	if call.namespace != nil {
		act.vars[plugincel.NamespaceVarName] = common.SchemalessTypedToVal(plugincel.CreateNamespaceObject(call.namespace))
	} else {
		act.vars[plugincel.NamespaceVarName] = types.NullValue
	}
	if call.authz != nil {
		act.vars[plugincel.AuthorizerVarName] = library.NewAuthorizerVal(attr.GetUserInfo(), call.authz)
		act.vars[plugincel.RequestResourceAuthorizerVarName] = library.NewResourceAuthorizerVal(attr.GetUserInfo(), call.authz, attr)
	}
	// Variables in order, each seeing the earlier ones; an error is kept
	// as the value, as the plugin's lazy variables propagate it.
	values := map[string]any{}
	act.vars[plugincel.VariableVarName] = values
	for _, v := range policy.Spec.Variables {
		values[v.Name] = evalValue(env, act, v.Expression)
	}
	return env, act, nil
}

// evalValue runs expr, returning its value or the error as a value.
func evalValue(env *cel.Env, act interpreter.Activation, expr string) ref.Val {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return types.NewErr("%v", iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		return types.NewErr("%v", err)
	}
	v, _, err := prg.Eval(act)
	if err != nil {
		return types.NewErr("%v", err)
	}
	return v
}

// failingPart evaluates expr with state tracking and returns the innermost
// sub-expression whose value is an error, as CEL text, with the types of
// its operands (for a call).
func failingPart(env *cel.Env, act interpreter.Activation, expr string) (string, []string) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return "", nil
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptTrackState))
	if err != nil {
		return "", nil
	}
	_, det, _ := prg.Eval(act)
	if det == nil {
		return "", nil
	}
	state := det.State()
	native := ast.NativeRep()
	var found celast.Expr
	isErr := func(id int64) bool {
		v, ok := state.Value(id)
		return ok && types.IsError(v)
	}
	celast.PostOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if found == nil && isErr(e.ID()) {
			found = e
		}
	}))
	if found == nil {
		return "", nil
	}
	text, err := parser.Unparse(found, native.SourceInfo())
	if err != nil {
		return "", nil
	}
	var args []string
	if found.Kind() == celast.CallKind {
		call := found.AsCall()
		operands := call.Args()
		if call.IsMemberFunction() {
			operands = append([]celast.Expr{call.Target()}, operands...)
		}
		for _, a := range operands {
			if v, ok := state.Value(a.ID()); ok {
				args = append(args, v.Type().(ref.Type).TypeName())
			}
		}
	}
	return text, args
}

// cause says what usually makes an expression fail with errText, as
// "; likely cause: ...", or "" when it cannot tell.
func cause(errText, part string, args []string) string {
	why := ""
	switch {
	case strings.Contains(errText, "no such overload") && (strings.Contains(part, ".orValue(") || strings.Contains(part, ".value()") || strings.Contains(part, ".hasValue()")):
		why = fmt.Sprintf("; likely cause: orValue(), value() and hasValue() work on optional values, and this is a %s, not an optional: "+
			"select the field with `.?` to get one%s, or test it with has()", operandType(args), optionalFix(part))
	case strings.Contains(errText, "no such overload"):
		if len(args) > 0 {
			why = fmt.Sprintf("; the operands are %s", strings.Join(args, ", "))
		}
		why += "; likely cause: the function or operator does not take values of these types (a field is a list, a map or null where a scalar was expected, " +
			"or numbers of different kinds): convert them (string(), int(), double()) or pick the right field"
	case strings.Contains(errText, "no such key"):
		why += "; likely cause: the field or map key is absent in this object (defaulting and optional fields): test it with has() first, " +
			"or select it with `.?key` and orValue(default)"
	case strings.Contains(errText, "index out of range") || strings.Contains(errText, "index out of bounds"):
		why += "; likely cause: the list is shorter than the index: test size() first"
	case strings.Contains(errText, "division by zero") || strings.Contains(errText, "divide by zero") || strings.Contains(errText, "modulus by zero"):
		why += "; likely cause: a divisor is zero for this object"
	case strings.Contains(errText, "cost") || strings.Contains(errText, "cancelled"):
		why += "; likely cause: the evaluation costs more than the API server allows a call: iterate over fewer items or use cheaper functions"
	case strings.Contains(errText, "null"):
		why += "; likely cause: a value is null where the function needs a value: test it with has() or compare with null first"
	}
	return why
}

// optionalFix rewrites "x.f.orValue(d)" as " (x.?f.orValue(d))", or "".
func optionalFix(part string) string {
	for _, fn := range []string{".orValue(", ".value(", ".hasValue("} {
		recv, rest, ok := strings.Cut(part, fn)
		if i := strings.LastIndexByte(recv, '.'); ok && i > 0 && !strings.HasPrefix(recv[i:], ".?") {
			return " (" + recv[:i] + ".?" + recv[i+1:] + fn + rest + ")"
		}
	}
	return ""
}

func operandType(args []string) string {
	if len(args) == 0 {
		return "value"
	}
	return args[0]
}
