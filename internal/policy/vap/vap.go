// Package vap evaluates ValidatingAdmissionPolicies and their bindings
// offline, against objects from manifests, with the API server's own
// admission plugin: the validating dispatcher, the policy and binding
// matcher (resource rules, namespace and object selectors, matchPolicy),
// param collection, the CEL compiler and evaluator with their cost limits,
// and the decision rules of failurePolicy and validationActions, all from
// k8s.io/apiserver. What the API server gets from its informers (policies,
// bindings, params, namespaces) comes from the inputs instead.
package vap

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kubeward/kubeward/internal/apidefaults"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/policy/redact"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/scheme"
)

// Options configure a Set.
type Options struct {
	// DefaultNamespace is the namespace of namespaced objects (and params)
	// that name none, as kubectl's context namespace; "" means "default".
	DefaultNamespace string
	// Authorizer answers the CEL authorizer variable; nil has no opinion on
	// anything (kubeward has no cluster to ask).
	Authorizer authorizer.UnconditionalAuthorizer
	// Now is the creation time given to objects; zero means time.Now.
	Now time.Time
	// Cluster are more objects the cluster holds besides the policies'
	// inputs: their params, Namespaces and CustomResourceDefinitions count,
	// their policies and bindings do not (objects under test that ship a
	// policy do not enforce it on themselves).
	Cluster []*inventory.Object
	// AsWritten evaluates objects as written, without the API server's
	// defaulting and the mutating admission of a default kube-apiserver
	// (package apidefaults), which are applied otherwise.
	AsWritten bool
}

// DefaultUser is the requester when a request names none: an ordinary
// authenticated user.
var DefaultUser = &user.DefaultInfo{Name: "kubeward-policy-test", Groups: []string{user.AllAuthenticated}}

// Set is a compiled set of policies and bindings with the objects they may
// read. It is safe for concurrent use.
type Set struct {
	hooks      []validating.PolicyHook
	kinds      *kinds
	namespaces map[string]*corev1.Namespace
	problems   []diag.Problem
	notes      []string
	defaultNS  string
	authz      authorizer.UnconditionalAuthorizer
	now        time.Time
	oi         admission.ObjectInterfaces
	secrets    *redact.Redactor // Secret values of the inputs
	refused    []Refusal
	asWritten  bool
	cluster    apidefaults.Options // service accounts and priority classes of the inputs
}

// Refusal is a policy or binding of the inputs that the API server would
// refuse to create: it takes no part in decisions, so no decision that it
// might change can be trusted.
type Refusal struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Policy is the policy it is or binds ("" when unknown: the object
	// could not be read at all).
	Policy  string `json:"policy,omitempty"`
	Message string `json:"message"`
}

// Policy names a policy and its bindings, for listings.
type Policy struct {
	Name     string   `json:"name"`
	Bindings []string `json:"bindings"`
}

