package vap

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
)

// The API server defaults and validates policies and bindings when they are
// created; an invalid one never reaches the admission plugin. Offline, the
// same defaults are applied (transcribed from
// k8s.io/kubernetes/pkg/apis/admissionregistration/v1/defaults.go, v1.37.2)
// and the validation that matters for evaluation is repeated (from
// k8s.io/kubernetes/pkg/apis/admissionregistration/validation, v1.37.2): the
// structure the matcher relies on and the compilation of every CEL
// expression in the environment for new expressions, with the same error
// text. Invalid objects are reported and left out, as the API server would
// refuse them.

func defaultPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		fp := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &fp
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

func defaultBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	defaultMatchResources(b.Spec.MatchResources)
}

func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		mp := admissionregistrationv1.Equivalent
		m.MatchPolicy = &mp
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				s := admissionregistrationv1.AllScopes
				rules[i].Scope = &s
			}
		}
	}
}

var (
	// validationCompiler compiles without composition; a policy with
	// variables gets its own composited compiler, as upstream.
	validationCompiler = func() plugincel.Compiler { return plugincel.NewCompiler(compositionEnv()) }
	newlines           = regexp.MustCompile(`[\n\r]+`)
	celIdent           = regexp.MustCompile(`^[_a-zA-Z][_a-zA-Z0-9]*$`)
	celReserved        = []string{"true", "false", "null", "in", "as", "break", "const", "continue", "else",
		"for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}
)

func validatePolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	errs := apivalidation.ValidateObjectMeta(&p.ObjectMeta, false, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fld := &p.Spec, field.NewPath("spec")
	var compiler plugincel.Compiler
	getCompiler := func() plugincel.Compiler {
		if compiler == nil {
			compiler = validationCompiler()
			if len(spec.Variables) > 0 {
				if c, err := plugincel.NewCompositedCompiler(compositionEnv()); err == nil {
					compiler = c
				}
			}
		}
		return compiler
	}
	if fp := spec.FailurePolicy; fp == nil {
		errs = append(errs, field.Required(fld.Child("failurePolicy"), ""))
	} else if *fp != admissionregistrationv1.Fail && *fp != admissionregistrationv1.Ignore {
		errs = append(errs, field.NotSupported(fld.Child("failurePolicy"), *fp, []string{"Fail", "Ignore"}))
	}
	if pk := spec.ParamKind; pk != nil {
		if pk.APIVersion == "" {
			errs = append(errs, field.Required(fld.Child("paramKind", "apiVersion"), ""))
		} else if strings.Count(pk.APIVersion, "/") > 1 || strings.HasSuffix(pk.APIVersion, "/") {
			errs = append(errs, field.Invalid(fld.Child("paramKind", "apiVersion"), pk.APIVersion, "unexpected GroupVersion string"))
		}
		if pk.Kind == "" {
			errs = append(errs, field.Required(fld.Child("paramKind", "kind"), ""))
		}
	}
	if spec.MatchConstraints == nil {
		errs = append(errs, field.Required(fld.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, validateMatchResources(spec.MatchConstraints, fld.Child("matchConstraints"))...)
		if len(spec.MatchConstraints.ResourceRules) == 0 {
			errs = append(errs, field.Required(fld.Child("matchConstraints", "resourceRules"), ""))
		}
	}
	names := map[string]bool{}
	for i, mc := range spec.MatchConditions {
		path := fld.Child("matchConditions").Index(i)
		if strings.TrimSpace(mc.Expression) == "" {
			errs = append(errs, field.Required(path.Child("expression"), ""))
		} else {
			errs = append(errs, compileErrors(validationCompiler(), &matchconditions.MatchCondition{Expression: strings.TrimSpace(mc.Expression)},
				plugincel.OptionalVariableDeclarations{HasParams: spec.ParamKind != nil, HasAuthorizer: true}, path.Child("expression"))...)
		}
		if mc.Name == "" {
			errs = append(errs, field.Required(path.Child("name"), ""))
		} else {
			errs = append(errs, validateQualifiedName(mc.Name, path.Child("name"))...)
			if names[mc.Name] {
				errs = append(errs, field.Duplicate(path.Child("name"), mc.Name))
			}
			names[mc.Name] = true
		}
	}
	if len(spec.MatchConditions) > 64 {
		errs = append(errs, field.TooMany(fld.Child("matchConditions"), len(spec.MatchConditions), 64))
	}
	for i, v := range spec.Variables {
		path := fld.Child("variables").Index(i)
		if strings.TrimSpace(v.Name) == "" {
			errs = append(errs, field.Required(path.Child("name"), "name is not specified"))
		} else if !celIdent.MatchString(v.Name) || slices.Contains(celReserved, v.Name) {
			errs = append(errs, field.Invalid(path.Child("name"), v.Name, "must be a valid CEL identifier"))
		}
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(path.Child("expression"), "expression is not specified"))
		} else if c, ok := getCompiler().(*plugincel.CompositedCompiler); ok {
			variable := &validating.Variable{Name: v.Name, Expression: v.Expression}
			res := c.CompileAndStoreVariable(variable, plugincel.OptionalVariableDeclarations{HasParams: spec.ParamKind != nil, HasAuthorizer: true}, environment.NewExpressions)
			if res.Error != nil {
				errs = append(errs, celError(path.Child("expression"), variable, res.Error))
			}
		}
	}
	if len(spec.Validations) == 0 && len(spec.AuditAnnotations) == 0 {
		errs = append(errs,
			field.Required(fld.Child("validations"), "validations or auditAnnotations must contain at least one item"),
			field.Required(fld.Child("auditAnnotations"), "validations or auditAnnotations must contain at least one item"))
	}
	for i, v := range spec.Validations {
		path := fld.Child("validations").Index(i)
		if strings.TrimSpace(v.Expression) == "" {
			errs = append(errs, field.Required(path.Child("expression"), "expression is not specified"))
		} else {
			errs = append(errs, compileErrors(getCompiler(), &validating.ValidationCondition{Expression: v.Expression},
				plugincel.OptionalVariableDeclarations{HasParams: spec.ParamKind != nil, HasAuthorizer: true}, path.Child("expression"))...)
		}
		if v.MessageExpression != "" && strings.TrimSpace(v.MessageExpression) == "" {
			errs = append(errs, field.Invalid(path.Child("messageExpression"), v.MessageExpression, "must be non-empty if specified"))
		} else if strings.TrimSpace(v.MessageExpression) != "" {
			// Upstream declares params here only when the policy has a
			// paramKind (allowParamsInMatchConditions), and no authorizer.
			errs = append(errs, compileErrors(getCompiler(), &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression},
				plugincel.OptionalVariableDeclarations{HasParams: spec.ParamKind != nil}, path.Child("messageExpression"))...)
		}
		if msg := strings.TrimSpace(v.Message); v.Message != "" && msg == "" {
			errs = append(errs, field.Invalid(path.Child("message"), v.Message, "must be non-empty if specified"))
		} else if newlines.MatchString(msg) {
			errs = append(errs, field.Invalid(path.Child("message"), v.Message, "must not contain line breaks"))
		}
		if r := v.Reason; r != nil && *r != metav1.StatusReasonForbidden && *r != metav1.StatusReasonInvalid && *r != metav1.StatusReasonRequestEntityTooLarge {
			errs = append(errs, field.NotSupported(path.Child("reason"), *r, []string{"Forbidden", "Invalid", "RequestEntityTooLarge"}))
		}
	}
	keys := map[string]bool{}
	if len(spec.AuditAnnotations) > 20 {
		errs = append(errs, field.Invalid(fld.Child("auditAnnotations"), spec.AuditAnnotations, "must not have more than 20 auditAnnotations"))
	}
	for i, a := range spec.AuditAnnotations {
		path := fld.Child("auditAnnotations").Index(i)
		if p.Name != "" {
			errs = append(errs, validateQualifiedName(p.Name+"/"+a.Key, path.Child("key"))...)
		} else {
			errs = append(errs, field.Invalid(path.Child("key"), a.Key, "requires metadata.name be non-empty"))
		}
		switch expr := strings.TrimSpace(a.ValueExpression); {
		case expr == "":
			errs = append(errs, field.Required(path.Child("valueExpression"), "valueExpression is not specified"))
		case len(expr) > 5*1024:
			errs = append(errs, field.Required(path.Child("valueExpression"), fmt.Sprintf("must not exceed %d bytes in length", 5*1024)))
		default:
			res := getCompiler().CompileCELExpression(&validating.AuditAnnotationCondition{ValueExpression: expr},
				plugincel.OptionalVariableDeclarations{HasParams: spec.ParamKind != nil, HasAuthorizer: true}, environment.NewExpressions)
			if res.Error != nil {
				errs = append(errs, field.Invalid(path.Child("valueExpression"), a.ValueExpression, res.Error.Detail))
			}
		}
		if keys[a.Key] {
			errs = append(errs, field.Duplicate(path.Child("key"), a.Key))
		}
		keys[a.Key] = true
	}
	return errs
}

