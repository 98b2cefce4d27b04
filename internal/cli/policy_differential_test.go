package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/policy/vap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// serverDecision is what the API server answered to one create.
type serverDecision struct {
	Allowed          bool
	Message          string
	Reason           string
	Code             int32
	Warnings         []string
	AuditAnnotations map[string]string
}

// TestPolicyTestMatchesAPIServer creates policies and bindings (params by
// name and selector, a CRD param, matchConditions, namespace and object
// selectors, variables, messageExpression, Deny, Warn and Audit actions,
// both failure policies, a cost-limit overrun, request.userInfo, the
// authorizer over RBAC objects) in a real API server, sends it the objects
// of testdata/vapdiff/subjects.yaml (then updates of three), and runs the
// same through `kubeward policy test` with cases built from the server's
// answers: the decision, message, reason, code, warnings and audit
// annotations must be identical. The probe-defaults subjects read fields
// the API server fills in before policies run; with --as-written they must
// decide otherwise, which proves the defaulting is what makes them agree.
func TestPolicyTestMatchesAPIServer(t *testing.T) {
	dir := filepath.Join("testdata", "vapdiff")
	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{"--audit-policy-file={{DIR}}/audit/policy.yaml", "--audit-log-path={{DIR}}/logs/audit.log"},
		Files:          map[string][]byte{"audit/policy.yaml": []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n")},
	})
	ctx := context.Background()
	k := newKube(t, c)

	// The cluster the policies run in, then the policies.
	env := docs(t, filepath.Join(dir, "env.yaml"))
	for _, o := range env {
		k.mustCreate(ctx, c.Config, o)
	}
	for _, ns := range []string{"prod", "dev", "staging"} {
		k.mustCreate(ctx, c.Config, obj(t, fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: %s}", ns)))
	}
	for _, o := range docs(t, filepath.Join(dir, "policies.yaml")) {
		k.mustCreate(ctx, c.Config, o)
	}

	subjects := docs(t, filepath.Join(dir, "subjects.yaml"))
	configFor := func(o *unstructured.Unstructured) *rest.Config {
		if u := o.GetAnnotations()["test.kubeward.dev/user"]; u != "" {
			return c.UserConfig(u, "dev")
		}
		return c.Config
	}
	round := func(dryRun bool) []serverDecision {
		out := make([]serverDecision, len(subjects))
		for i, o := range subjects {
			warnings, err := k.create(ctx, configFor(o), o, dryRun)
			d := serverDecision{Allowed: err == nil, Warnings: warnings}
			if err != nil {
				st, ok := err.(apierrors.APIStatus)
				if !ok {
					t.Fatalf("%s: %v", ref(o), err)
				}
				d.Message, d.Reason, d.Code = st.Status().Message, string(st.Status().Reason), st.Status().Code
			}
			out[i] = d
		}
		return out
	}
	// The policy source compiles policies a moment after they are created
	// and param informers start on first use: dry runs until two rounds
	// agree and none says the server is not ready.
	var prev []serverDecision
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur := round(true)
		settled := reflect.DeepEqual(cur, prev)
		for _, d := range cur {
			if strings.Contains(d.Message, "not yet") {
				settled = false
			}
		}
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the policies did not settle: %+v", cur)
		}
		prev = cur
		time.Sleep(time.Second)
	}
	server := round(false)
	annotations := k.auditAnnotations(t, c, subjects)
	for i, o := range subjects {
		server[i].AuditAnnotations = annotations[ref(o)]
	}

	// Updates of objects just created, through the same policies.
	type update struct {
		ref    string
		mutate func(*unstructured.Unstructured)
	}
	updates := []update{
		{"Deployment/prod/api-2", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(5), "spec", "replicas")
		}},
		{"Deployment/dev/api-9", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, int64(10), "spec", "replicas")
		}},
		{"Pod/prod/web-ok", func(u *unstructured.Unstructured) {
			cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "containers")
			cs[0].(map[string]any)["image"] = "nginx:latest"
			_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "containers")
		}},
	}
	type request struct {
		name      string
		obj, old  *unstructured.Unstructured
		operation string
		server    serverDecision
	}
	var requests []request
	for i, o := range subjects {
		requests = append(requests, request{name: ref(o), obj: o, operation: "CREATE", server: server[i]})
	}
	for _, u := range updates {
		var old *unstructured.Unstructured
		for _, o := range subjects {
			if ref(o) == u.ref {
				old = o
			}
		}
		if old == nil {
			t.Fatalf("no subject %s", u.ref)
		}
		warnings, err := k.update(ctx, c.Config, old, u.mutate)
		d := serverDecision{Allowed: err == nil, Warnings: warnings}
		if err != nil {
			st, ok := err.(apierrors.APIStatus)
			if !ok {
				t.Fatalf("update %s: %v", u.ref, err)
			}
			d.Message, d.Reason, d.Code = st.Status().Message, string(st.Status().Reason), st.Status().Code
		}
		changed := old.DeepCopy()
		u.mutate(changed)
		requests = append(requests, request{name: "update " + u.ref, obj: changed, old: old, operation: "UPDATE", server: d})
	}

	// The same through `kubeward policy test`: one case per request, with
	// the server's decision as the expectation.
	tmp := t.TempDir()
	var cases strings.Builder
	cases.WriteString("apiVersion: kubeward.dev/v1alpha1\nkind: PolicyTest\ncases:\n")
	writeObj := func(name string, o *unstructured.Unstructured) string {
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	for i, r := range requests {
		expect := "admit"
		switch {
		case !r.server.Allowed && strings.Contains(r.server.Message, "resulted in error:"):
			// The API server's message of an expression that failed to
			// evaluate under failurePolicy Fail.
			expect = "error"
		case !r.server.Allowed:
			expect = "deny"
		case len(r.server.Warnings) > 0:
			expect = "warn"
		}
		user := fmt.Sprintf("{name: %s, groups: [system:masters, system:authenticated]}", kubetest.AdminUser)
		if u := r.obj.GetAnnotations()["test.kubeward.dev/user"]; u != "" {
			user = fmt.Sprintf("{name: %s, groups: [dev, system:authenticated]}", u)
		}
		fmt.Fprintf(&cases, "- name: %q\n  file: %s\n  user: %s\n  expect: %s\n  operation: %s\n", r.name, writeObj(fmt.Sprintf("request-%d.yaml", i), r.obj), user, expect, r.operation)
		if r.old != nil {
			fmt.Fprintf(&cases, "  oldFile: %s\n", writeObj(fmt.Sprintf("request-%d-old.yaml", i), r.old))
		}
		if !r.server.Allowed {
			fmt.Fprintf(&cases, "  message: %q\n", r.server.Message)
		}
	}
	casesFile := filepath.Join(tmp, "cases.yaml")
	if err := os.WriteFile(casesFile, []byte(cases.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "policy", "test", "-f", filepath.Join(dir, "env.yaml"), "-f", filepath.Join(dir, "policies.yaml"), "--cases", casesFile, "-o", "json")
	var rep struct {
		Problems []json.RawMessage
		Cases    []struct {
			Name     string
			Passed   bool
			Failures []string
			Result   *vap.Result
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, stdout, stderr)
	}
	if len(rep.Problems) > 0 || len(rep.Cases) != len(requests) {
		t.Fatalf("problems %s, %d cases for %d requests\n%s", rep.Problems, len(rep.Cases), len(requests), stderr)
	}

	denied, warned, audited := 0, 0, 0
	for i, cr := range rep.Cases {
		s, got := requests[i].server, cr.Result
		if !cr.Passed {
			t.Errorf("%s: case failed: %v", cr.Name, cr.Failures)
		}
		offline := serverDecision{Allowed: got.Allowed, Message: got.Message, Reason: got.Reason, Code: got.Code,
			Warnings: sorted(got.Warnings), AuditAnnotations: got.AuditAnnotations}
		if len(offline.AuditAnnotations) == 0 {
			offline.AuditAnnotations = nil
		}
		s.Warnings = sorted(s.Warnings)
		if !reflect.DeepEqual(offline, s) {
			t.Errorf("%s:\n server   %+v\n kubeward %+v", cr.Name, s, offline)
		}
		if !s.Allowed {
			denied++
		}
		if len(s.Warnings) > 0 {
			warned++
		}
		if len(s.AuditAnnotations) > 0 {
			audited++
		}
	}
	// The comparison means something only if the fixture exercises each
	// kind of answer.
	if denied < 8 || warned < 1 || audited < 1 {
		t.Errorf("fixture too weak: %d denied, %d warned, %d with audit annotations", denied, warned, audited)
	}
	t.Logf("%d requests (%d creates, %d updates): %d denied, %d warned, %d with audit annotations: identical decisions", len(requests), len(subjects), len(updates), denied, warned, audited)

	// The probes read what the API server fills in: evaluated as written
	// they decide otherwise, so they are proof that the defaulting counts.
	code, stdout, stderr = runCLI(t, "policy", "test", "-f", filepath.Join(dir, "env.yaml"), "-f", filepath.Join(dir, "policies.yaml"), "--cases", casesFile, "-o", "json", "--as-written")
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--as-written: exit %d: %v\n%s", code, err, stderr)
	}
	var differ []string
	for _, cr := range rep.Cases {
		if !cr.Passed {
			differ = append(differ, cr.Name)
		}
	}
	sort.Strings(differ)
	if want := "Deployment/dev/probe-defaults Pod/dev/probe-defaults StorageClass/probe-defaults"; strings.Join(differ, " ") != want {
		t.Errorf("evaluated as written, the cases that differ from the API server are %q, want %q", differ, want)
	}
}