// New reads the policies, bindings, params, Namespaces and
// CustomResourceDefinitions among objs (and the last three among
// opts.Cluster). Invalid policies and bindings are reported in Problems and
// left out, as the API server would refuse them.
func New(objs []*inventory.Object, opts Options) *Set {
	all := append(append([]*inventory.Object(nil), objs...), opts.Cluster...)
	s := &Set{
		kinds:      newKinds(all),
		namespaces: map[string]*corev1.Namespace{},
		defaultNS:  opts.DefaultNamespace,
		authz:      opts.Authorizer,
		now:        opts.Now,
		oi:         admission.NewObjectInterfacesFromScheme(scheme.Scheme),
		secrets:    (*redact.Redactor)(nil).With(all...),
		asWritten:  opts.AsWritten,
		cluster:    clusterOptions(all),
	}
	if s.defaultNS == "" {
		s.defaultNS = metav1.NamespaceDefault
	}
	if s.authz == nil {
		s.authz = noOpinion{}
	}
	policies := map[string]*admissionregistrationv1.ValidatingAdmissionPolicy{}
	invalid := map[string]bool{}
	bindings := map[string][]*admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	for i, o := range all {
		fromPolicies := i < len(objs)
		switch {
		case !fromPolicies && o.Kind != "Namespace":
		case o.Kind == "ValidatingAdmissionPolicy" && inventory.GroupOf(o.APIVersion) == admissionregistrationv1.GroupName:
			p := &admissionregistrationv1.ValidatingAdmissionPolicy{}
			if !s.convert(o, p) {
				s.refuse(o, o.Name, "it cannot be read")
				continue
			}
			defaultPolicy(p)
			if errs := validatePolicy(p); len(errs) > 0 {
				invalid[p.Name] = true
				err := apierrors.NewInvalid(schema.GroupKind{Group: admissionregistrationv1.GroupName, Kind: o.Kind}, p.Name, errs)
				s.invalid(o, err)
				s.refuse(o, p.Name, err.Error())
				continue
			}
			if _, dup := policies[p.Name]; dup {
				s.problem(o, diag.Warning, fmt.Sprintf("ValidatingAdmissionPolicy %q is defined twice; the later one is used", p.Name))
			}
			policies[p.Name] = p
		case o.Kind == "ValidatingAdmissionPolicyBinding" && inventory.GroupOf(o.APIVersion) == admissionregistrationv1.GroupName:
			b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
			if !s.convert(o, b) {
				s.refuse(o, "", "it cannot be read")
				continue
			}
			defaultBinding(b)
			if errs := validateBinding(b); len(errs) > 0 {
				err := apierrors.NewInvalid(schema.GroupKind{Group: admissionregistrationv1.GroupName, Kind: o.Kind}, b.Name, errs)
				s.invalid(o, err)
				s.refuse(o, b.Spec.PolicyName, err.Error())
				continue
			}
			bindings[b.Spec.PolicyName] = append(bindings[b.Spec.PolicyName], b)
		case o.Kind == "Namespace" && o.APIVersion == "v1":
			s.namespaces[o.Name] = namespaceObject(o.Name, o.Meta.Labels)
		}
	}
	var names []string
	for name := range policies {
		names = append(names, name)
	}
	sort.Strings(names)
	for name, bs := range bindings {
		if policies[name] == nil && !invalid[name] {
			for _, b := range bs {
				s.notes = append(s.notes, fmt.Sprintf("ValidatingAdmissionPolicyBinding %q binds policy %q, which is not in the inputs: it does nothing", b.Name, name))
			}
		}
	}
	sort.Strings(s.notes)
	for _, name := range names {
		p, bs := policies[name], bindings[name]
		if len(bs) == 0 {
			s.notes = append(s.notes, fmt.Sprintf("ValidatingAdmissionPolicy %q has no binding in the inputs: it applies to nothing", name))
			continue
		}
		sort.Slice(bs, func(i, j int) bool { return bs[i].Name < bs[j].Name })
		hook := validating.PolicyHook{Policy: p, Bindings: bs, Evaluator: recordingValidator{compilePolicy(p)}}
		if pk := p.Spec.ParamKind; pk != nil {
			gv, err := schema.ParseGroupVersion(pk.APIVersion)
			if err != nil {
				continue // the policy source leaves such a policy out
			}
			hook.ParamInformer, hook.ParamScope, hook.ConfigurationError = s.params(gv.WithKind(pk.Kind), all)
		}
		s.hooks = append(s.hooks, hook)
	}
	return s
}

