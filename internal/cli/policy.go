package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/policy/policytest"
	"github.com/kubeward/kubeward/internal/policy/vap"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
)

func newPolicyCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test ValidatingAdmissionPolicies offline",
		Long: `Evaluate ValidatingAdmissionPolicies and their bindings against manifests, offline,
with the API server's own admission plugin code. See docs/policy.md.`,
	}
	cmd.AddCommand(newPolicyTestCmd(s))
	return cmd
}

type policyTestFlags struct {
	files     []string
	input     inputFlags
	cases     []string
	out       outputFlag
	junit     string
	namespace string
	user      string
	groups    []string
	all       bool
	asWritten bool
}

func newPolicyTestCmd(s Streams) *cobra.Command {
	f := &policyTestFlags{}
	cmd := &cobra.Command{
		Use:   "test -f POLICIES... [--cases CASES.yaml]... [MANIFESTS...]",
		Short: "Decide, as the API server would, whether manifests are admitted",
		Long: `Evaluate ValidatingAdmissionPolicies and ValidatingAdmissionPolicyBindings
(admissionregistration.k8s.io/v1) offline, with the API server's own admission
plugin packages: matchConstraints and binding matchResources, namespace and
object selectors, matchConditions, params (paramKind/paramRef, from the inputs),
variables, validations with message and messageExpression, auditAnnotations,
validationActions (Deny, Warn, Audit) and failurePolicy, with the API server's
CEL cost limits.

-f names the policies and bindings, and any params, Namespaces and
CustomResourceDefinitions they need (these may also be among the manifests).
Both are read as scan reads its paths, charts and overlays included, with the
same rendering flags (docs/input.md).
Each object of MANIFESTS is evaluated as a CREATE request. With --cases, each
case of a PolicyTest file is run and checked against its expected decision:
admit, warn, deny (a validation evaluated to false) or error (an expression
failed at run time under failurePolicy Fail; the failure names the part that
failed and the likely cause). A case can take every object of a file (select:
all, or a glob such as Pod/*). A case that depends on a policy or binding the
API server would refuse is an error, never a pass.

Objects are evaluated as the API server hands them to policies: after the
defaulting of their API version (the API server's own defaulters) and, for a
new object, what a default kube-apiserver's create path adds (a pod's service
account, token volume, tolerations and priority; volume protection
finalizers). --as-written evaluates them as written instead. Custom resources
are evaluated as written (their CRD's schema defaults are not applied); see
docs/policy.md.

Exit codes: 0 every object admitted and every case passed, 1 an object denied
or a case failed, 2 usage or input error (including a policy or binding the
API server would refuse).`,
		Example: `  kubeward policy test -f policies/ deploy/
  kubeward policy test -f policies/ --cases policies/tests.yaml -o table -o junit=policy-tests.xml
  helm template web ./chart | kubeward policy test -f policies/ -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), s, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "policies, bindings, params, Namespaces and CRDs: files, directories, charts or overlays (repeatable)")
	fl.StringArrayVar(&f.cases, "cases", nil, "PolicyTest file of cases to run (repeatable)")
	f.out.register(cmd, []string{"table", "json", "junit"}, "table", "junit reports the cases")
	fl.StringVar(&f.junit, "junit", "", "write the cases' results as JUnit XML to this file (the same as -o junit=FILE, with the table on standard output unless -o says otherwise)")
	fl.StringVarP(&f.namespace, "namespace", "n", "default", "namespace of namespaced objects that name none")
	fl.StringVar(&f.user, "user", vap.DefaultUser.Name, "user name of the requests")
	fl.StringArrayVar(&f.groups, "group", nil, "group of the requests' user (repeatable; default system:authenticated)")
	fl.BoolVar(&f.all, "all", false, "also list objects no binding applies to")
	fl.BoolVar(&f.asWritten, "as-written", false, "evaluate objects as written, without the API server's defaulting and the mutating admission of a default kube-apiserver")
	f.input.register(cmd)
	return cmd
}

// policyReport is the JSON output.
type policyReport struct {
	Problems []diag.Problem `json:"problems"`
	Notes    []string       `json:"notes,omitempty"`
	Policies []vap.Policy   `json:"policies"`
	Objects  []objectReport `json:"objects"`
	Cases    []caseReport   `json:"cases,omitempty"`
	Summary  policySummary  `json:"summary"`
}

type objectReport struct {
	Source inventory.Source `json:"source"`
	*vap.Result
	Error string `json:"error,omitempty"`
}

type caseReport struct {
	File     string      `json:"file"`
	Line     int         `json:"line"`
	Name     string      `json:"name"`
	Expect   string      `json:"expect"`
	Passed   bool        `json:"passed"`
	Failures []string    `json:"failures,omitempty"`
	Error    string      `json:"error,omitempty"`
	Result   *vap.Result `json:"result,omitempty"`
}

type policySummary struct {
	Objects       int `json:"objects"`
	Denied        int `json:"denied"`
	Warned        int `json:"warned"`
	Admitted      int `json:"admitted"`
	NotApplicable int `json:"notApplicable"`
	NotEvaluated  int `json:"notEvaluated,omitempty"`
	Cases         int `json:"cases"`
	Failed        int `json:"failed"`
	Errors        int `json:"errors,omitempty"`
}

func (f *policyTestFlags) run(ctx context.Context, s Streams, manifests []string) error {
	if f.junit != "" {
		if len(f.out.specs) == 0 {
			f.out.specs = []string{"table"}
		}
		f.out.specs = append(f.out.specs, "junit="+f.junit)
	}
	if err := f.out.parse("table"); err != nil {
		return err
	}
	junit := false
	for _, o := range f.out.outs {
		junit = junit || o.format == "junit"
	}
	if len(f.files) == 0 {
		return usageErr("name the policies and bindings with -f PATH")
	}
	if len(f.cases) == 0 && len(manifests) == 0 {
		return usageErr("name manifests to evaluate, or cases with --cases FILE")
	}
	if junit && len(f.cases) == 0 {
		return usageErr("JUnit output reports cases; name them with --cases FILE")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := loader.Check(append(append([]string(nil), f.files...), manifests...)); err != nil {
		return usageErr("%v", err)
	}
	found, err := loadConfig(s.Err, f.input.configPath)
	if err != nil {
		return err
	}
	l, err := f.input.loader(s, found)
	if err != nil {
		return err
	}
	log := &diag.Log{}
	policyObjs, err := loadAllObjects(l, f.files, nil, log)
	if err != nil {
		return loadError(s.Err, log, err)
	}
	reads := vap.Reads(policyObjs)
	manifestObjs, err := loadAllObjects(l, manifests, reads, log)
	if err != nil {
		return loadError(s.Err, log, err)
	}
	set := vap.New(policyObjs, vap.Options{DefaultNamespace: f.namespace, Cluster: manifestObjs, AsWritten: f.asWritten,
		Authorizer: vap.RBACAuthorizer(rbacModel(policyObjs, manifestObjs))})
	rep := &policyReport{Problems: append(log.Problems(), set.Problems()...), Notes: set.Notes(), Policies: set.Policies()}
	if len(rep.Policies) == 0 && len(set.Problems()) == 0 {
		rep.Problems = append(rep.Problems, diag.Problem{Level: diag.Error, Message: "no ValidatingAdmissionPolicy with a binding in the inputs"})
	}
	var suites []policytest.SuiteOutcome
	for _, path := range f.cases {
		suite, err := policytest.Load(path)
		if err != nil {
			return usageErr("%v", err)
		}
		suites = append(suites, policytest.SuiteOutcome{Suite: suite, Outcomes: policytest.Run(ctx, set, suite)})
	}
	u := &user.DefaultInfo{Name: f.user, Groups: f.groups}
	if len(u.Groups) == 0 {
		u.Groups = vap.DefaultUser.Groups
	}
	for _, o := range manifestObjs {
		rep.Summary.Objects++
		or := objectReport{Source: o.Source}
		if !reads(o.GroupKind()) {
			// No policy can match its kind: read for its metadata only.
			or.Result = &vap.Result{Object: o.Ref, Allowed: true}
			rep.count(or.Result)
			rep.Objects = append(rep.Objects, or)
			continue
		}
		res, err := set.Evaluate(ctx, vap.Request{Object: o, User: u})
		if err != nil {
			// The decoder has said why (an API version kubeward does not
			// know, which the API server may not serve either).
			or.Result, or.Error = &vap.Result{Object: o.Ref, Allowed: true}, err.Error()
			rep.Problems = append(rep.Problems, diag.Problem{Level: diag.Warning, File: o.Source.File, Line: o.Source.Line, Object: o.Ref.String(), Message: "not evaluated: " + err.Error()})
			rep.Summary.NotEvaluated++
		} else {
			or.Result = res
		}
		if err == nil {
			rep.count(or.Result)
		}
		rep.Objects = append(rep.Objects, or)
	}
	for _, so := range suites {
		for _, o := range so.Outcomes {
			rep.Cases = append(rep.Cases, caseReport{File: so.Suite.File, Line: o.Case.Line, Name: o.Case.Name, Expect: o.Case.Expect,
				Passed: o.Passed(), Failures: o.Failures, Error: o.Error, Result: o.Result})
			rep.Summary.Cases++
			switch {
			case o.Error != "":
				rep.Summary.Errors++
			case !o.Passed():
				rep.Summary.Failed++
			}
		}
	}
	rep.Notes = append(rep.Notes, assumedNamespaceNotes(rep)...)
	if rep.Problems == nil {
		rep.Problems = []diag.Problem{}
	}
	err = f.out.write(s, func(format string, w io.Writer) error {
		switch format {
		case "json":
			return writeJSON(w, rep)
		case "junit":
			return policytest.WriteJUnit(w, suites)
		}
		return rep.table(w, s.Err, f.all)
	})
	if err != nil {
		return err
	}
	return rep.gate()
}

// assumedNamespaceNotes says once per run, not per object or case, which
// namespaces were assumed to exist.
func assumedNamespaceNotes(r *policyReport) []string {
	seen := map[string]bool{}
	var out []string
	add := func(res *vap.Result) {
		if res == nil {
			return
		}
		for _, ns := range res.AssumedNamespaces {
			if !seen[ns] {
				seen[ns] = true
				out = append(out, vap.AssumedNamespaceNote(ns))
			}
		}
	}
	for _, o := range r.Objects {
		add(o.Result)
	}
	for _, c := range r.Cases {
		add(c.Result)
	}
	sort.Strings(out)
	return out
}

func (r *policyReport) count(res *vap.Result) {
	switch {
	case !res.Allowed:
		r.Summary.Denied++
	case len(res.Warnings) > 0:
		r.Summary.Warned++
	case !res.Applicable():
		r.Summary.NotApplicable++
	default:
		r.Summary.Admitted++
	}
}

func (r *policyReport) gate() error {
	errs := 0
	for _, p := range r.Problems {
		if p.Level == diag.Error {
			errs++
		}
	}
	switch {
	case errs > 0 || r.Summary.Errors > 0:
		return &exitError{code: ExitError, err: fmt.Errorf("%d input error(s), %d case(s) not evaluated", errs, r.Summary.Errors)}
	case r.Summary.Failed > 0:
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d of %d case(s) failed", r.Summary.Failed, r.Summary.Cases)}
	case r.Summary.Denied > 0:
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d object(s) would be denied", r.Summary.Denied)}
	}
	return nil
}

func (r *policyReport) table(out, errw io.Writer, all bool) error {
	w := &errWriter{w: out}
	for _, p := range r.Problems {
		fmt.Fprintf(errw, "%s\n", p)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(errw, "note: %s\n", n)
	}
	for _, o := range r.Objects {
		res := o.Result
		where := report.ObjectWhere(o.Source)
		if where != "" {
			where += " "
		}
		switch {
		case o.Error != "":
			w.printf("%s%s  NOT EVALUATED  %s\n", where, res.Object, o.Error)
			continue
		case !res.Allowed:
			w.printf("%s%s  DENIED\n    %s\n", where, res.Object, res.Message)
		case len(res.Warnings) > 0:
			w.printf("%s%s  ADMITTED with %d warning(s)\n", where, res.Object, len(res.Warnings))
		case res.Applicable():
			w.printf("%s%s  ADMITTED\n", where, res.Object)
		default:
			if all {
				w.printf("%s%s  not applicable\n", where, res.Object)
				writeNotes(w, res.Notes)
			}
			continue
		}
		for _, warn := range res.Warnings {
			w.printf("    warning: %s\n", warn)
		}
		writeBindings(w, res)
		writeNotes(w, res.Notes)
	}
	if len(r.Objects) > 0 {
		sm := r.Summary
		w.printf("\n%d object(s): %d denied, %d admitted with warnings, %d admitted, %d not applicable",
			sm.Objects, sm.Denied, sm.Warned, sm.Admitted, sm.NotApplicable)
		if sm.NotEvaluated > 0 {
			w.printf(", %d not evaluated", sm.NotEvaluated)
		}
		w.printf("\n")
	}
	file := ""
	for _, c := range r.Cases {
		if c.File != file {
			file = c.File
			w.printf("\n=== %s\n", file)
		}
		if c.Passed {
			w.printf("PASS  %s\n", c.Name)
			continue
		}
		if c.Error != "" {
			w.printf("ERROR %s (%s:%d)\n      %s\n", c.Name, c.File, c.Line, c.Error)
			continue
		}
		w.printf("FAIL  %s (%s:%d)\n", c.Name, c.File, c.Line)
		for _, fail := range c.Failures {
			w.printf("      %s\n", fail)
		}
		if c.Result != nil {
			writeBindings(w, c.Result)
		}
	}
	if sm := r.Summary; sm.Cases > 0 {
		w.printf("--- %d passed, %d failed", sm.Cases-sm.Failed-sm.Errors, sm.Failed)
		if sm.Errors > 0 {
			w.printf(", %d not evaluated (errors)", sm.Errors)
		}
		w.printf("\n")
	}
	return w.err
}

func writeBindings(w *errWriter, res *vap.Result) {
	for _, b := range res.Bindings {
		w.printf("    %s/%s [%s]  %s\n", b.Policy, b.Binding, strings.Join(b.Actions, ","), b.Outcome)
		for _, fl := range b.Failures {
			extra := ""
			if fl.Param != "" {
				extra = " (param " + fl.Param + ")"
			}
			if fl.Ignored {
				extra += " (error ignored: failurePolicy Ignore)"
			}
			w.printf("        %s%s\n", fl.Message, extra)
			if fl.Explanation != "" {
				w.printf("          %s\n", fl.Explanation)
			}
		}
		if len(b.Failures) == 0 && b.Outcome == vap.OutcomeDeny {
			w.printf("        %s\n", b.Message)
		}
	}
}

func writeNotes(w *errWriter, notes []string) {
	for _, n := range notes {
		w.printf("    note: %s\n", n)
	}
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// rbacModel is the RBAC of the inputs with the API server's bootstrap
// roles, for policies that ask the authorizer.
func rbacModel(sets ...[]*inventory.Object) *rbac.Model {
	inv := inventory.NewInventory()
	for _, objs := range sets {
		for _, o := range objs {
			inv.Add(o)
		}
	}
	inv.Sort()
	return rbacinv.Build(inv).Model
}

// loadAllObjects reads the objects of paths, the kinds reads accepts (nil:
// all) in full and others for their metadata; Secrets keep their values (a
// policy may read them; they are never printed).
func loadAllObjects(l *loader.Loader, paths []string, reads func(schema.GroupKind) bool, log *diag.Log) ([]*inventory.Object, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	batches := make([][]*inventory.Object, l.Workers())
	if _, err := l.Load(paths, reads, log, func(w int, o *inventory.Object) { batches[w] = append(batches[w], o) }); err != nil {
		return nil, err
	}
	var objs []*inventory.Object
	for _, b := range batches {
		objs = append(objs, b...)
	}
	inventory.SortObjects(objs)
	return objs, nil
}