func validateQualifiedName(value string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range utilvalidation.IsQualifiedName(value) {
		errs = append(errs, field.Invalid(path, value, msg))
	}
	return errs
}

func compileErrors(c plugincel.Compiler, expr plugincel.ExpressionAccessor, vars plugincel.OptionalVariableDeclarations, path *field.Path) field.ErrorList {
	if res := c.CompileCELExpression(expr, vars, environment.NewExpressions); res.Error != nil {
		return field.ErrorList{celError(path, expr, res.Error)}
	}
	return nil
}

func celError(path *field.Path, expr plugincel.ExpressionAccessor, err *apiservercel.Error) *field.Error {
	switch err.Type {
	case apiservercel.ErrorTypeRequired:
		return field.Required(path, err.Detail)
	case apiservercel.ErrorTypeInvalid:
		return field.Invalid(path, expr.GetExpression(), err.Detail)
	default:
		return field.InternalError(path, err)
	}
}

func validateMatchResources(m *admissionregistrationv1.MatchResources, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.MatchPolicy == nil {
		errs = append(errs, field.Required(fld.Child("matchPolicy"), ""))
	} else if *m.MatchPolicy != admissionregistrationv1.Exact && *m.MatchPolicy != admissionregistrationv1.Equivalent {
		errs = append(errs, field.NotSupported(fld.Child("matchPolicy"), *m.MatchPolicy, []string{"Equivalent", "Exact"}))
	}
	for _, x := range []struct {
		name string
		sel  *metav1.LabelSelector
	}{{"namespaceSelector", m.NamespaceSelector}, {"objectSelector", m.ObjectSelector}} {
		name, sel := x.name, x.sel
		if sel == nil {
			errs = append(errs, field.Required(fld.Child(name), ""))
		} else {
			errs = append(errs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, fld.Child(name))...)
		}
	}
	for i := range m.ResourceRules {
		errs = append(errs, validateRule(&m.ResourceRules[i], fld.Child("resourceRules").Index(i))...)
	}
	for i := range m.ExcludeResourceRules {
		errs = append(errs, validateRule(&m.ExcludeResourceRules[i], fld.Child("excludeResourceRules").Index(i))...)
	}
	return errs
}