// params builds the param informer the policy source would start. On error
// the informer is a nil interface, as the dispatcher tests it against nil.
func (s *Set) params(gvk schema.GroupVersionKind, objs []*inventory.Object) (informers.GenericInformer, meta.RESTScope, error) {
	info, ok := s.kinds.mapping(gvk)
	if !ok {
		// The policy source's message, word for word.
		return nil, nil, fmt.Errorf("failed to find resource referenced by paramKind: '%v'", gvk)
	}
	var scope meta.RESTScope = meta.RESTScopeRoot
	if info.namespaced {
		scope = meta.RESTScopeNamespace
	}
	store := newParamStore()
	for _, o := range objs {
		if o.GroupKind() != gvk.GroupKind() {
			continue
		}
		ns := ""
		if info.namespaced {
			ns = o.Namespace
			if ns == "" {
				ns = s.defaultNS
			}
		}
		p, perr := paramObject(o, gvk, ns)
		if perr == nil {
			perr = store.add(p)
		}
		if perr != nil {
			s.problem(o, diag.Warning, "not usable as a param: "+perr.Error())
		}
	}
	return store, scope, nil
}

func (s *Set) convert(o *inventory.Object, into runtime.Object) bool {
	var src any = o.Typed
	if o.Typed == nil {
		if o.Raw == nil {
			s.problem(o, diag.Error, "could not be decoded; left out")
			return false
		}
		src = o.Raw.Object
	}
	// v1beta1 and v1alpha1 have the fields of v1 under the same names.
	data, err := json.Marshal(src)
	if err == nil {
		err = json.Unmarshal(data, into)
	}
	if err != nil {
		s.problem(o, diag.Error, "cannot read: "+err.Error())
		return false
	}
	if o.APIVersion != admissionregistrationv1.SchemeGroupVersion.String() {
		s.notes = append(s.notes, fmt.Sprintf("%s is %s; it is evaluated as %s", o.Ref, o.APIVersion, admissionregistrationv1.SchemeGroupVersion))
	}
	return true
}

func (s *Set) refuse(o *inventory.Object, policy, msg string) {
	s.refused = append(s.refused, Refusal{Kind: o.Kind, Name: o.Name, Policy: policy, Message: msg})
}

// Refused lists the policies and bindings the API server would refuse, in
// input order.
func (s *Set) Refused() []Refusal { return s.refused }

// RefusedFor returns the refusals that make a decision on the given
// policies (all policies when none are named) untrustworthy: a refused
// policy among them, a refused binding of one, or an object that could not
// be read at all.
func (s *Set) RefusedFor(policies []string) []Refusal {
	var out []Refusal
	for _, r := range s.refused {
		if r.Policy == "" || len(policies) == 0 || contains(policies, r.Policy) {
			out = append(out, r)
		}
	}
	return out
}

func (s *Set) invalid(o *inventory.Object, err error) {
	s.problem(o, diag.Error, "the API server would refuse it: "+err.Error())
}

func (s *Set) problem(o *inventory.Object, level diag.Level, msg string) {
	s.problems = append(s.problems, diag.Problem{Level: level, File: o.Source.File, Line: o.Source.Line, Object: o.Ref.String(), Message: msg})
}

// Problems are the policies and bindings that could not be used, and
// objects that could not serve as params.
func (s *Set) Problems() []diag.Problem { return s.problems }

// Notes are assumptions and facts about the set worth telling: bindings
// without a policy, policies without a binding, converted versions.
func (s *Set) Notes() []string { return s.notes }

// Policies lists the policies in use and their bindings.
func (s *Set) Policies() []Policy {
	out := make([]Policy, 0, len(s.hooks))
	for _, h := range s.hooks {
		p := Policy{Name: h.Policy.Name}
		for _, b := range h.Bindings {
			p.Bindings = append(p.Bindings, b.Name)
		}
		out = append(out, p)
	}
	return out
}

// Request is one admission request.
type Request struct {
	// Object is the object of the request; for DELETE, the object deleted.
	Object *inventory.Object
	// OldObject is the object before an UPDATE.
	OldObject *inventory.Object
	// Operation is CREATE (the default), UPDATE or DELETE.
	Operation admission.Operation
	// User is the requester; nil means DefaultUser.
	User user.Info
	// Namespace overrides the object's namespace.
	Namespace string
	// NamespaceLabels, when not nil, are the labels of the request's
	// namespace (kubernetes.io/metadata.name is always added).
	NamespaceLabels map[string]string
	// Policies, when not empty, limits the evaluation to these policies.
	Policies []string
}