// TestPolicyTestRefusesWhatAPIServerRefuses sends policies and bindings the
// API server refuses to both.
func TestPolicyTestRefusesWhatAPIServerRefuses(t *testing.T) {
	c := kubetest.Start(t, kubetest.Options{})
	k := newKube(t, c)
	invalid := []string{`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: null-annotation}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  auditAnnotations:
  - {key: x, valueExpression: "has(object.spec.nodeName) ? string(object.spec.nodeName) : null"}`, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: bad-syntax}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "object.metadata.name.startsWith('a'"
  - expression: "params.x == 1"
    message: "two\nlines"`, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-rules}
spec:
  matchConstraints: {}
  validations: [{expression: "true"}]`, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: deny-and-warn}
spec:
  policyName: some-policy
  validationActions: [Deny, Warn]
  paramRef: {name: x, selector: {}}`}
	for _, y := range invalid {
		o := obj(t, y)
		_, err := k.create(context.Background(), c.Config, o, false)
		if !apierrors.IsInvalid(err) {
			t.Errorf("%s: the API server accepted it (%v)", ref(o), err)
			continue
		}
		set := vap.New(decodeForTest(t, y), vap.Options{})
		if len(set.Problems()) != 1 {
			t.Errorf("%s: kubeward problems %v, want the API server's refusal: %v", ref(o), set.Problems(), err)
			continue
		}
		got := strings.TrimPrefix(set.Problems()[0].Message, "the API server would refuse it: ")
		if got != err.Error() {
			t.Errorf("%s:\n server   %s\n kubeward %s", ref(o), err, got)
		}
	}
}

// kube creates objects of any kind through the dynamic client.
type kube struct {
	t      *testing.T
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKube(t *testing.T, c *kubetest.Cluster) *kube {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	return &kube{t: t, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

type warningRecorder struct {
	mu   sync.Mutex
	list []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	w.list = append(w.list, text)
	w.mu.Unlock()
}

// resource is the dynamic client for o's resource, as the identity of
// base, with a recorder of the response's warnings.
func (k *kube) resource(base *rest.Config, o *unstructured.Unstructured) (dynamic.ResourceInterface, *warningRecorder, error) {
	gvk := o.GroupVersionKind()
	var m *meta.RESTMapping
	var err error
	for try := 0; try < 60; try++ { // a CRD's kind is served a moment after it is created
		if m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err == nil {
			break
		}
		k.mapper.Reset()
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return nil, nil, err
	}
	rec := &warningRecorder{}
	cfg := rest.CopyConfig(base)
	cfg.WarningHandler = rec
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return dc.Resource(m.Resource).Namespace(o.GetNamespace()), rec, nil
	}
	return dc.Resource(m.Resource), rec, nil
}

func (k *kube) create(ctx context.Context, base *rest.Config, o *unstructured.Unstructured, dryRun bool) ([]string, error) {
	ri, rec, err := k.resource(base, o)
	if err != nil {
		return nil, err
	}
	opts := metav1.CreateOptions{}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Create(ctx, o.DeepCopy(), opts)
	return rec.list, err
}

// update changes a live object as mutate says, through the API server.
func (k *kube) update(ctx context.Context, base *rest.Config, o *unstructured.Unstructured, mutate func(*unstructured.Unstructured)) ([]string, error) {
	ri, rec, err := k.resource(base, o)
	if err != nil {
		return nil, err
	}
	live, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	mutate(live)
	_, err = ri.Update(ctx, live, metav1.UpdateOptions{})
	return rec.list, err
}

func (k *kube) mustCreate(ctx context.Context, cfg *rest.Config, o *unstructured.Unstructured) {
	k.t.Helper()
	if _, err := k.create(ctx, cfg, o, false); err != nil {
		k.t.Fatalf("create %s: %v", ref(o), err)
	}
}

// auditAnnotations reads the annotations policies added to the audit
// events of the (not dry-run) creates.
func (k *kube) auditAnnotations(t *testing.T, c *kubetest.Cluster, subjects []*unstructured.Unstructured) map[string]map[string]string {
	t.Helper()
	want := map[string]bool{}
	for _, o := range subjects {
		want[ref(o)] = true
	}
	type event struct {
		Verb        string
		Stage       string
		RequestURI  string
		ObjectRef   struct{ Resource, Namespace, Name, APIGroup string }
		Annotations map[string]string
	}
	out := map[string]map[string]string{}
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(filepath.Join(c.Dir, "logs", "audit.log"))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var e event
			if json.Unmarshal(sc.Bytes(), &e) != nil || e.Verb != "create" || e.Stage != "ResponseComplete" || strings.Contains(e.RequestURI, "dryRun") {
				continue
			}
			for _, o := range subjects {
				if k.resourceOf(o) != e.ObjectRef.Resource || o.GetNamespace() != e.ObjectRef.Namespace || o.GetName() != e.ObjectRef.Name {
					continue
				}
				seen[ref(o)] = true
				for key, v := range e.Annotations {
					// Only the annotations of admission policies.
					if strings.HasPrefix(key, "validation.policy.admission.k8s.io/") || strings.Contains(key, "/") && !strings.Contains(key, ".k8s.io/") && !strings.Contains(key, ".kubernetes.io/") {
						if out[ref(o)] == nil {
							out[ref(o)] = map[string]string{}
						}
						out[ref(o)][key] = v
					}
				}
			}
		}
		if len(seen) == len(want) || time.Now().After(deadline) {
			if len(seen) != len(want) {
				t.Fatalf("audit log has %d of the %d creates", len(seen), len(want))
			}
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (k *kube) resourceOf(o *unstructured.Unstructured) string {
	m, err := k.mapper.RESTMapping(o.GroupVersionKind().GroupKind(), o.GroupVersionKind().Version)
	if err != nil {
		return ""
	}
	return m.Resource.Resource
}

func ref(o *unstructured.Unstructured) string {
	if o.GetNamespace() != "" {
		return o.GetKind() + "/" + o.GetNamespace() + "/" + o.GetName()
	}
	return o.GetKind() + "/" + o.GetName()
}

// docs reads the objects of a multi-document YAML file.
func docs(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, d := range strings.Split(string(data), "\n---\n") {
		o := obj(t, d)
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		return nil
	}
	return &unstructured.Unstructured{Object: m}
}

func decodeForTest(t *testing.T, y string) []*inventory.Object {
	t.Helper()
	var out []*inventory.Object
	(&manifest.Decoder{Log: &diag.Log{}}).Decode(manifest.Input{Name: "test.yaml", Data: []byte(y)}, func(o *inventory.Object) { out = append(out, o) })
	return out
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