func validateRule(r *admissionregistrationv1.NamedRuleWithOperations, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(r.Operations) == 0 {
		errs = append(errs, field.Required(fld.Child("operations"), ""))
	}
	for i, op := range r.Operations {
		switch op {
		case admissionregistrationv1.OperationAll, admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete, admissionregistrationv1.Connect:
		default:
			errs = append(errs, field.NotSupported(fld.Child("operations").Index(i), op, []string{"*", "CONNECT", "CREATE", "DELETE", "UPDATE"}))
		}
	}
	if len(r.APIGroups) == 0 {
		errs = append(errs, field.Required(fld.Child("apiGroups"), ""))
	}
	if len(r.APIVersions) == 0 {
		errs = append(errs, field.Required(fld.Child("apiVersions"), ""))
	}
	if len(r.Resources) == 0 {
		errs = append(errs, field.Required(fld.Child("resources"), ""))
	}
	if s := r.Scope; s != nil && *s != admissionregistrationv1.AllScopes && *s != admissionregistrationv1.ClusterScope && *s != admissionregistrationv1.NamespacedScope {
		errs = append(errs, field.NotSupported(fld.Child("scope"), *s, []string{"*", "Cluster", "Namespaced"}))
	}
	return errs
}

func validateBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	errs := apivalidation.ValidateObjectMeta(&b.ObjectMeta, false, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	spec, fld := &b.Spec, field.NewPath("spec")
	if spec.PolicyName == "" {
		errs = append(errs, field.Required(fld.Child("policyName"), ""))
	} else {
		for _, msg := range apivalidation.NameIsDNSSubdomain(spec.PolicyName, false) {
			errs = append(errs, field.Invalid(fld.Child("policyName"), spec.PolicyName, msg))
		}
	}
	if pr := spec.ParamRef; pr != nil {
		path := fld.Child("paramRef")
		if pr.Name != "" {
			for _, msg := range content.IsPathSegmentName(pr.Name) {
				errs = append(errs, field.Invalid(path.Child("name"), pr.Name, msg))
			}
			if pr.Selector != nil {
				errs = append(errs, field.Forbidden(path.Child("name"), `name and selector are mutually exclusive`))
			}
		}
		if pr.Selector != nil {
			errs = append(errs, metav1validation.ValidateLabelSelector(pr.Selector, metav1validation.LabelSelectorValidationOptions{}, path.Child("selector"))...)
			if pr.Name != "" {
				errs = append(errs, field.Forbidden(path.Child("selector"), `name and selector are mutually exclusive`))
			}
		}
		if pr.Name == "" && pr.Selector == nil {
			errs = append(errs, field.Required(path, `one of name or selector must be specified`))
		}
		if a := pr.ParameterNotFoundAction; a == nil || *a == "" {
			errs = append(errs, field.Required(path.Child("parameterNotFoundAction"), ""))
		} else if *a != admissionregistrationv1.DenyAction && *a != admissionregistrationv1.AllowAction {
			errs = append(errs, field.NotSupported(path.Child("parameterNotFoundAction"), *a, []string{"Deny", "Allow"}))
		}
	}
	if spec.MatchResources != nil {
		errs = append(errs, validateMatchResources(spec.MatchResources, fld.Child("matchResources"))...)
	}
	seen := map[admissionregistrationv1.ValidationAction]bool{}
	path := fld.Child("validationActions")
	for i, a := range spec.ValidationActions {
		if a != admissionregistrationv1.Deny && a != admissionregistrationv1.Warn && a != admissionregistrationv1.Audit {
			errs = append(errs, field.NotSupported(path.Index(i), a, []string{"Audit", "Deny", "Warn"}))
		}
		if seen[a] {
			errs = append(errs, field.Duplicate(path.Index(i), a))
		}
		seen[a] = true
	}
	if seen[admissionregistrationv1.Deny] && seen[admissionregistrationv1.Warn] {
		errs = append(errs, field.Invalid(path, spec.ValidationActions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if len(seen) == 0 {
		errs = append(errs, field.Required(path, "at least one validation action is required"))
	}
	return errs
}