// Result is the API server's decision on a request, and why.
type Result struct {
	Object    inventory.Ref               `json:"object"`
	Resource  metav1.GroupVersionResource `json:"resource"`
	Operation admission.Operation         `json:"operation"`
	// Allowed is false when a binding with the Deny action denied it.
	Allowed bool `json:"allowed"`
	// Message is the error the API server returns on a denial, as kubectl
	// prints it after "Error from server (...)".
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    int32  `json:"code,omitempty"`
	// Warnings are the Warning headers of the response.
	Warnings []string `json:"warnings,omitempty"`
	// AuditAnnotations are what the audit event of the request would carry.
	AuditAnnotations map[string]string `json:"auditAnnotations,omitempty"`
	// Bindings are the bindings that apply to the request; none means no
	// policy applies.
	Bindings []BindingResult `json:"bindings,omitempty"`
	// Notes are assumptions made for this request.
	Notes []string `json:"notes,omitempty"`
	// AssumedNamespaces are namespaces the request looked up that are not
	// in the inputs: assumed to exist with only their name label (see
	// AssumedNamespaceNote). Runs of many requests say it once.
	AssumedNamespaces []string `json:"assumedNamespaces,omitempty"`
}

// AssumedNamespaceNote says what kubeward assumes of a namespace that is
// not in the inputs.
func AssumedNamespaceNote(ns string) string {
	return fmt.Sprintf("namespace %q is not in the inputs: assumed to exist with only the label %s=%s (give its Namespace object, or namespaceLabels in a case)",
		ns, corev1.LabelMetadataName, ns)
}

// Applicable reports whether some binding applies to the request.
func (r *Result) Applicable() bool { return len(r.Bindings) > 0 }

// Outcomes of one binding.
const (
	OutcomeDeny     = "deny"      // Deny action: the request is refused
	OutcomeWarn     = "warn"      // Warn action: a warning is returned
	OutcomeAudit    = "audit"     // Audit action only: recorded in the audit event
	OutcomeAdmit    = "admit"     // every validation passed
	OutcomeSkipped  = "skipped"   // matchConditions not met
	OutcomeNoParams = "no-params" // no param found, parameterNotFoundAction Allow
)

// BindingResult is the decision of one binding.
type BindingResult struct {
	Policy  string   `json:"policy"`
	Binding string   `json:"binding"`
	Actions []string `json:"validationActions"`
	Outcome string   `json:"outcome"`
	// Failures are the failed validations (and evaluation errors), per param.
	Failures []Failure `json:"failures,omitempty"`
	// Message is the API server's error when this binding alone denies.
	Message string `json:"message,omitempty"`
}

// Failure is one failed validation.
type Failure struct {
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
	// Param names the param object the validation ran with.
	Param string `json:"param,omitempty"`
	// Error is set when the expression could not be evaluated; with
	// failurePolicy Ignore the error does not count (Ignored).
	Error   bool `json:"error,omitempty"`
	Ignored bool `json:"ignored,omitempty"`
	// Explanation, for an evaluation error, names the part of the
	// expression that failed and the likely cause.
	Explanation string `json:"explanation,omitempty"`
}

// Evaluate decides one request. An error means the request could not be
// formed (an object that was not decoded).
func (s *Set) Evaluate(ctx context.Context, req Request) (*Result, error) {
	p, err := s.prepare(req)
	if err != nil {
		return nil, err
	}
	red := s.secrets.With(req.Object, req.OldObject)
	res := &Result{Object: p.ref, Resource: metav1.GroupVersionResource(p.attrs.GetResource()), Operation: p.attrs.GetOperation(), Allowed: true}
	if admissionConfigResource(p.attrs.GetResource().GroupResource()) {
		res.Notes = append(res.Notes, "the API server does not apply ValidatingAdmissionPolicies to admission policy objects")
		return res, nil
	}
	if !p.info.known {
		res.Notes = append(res.Notes, fmt.Sprintf("no CustomResourceDefinition for %s in the inputs: assumed resource %q, %s",
			p.attrs.GetKind().GroupKind(), p.attrs.GetResource().Resource, map[bool]string{true: "namespaced", false: "cluster-scoped"}[p.info.namespaced]))
	}
	nsl := &namespaces{known: s.namespaces, assumed: map[string]bool{}}
	if req.NamespaceLabels != nil && p.attrs.GetNamespace() != "" {
		nsl.override = namespaceObject(p.attrs.GetNamespace(), req.NamespaceLabels)
	}
	pm := generic.NewPolicyMatcher(matching.NewMatcher(nsl, namespaceClient{}))
	authz := &recordingAuthorizer{UnconditionalAuthorizer: s.authz}
	disp := validating.NewDispatcher(authz, pm)

	var (
		applicable []validating.PolicyHook
		last       dispatched
	)
	for _, h := range s.hooks {
		if len(req.Policies) > 0 && !contains(req.Policies, h.Policy.Name) {
			continue
		}
		ok, _, _, derr := pm.DefinitionMatches(p.attrs, s.oi, validating.NewValidatingAdmissionPolicyAccessor(h.Policy))
		if derr == nil && !ok {
			continue
		}
		for _, b := range h.Bindings {
			if derr == nil {
				// A matching error is a configuration error the dispatcher
				// reports: the binding applies.
				if ok, berr := pm.BindingMatches(p.attrs, s.oi, validating.NewValidatingAdmissionPolicyBindingAccessor(b)); berr == nil && !ok {
					continue
				}
			}
			one := h
			one.Bindings = []*admissionregistrationv1.ValidatingAdmissionPolicyBinding{b}
			applicable = append(applicable, one)
			var br BindingResult
			br, last = s.evaluateBinding(ctx, disp, p, one, red)
			res.Bindings = append(res.Bindings, br)
		}
	}
	switch len(applicable) {
	case 0:
	case 1:
		// The binding's own dispatch is the request's.
		res.setDecision(last, red)
	default:
		// The decision on the whole request comes from one dispatch over
		// every applicable binding, grouped by policy as the API server
		// groups them, so the first denial and the audit annotations are
		// formed as it forms them.
		res.setDecision(s.dispatch(ctx, disp, p, group(applicable)), red)
	}
	res.AssumedNamespaces = nsl.assumedNames()
	if authz.asked {
		res.Notes = append(res.Notes, "a policy asked the authorizer: "+authz.note())
	}
	return res, nil
}

func (r *Result) setDecision(d dispatched, red *redact.Redactor) {
	r.Warnings = red.Strings(d.warnings)
	r.AuditAnnotations = d.annotations
	for k, v := range r.AuditAnnotations {
		r.AuditAnnotations[k] = red.String(v)
	}
	if d.err == nil {
		return
	}
	r.Allowed = false
	r.Message = red.String(d.err.Error())
	var st apierrors.APIStatus
	if errors.As(d.err, &st) {
		r.Reason, r.Code = string(st.Status().Reason), st.Status().Code
	}
}

// group merges single-binding hooks of one policy back into one hook.
func group(hooks []validating.PolicyHook) []validating.PolicyHook {
	var out []validating.PolicyHook
	for _, h := range hooks {
		if n := len(out); n > 0 && out[n-1].Policy == h.Policy {
			out[n-1].Bindings = append(out[n-1].Bindings, h.Bindings...)
			continue
		}
		h.Bindings = append([]*admissionregistrationv1.ValidatingAdmissionPolicyBinding(nil), h.Bindings...)
		out = append(out, h)
	}
	return out
}

type dispatched struct {
	err         error
	warnings    []string
	annotations map[string]string
	calls       []validated
}

// dispatch runs the validating plugin's dispatcher on hooks, collecting
// what the API server would send back and record.
func (s *Set) dispatch(ctx context.Context, disp generic.Dispatcher[validating.PolicyHook], p *prepared, hooks []validating.PolicyHook) dispatched {
	rec := &recorder{}
	attrs := &annotatedAttributes{Attributes: p.attrs, annotations: map[string]string{}}
	ctx = warning.WithWarningRecorder(context.WithValue(ctx, recorderKey{}, rec), rec)
	err := disp.Dispatch(ctx, attrs, s.oi, hooks)
	return dispatched{err: err, warnings: rec.warnings, annotations: attrs.annotations, calls: rec.calls}
}

func (s *Set) evaluateBinding(ctx context.Context, disp generic.Dispatcher[validating.PolicyHook], p *prepared, hook validating.PolicyHook, red *redact.Redactor) (BindingResult, dispatched) {
	b := hook.Bindings[0]
	br := BindingResult{Policy: hook.Policy.Name, Binding: b.Name}
	for _, a := range b.Spec.ValidationActions {
		br.Actions = append(br.Actions, string(a))
	}
	d := s.dispatch(ctx, disp, p, []validating.PolicyHook{hook})
	denied, skipped := false, len(d.calls) > 0
	for i := range d.calls {
		c := &d.calls[i]
		if len(c.result.Decisions) > 0 {
			skipped = false
		}
		for _, dec := range c.result.Decisions {
			isErr := dec.Evaluation == validating.EvalError
			if dec.Action != validating.ActionDeny && !isErr {
				continue
			}
			denied = denied || dec.Action == validating.ActionDeny
			f := Failure{Message: red.String(dec.Message), Reason: string(dec.Reason), Param: c.param,
				Error: isErr, Ignored: dec.Action != validating.ActionDeny}
			if isErr {
				f.Explanation = red.String(explain(dec.Message, hook.Policy, c))
			}
			br.Failures = append(br.Failures, f)
		}
	}
	switch {
	case d.err != nil:
		br.Outcome, br.Message = OutcomeDeny, red.String(d.err.Error())
	case len(d.warnings) > 0:
		br.Outcome = OutcomeWarn
	case denied:
		br.Outcome = OutcomeAudit
	case len(d.calls) == 0:
		br.Outcome = OutcomeNoParams
	case skipped:
		br.Outcome = OutcomeSkipped
	default:
		br.Outcome = OutcomeAdmit
	}
	return br, d
}

// prepared is a request as the admission chain hands it to the plugin.
type prepared struct {
	attrs admission.Attributes
	ref   inventory.Ref
	info  kindInfo
}

func (s *Set) prepare(req Request) (*prepared, error) {
	if req.Object == nil {
		return nil, errors.New("no object")
	}
	op := req.Operation
	if op == "" {
		op = admission.Create
	}
	obj, err := objectOf(req.Object)
	if err != nil {
		return nil, err
	}
	var old runtime.Object
	if req.OldObject != nil {
		if old, err = objectOf(req.OldObject); err != nil {
			return nil, err
		}
	}
	gvk := schema.FromAPIVersionAndKind(req.Object.APIVersion, req.Object.Kind)
	info := s.kinds.lookup(gvk)
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	ns := ""
	if info.namespaced {
		ns = req.Namespace
		if ns == "" {
			ns = acc.GetNamespace()
		}
		if ns == "" {
			ns = s.defaultNS
		}
	}
	if acc.GetName() == "" && acc.GetGenerateName() != "" {
		// The API server names the object before admission.
		acc.SetName(acc.GetGenerateName() + "kwtst")
	}
	for _, o := range []runtime.Object{obj, old} {
		if o == nil {
			continue
		}
		a, _ := meta.Accessor(o)
		a.SetNamespace(ns)
		serverFields(a, s.now, ns)
		apidefaults.Convert(o)
		if !s.asWritten {
			// The new object of a CREATE, and every stored object (the
			// old one of an UPDATE, the one a DELETE removes), went
			// through defaulting and the create path's admission; the new
			// object of an UPDATE only through defaulting.
			created := op != admission.Update || o == old
			opts := s.cluster
			opts.TokenVolumeSuffix = tokenSuffix(ns, a.GetName())
			if err := apidefaults.Default(o, ns, created, opts); err != nil {
				return nil, err
			}
		}
	}
	attrNS := ns
	if gvk.GroupKind() == inventory.KindNamespace {
		// Requests on a namespace carry its own name as their namespace.
		attrNS = acc.GetName()
	}
	var options runtime.Object
	object, oldObject := obj, old
	switch op {
	case admission.Create:
		options = &metav1.CreateOptions{TypeMeta: metav1.TypeMeta{Kind: "CreateOptions", APIVersion: "meta.k8s.io/v1"}}
	case admission.Update:
		if old == nil {
			return nil, errors.New("an UPDATE needs the old object")
		}
		options = &metav1.UpdateOptions{TypeMeta: metav1.TypeMeta{Kind: "UpdateOptions", APIVersion: "meta.k8s.io/v1"}}
	case admission.Delete:
		object, oldObject = nil, obj
		options = &metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{Kind: "DeleteOptions", APIVersion: "meta.k8s.io/v1"}}
	default:
		return nil, fmt.Errorf("operation %q is not supported (want CREATE, UPDATE or DELETE)", op)
	}
	u := req.User
	if u == nil {
		u = DefaultUser
	}
	gvr := gvk.GroupVersion().WithResource(info.resource)
	attrs := admission.NewAttributesRecord(object, oldObject, gvk, attrNS, acc.GetName(), gvr, "", op, options, false, u)
	ref := req.Object.Ref
	ref.Namespace, ref.Name = ns, acc.GetName()
	return &prepared{attrs: attrs, ref: ref, info: info}, nil
}

// objectOf copies an input object as the request's runtime.Object.
func objectOf(o *inventory.Object) (runtime.Object, error) {
	switch {
	case o.Typed != nil:
		c := o.Typed.DeepCopyObject()
		c.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(o.APIVersion, o.Kind))
		return c, nil
	case o.Raw != nil:
		return o.Raw.DeepCopy(), nil
	}
	return nil, fmt.Errorf("%s: the object was not decoded (unknown API version, or an error in it)", o.Ref)
}

// serverFields are the metadata the API server sets before admission on a
// create (rest.BeforeCreate): a UID and the creation time. The UID is
// derived from the object's identity so results are stable.
func serverFields(a metav1.Object, now time.Time, ns string) {
	if a.GetUID() == "" {
		sum := sha1.Sum([]byte(ns + "/" + a.GetName()))
		sum[6] = sum[6]&0x0f | 0x50
		sum[8] = sum[8]&0x3f | 0x80
		a.SetUID(types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])))
	}
	if ts := a.GetCreationTimestamp(); ts.IsZero() {
		if now.IsZero() {
			now = time.Now()
		}
		a.SetCreationTimestamp(metav1.NewTime(now.UTC().Truncate(time.Second)))
	}
}

// clusterOptions are the service accounts and priority classes among the
// inputs, which the pod admission reads.
func clusterOptions(objs []*inventory.Object) apidefaults.Options {
	o := apidefaults.Options{ServiceAccounts: map[string]*corev1.ServiceAccount{}, PriorityClasses: map[string]*schedulingv1.PriorityClass{}}
	for _, obj := range objs {
		switch t := obj.Typed.(type) {
		case *corev1.ServiceAccount:
			ns := t.Namespace
			if ns == "" {
				ns = metav1.NamespaceDefault
			}
			o.ServiceAccounts[ns+"/"+t.Name] = t
		case *schedulingv1.PriorityClass:
			o.PriorityClasses[t.Name] = t
		}
	}
	return o
}

// tokenSuffix stands for the five random characters the API server gives
// a pod's token volume (kube-api-access-XXXXX), drawn from the same
// alphabet and derived from the pod's identity so results are stable.
func tokenSuffix(ns, name string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789" // k8s.io/apiserver/pkg/storage/names
	sum := sha1.Sum([]byte("token/" + ns + "/" + name))
	out := make([]byte, 5)
	for i := range out {
		out[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(out)
}

// admissionConfigResource lists the resources API-defined policies never
// apply to (generic.Plugin), to avoid circular dependencies.
func admissionConfigResource(gr schema.GroupResource) bool {
	if gr.Group != admissionregistrationv1.GroupName {
		return false
	}
	switch gr.Resource {
	case "validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// recorder collects, for one dispatch, the warnings and each call of a
// policy's validator with its result.
type recorder struct {
	warnings []string
	calls    []validated
}

type validated struct {
	param  string
	result validating.ValidateResult
	// What the call saw, to explain evaluation errors.
	resource  schema.GroupVersionResource
	attr      *admission.VersionedAttributes
	params    runtime.Object
	namespace *corev1.Namespace
	authz     authorizer.UnconditionalAuthorizer
}

func (r *recorder) AddWarning(_, text string) { r.warnings = append(r.warnings, text) }

type recorderKey struct{}

// recordingValidator hands each result of the policy's validator to the
// recorder of the dispatch, found in the context.
type recordingValidator struct{ validating.Validator }

func (v recordingValidator) Validate(ctx context.Context, res schema.GroupVersionResource, attr *admission.VersionedAttributes, params runtime.Object, ns *corev1.Namespace, budget int64, authz authorizer.UnconditionalAuthorizer) validating.ValidateResult {
	out := v.Validator.Validate(ctx, res, attr, params, ns, budget, authz)
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.calls = append(rec.calls, validated{param: paramName(params), result: out, resource: res, attr: attr, params: params, namespace: ns, authz: authz})
	}
	return out
}

func paramName(p runtime.Object) string {
	if p == nil {
		return ""
	}
	var m map[string]any
	switch x := p.(type) {
	case interface{ ToUnstructured() any }:
		m, _ = x.ToUnstructured().(map[string]any)
	case *unstructured.Unstructured:
		m = x.Object
	}
	u := unstructured.Unstructured{Object: m}
	if u.GetNamespace() != "" {
		return u.GetNamespace() + "/" + u.GetName()
	}
	return u.GetName()
}

// annotatedAttributes keeps the audit annotations a dispatch adds; several
// values for one key are joined as the dispatcher's collector joins them.
type annotatedAttributes struct {
	admission.Attributes
	annotations map[string]string
}

func (a *annotatedAttributes) AddAnnotation(key, value string) error {
	if old, ok := a.annotations[key]; ok && old != value {
		value = old + ", " + value
	}
	a.annotations[key] = value
	return nil
}

func (a *annotatedAttributes) AddAnnotationWithLevel(key, value string, _ auditinternal.Level) error {
	return a.AddAnnotation(key, value)
}

// noOpinion is the authorizer offline: it knows no permissions.
type noOpinion struct{}

func (noOpinion) Authorize(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
	return authorizer.DecisionNoOpinion, "kubeward evaluates offline and has no authorizer", nil
}

// recordingAuthorizer notes that a policy asked.
type recordingAuthorizer struct {
	authorizer.UnconditionalAuthorizer
	asked bool
}

func (r *recordingAuthorizer) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	r.asked = true
	return r.UnconditionalAuthorizer.Authorize(ctx, a)
}

func (r *recordingAuthorizer) note() string {
	switch r.UnconditionalAuthorizer.(type) {
	case noOpinion:
		return "offline it has no opinion, so every check is not allowed"
	case rbacAuthorizer:
		return "answered from the RBAC objects of the inputs and the bootstrap roles (the Node and webhook authorizers are not modelled)"
	}
	return "answered by the authorizer given"
}
