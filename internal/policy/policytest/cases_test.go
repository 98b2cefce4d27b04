package policytest

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/policy/vap"
	"k8s.io/apiserver/pkg/admission"
)

const head = "apiVersion: kubeward.dev/v1alpha1\nkind: PolicyTest\ncases:\n"

const inlinePod = `  object:
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: shop}
    spec: {containers: [{name: c, image: "web:latest"}]}
`

func files(m map[string]string) ReadFile {
	return func(name string) ([]byte, string, error) {
		if d, ok := m[name]; ok {
			return []byte(d), "dir/" + name, nil
		}
		return nil, "", os.ErrNotExist
	}
}

func TestParse(t *testing.T) {
	read := files(map[string]string{
		"one.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n",
		"two.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: x}\n",
	})
	s, err := Parse([]byte(head+`- name: inline
  expect: deny
  message: latest
`+inlinePod+`- name: from a file, as alice
  expect: admit
  file: one.yaml
  user: {name: alice, groups: [dev]}
  namespace: prod
  namespaceLabels: {env: prod}
  policies: [p]
- name: selected, deleted
  expect: warn
  operation: delete
  file: two.yaml
  select: Secret/x/a
  warnings: [w]
  auditAnnotations: {k: v}
- name: update
  expect: admit
  file: one.yaml
  oldFile: one.yaml
`), "cases.yaml", read)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) != 4 {
		t.Fatalf("%d cases", len(s.Cases))
	}
	c0, c1, c2, c3 := s.Cases[0], s.Cases[1], s.Cases[2], s.Cases[3]
	if c0.Line != 4 || c0.Expect != ExpectDeny || c0.Message != "latest" || c0.Object.Ref.String() != "Pod/shop/web" || c0.Operation != admission.Create || c0.Object.Source.File != "cases.yaml" {
		t.Errorf("case 0: %+v", c0)
	}
	if c1.User.GetName() != "alice" || c1.User.GetGroups()[0] != "dev" || c1.Namespace != "prod" || c1.NamespaceLabels["env"] != "prod" || c1.Policies[0] != "p" || c1.Object.Source.File != "dir/one.yaml" {
		t.Errorf("case 1: %+v", c1)
	}
	if c2.Operation != admission.Delete || c2.Object.Ref.String() != "Secret/x/a" || c2.Warnings[0] != "w" || c2.AuditAnnotations["k"] != "v" {
		t.Errorf("case 2: %+v", c2)
	}
	if c3.Operation != admission.Update || c3.OldObject == nil {
		t.Errorf("case 3: %+v", c3)
	}
}

func TestParseErrors(t *testing.T) {
	read := files(map[string]string{
		"two.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
		"bad.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: http}]}]}\n",
	})
	tests := []struct{ name, data, want string }{
		{"empty", "", "cases.yaml: empty file"},
		{"not a mapping", "[1, 2]", "cases.yaml:1: want a PolicyTest mapping"},
		{"wrong kind", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\ncases: []\n", "cases.yaml:1: want apiVersion kubeward.dev/v1alpha1 and kind PolicyTest"},
		{"no cases", "apiVersion: kubeward.dev/v1alpha1\nkind: PolicyTest\n", "cases.yaml:1: no cases"},
		{"unknown field", head + "- name: a\n  expect: admit\n  objet: {}\n", "cases.yaml:6: field objet not found"},
		{"syntax", head + "- name: [\n", "cases.yaml:4:"},
		{"no name", head + "- expect: admit\n" + inlinePod, "cases.yaml:4: case 1: name is required"},
		{"no expectation", head + "- name: a\n" + inlinePod, `cases.yaml:4: case 1: case "a": expect is required`},
		{"bad expectation", head + "- name: a\n  expect: allow\n" + inlinePod, `expect "allow" is not admit, deny, warn or error`},
		{"message with admit", head + "- name: a\n  expect: admit\n  message: x\n" + inlinePod, "message applies to deny, error and warn"},
		{"no object", head + "- name: a\n  expect: admit\n", "an object (inline) or a file is required"},
		{"object and file", head + "- name: a\n  expect: admit\n  file: two.yaml\n" + inlinePod, "not both"},
		{"object not a mapping", head + "- name: a\n  expect: admit\n  object: [x]\n", "line 6: the object must be a mapping"},
		{"two objects in a file", head + "- name: a\n  expect: admit\n  file: two.yaml\n", "file two.yaml holds 2 objects; name one with select"},
		{"select matches none", head + "- name: a\n  expect: admit\n  file: two.yaml\n  select: ConfigMap/c\n", `select "ConfigMap/c" matches 0 objects of two.yaml (it holds ConfigMap/a, ConfigMap/b)`},
		{"select without file", head + "- name: a\n  expect: admit\n  select: x\n", "select needs a file"},
		{"missing file", head + "- name: a\n  expect: admit\n  file: nope.yaml\n", "file nope.yaml: file does not exist"},
		{"bad object", head + "- name: a\n  expect: admit\n  file: bad.yaml\n", "dir/bad.yaml:4"},
		{"inline object without kind", head + "- name: a\n  expect: admit\n  object: {metadata: {name: x}}\n", "want one object, got 0 (an object needs apiVersion and kind)"},
		{"update without old", head + "- name: a\n  expect: admit\n  operation: UPDATE\n" + inlinePod, "UPDATE needs oldObject or oldFile"},
		{"old object on create", head + "- name: a\n  expect: admit\n  operation: CREATE\n  oldObject: {apiVersion: v1, kind: Pod, metadata: {name: p}}\n" + inlinePod, "oldObject is only for UPDATE"},
		{"bad operation", head + "- name: a\n  expect: admit\n  operation: PATCH\n" + inlinePod, `operation "PATCH" is not CREATE, UPDATE or DELETE`},
		{"user without name", head + "- name: a\n  expect: admit\n  user: {groups: [x]}\n" + inlinePod, "user.name is required"},
		{"duplicate name", head + "- name: a\n  expect: admit\n" + inlinePod + "- name: a\n  expect: admit\n" + inlinePod, `cases.yaml:11: case "a": the name is used by the case at line 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), "cases.yaml", read)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRunAndJUnit(t *testing.T) {
	set := policySet(t, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  validations: [{expression: "!object.spec.containers.exists(c, c.image.endsWith(':latest'))", message: no latest}]
  auditAnnotations: [{key: image, valueExpression: "string(object.spec.containers[0].image)"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: p}
spec: {policyName: p, validationActions: [Deny]}
`)
	s, err := Parse([]byte(head+"- name: denied\n  expect: deny\n  message: no latest\n  auditAnnotations: {p/image: latest}\n"+inlinePod+
		"- name: wrong\n  expect: admit\n  warnings: [nothing]\n"+inlinePod+
		"- name: warn expected\n  expect: warn\n"+inlinePod), "cases.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := Run(context.Background(), set, s)
	if !out[0].Passed() {
		t.Errorf("denied: %v", out[0].Failures)
	}
	if f := strings.Join(out[1].Failures, "; "); !strings.Contains(f, "want admit, got deny: pods \"web\" is forbidden") || !strings.Contains(f, `no warning contains "nothing"`) {
		t.Errorf("wrong: %v", out[1].Failures)
	}
	if f := strings.Join(out[2].Failures, "; "); !strings.Contains(f, "want warn, got deny") {
		t.Errorf("warn expected: %v", out[2].Failures)
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, []SuiteOutcome{{Suite: s, Outcomes: out}}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil || doc.Tests != 3 || doc.Failures != 2 || !strings.Contains(b.String(), `line="13"`) {
		t.Errorf("junit %v %+v\n%s", err, doc, b.String())
	}
}

func TestLoadReadsRelativeFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fixtures"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixtures", "pod.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cases.yaml")
	if err := os.WriteFile(path, []byte(head+"- name: a\n  expect: admit\n  file: fixtures/pod.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil || s.Cases[0].Object.Source.File != filepath.Join(dir, "fixtures", "pod.yaml") {
		t.Fatalf("%v %+v", err, s)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParse: any bytes give cases or an error naming the file, never a
// panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head + "- name: a\n  expect: deny\n  message: m\n" + inlinePod))
	f.Add([]byte(head + "- name: a\n  expect: admit\n  file: one.yaml\n  select: Pod/p\n  oldObject: {apiVersion: v1, kind: Pod, metadata: {name: p}}\n"))
	f.Add([]byte(head + "- name: a\n  expect: warn\n  operation: DELETE\n  user: {name: u, extra: {k: [v]}}\n  object: &a {apiVersion: v1, kind: List, items: [*a]}\n"))
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: PolicyTest\ncases: {}\n"))
	read := files(map[string]string{"one.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\n"})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "cases.yaml", read)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "cases.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, c := range s.Cases {
			if c.Name == "" || c.Object == nil || (c.Expect != ExpectAdmit && c.Expect != ExpectDeny && c.Expect != ExpectWarn) {
				t.Fatalf("accepted a case without name, object or expectation: %+v", c)
			}
		}
	})
}

// select: all and globs make one case per object of the file.
func TestParseSelectMany(t *testing.T) {
	read := files(map[string]string{
		"many.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n---\n" +
			"apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: prod}\nspec: {containers: [{name: c, image: x}]}\n---\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-cfg, namespace: shop}\n",
	})
	s, err := Parse([]byte(head+`- name: every object
  expect: admit
  file: many.yaml
  select: all
- name: pods
  expect: deny
  file: many.yaml
  select: Pod/*
- name: in shop
  expect: admit
  file: many.yaml
  select: "*/shop/*"
`), "cases.yaml", read)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Cases {
		got = append(got, c.Name+" -> "+c.Object.Ref.String()+" "+c.Expect)
	}
	want := []string{
		"every object [Pod/shop/web-1] -> Pod/shop/web-1 admit", "every object [Pod/prod/web-2] -> Pod/prod/web-2 admit",
		"every object [ConfigMap/shop/web-cfg] -> ConfigMap/shop/web-cfg admit",
		"pods [Pod/shop/web-1] -> Pod/shop/web-1 deny", "pods [Pod/prod/web-2] -> Pod/prod/web-2 deny",
		"in shop [Pod/shop/web-1] -> Pod/shop/web-1 admit", "in shop [ConfigMap/shop/web-cfg] -> ConfigMap/shop/web-cfg admit",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{
		"- name: none\n  expect: admit\n  file: many.yaml\n  select: Secret/*\n",
		"- name: update\n  expect: admit\n  file: many.yaml\n  select: all\n  oldFile: many.yaml\n",
		"- name: inline\n  expect: admit\n  select: all\n" + inlinePod,
	} {
		if _, err := Parse([]byte(head+bad), "cases.yaml", read); err == nil {
			t.Errorf("no error for:\n%s", bad)
		}
	}
}

// expect: deny means a validation evaluated to false; a denial by an
// expression that failed to evaluate (failurePolicy Fail) is expect: error.
func TestExpectDenyVersusError(t *testing.T) {
	set := policySet(t, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: p}
spec:
  failurePolicy: Fail
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  validations:
  - expression: "object.spec.containers.all(c, c.securityContext.runAsNonRoot)"
  - expression: "!object.spec.containers.exists(c, c.image.endsWith(':latest'))"
    message: no latest
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: p}
spec: {policyName: p, validationActions: [Deny]}
`)
	pinned := strings.Replace(inlinePod, "web:latest", "web:1", 1)
	s, err := Parse([]byte(head+
		"- name: deny expected, an error happened\n  expect: deny\n"+pinned+
		"- name: error expected, an error happened\n  expect: error\n  message: no such key\n"+pinned+
		"- name: error expected, a validation failed too\n  expect: error\n"+inlinePod+
		"- name: deny expected, a validation failed too\n  expect: deny\n"+inlinePod), "cases.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	out := Run(context.Background(), set, s)
	if f := strings.Join(out[0].Failures, "; "); !strings.Contains(f, "want deny by a validation, got deny by an expression error") {
		t.Errorf("deny expected: %v", out[0].Failures)
	}
	for i := 1; i < 4; i++ {
		if !out[i].Passed() {
			t.Errorf("%s: %v", out[i].Case.Name, out[i].Failures)
		}
	}
}

// policySet compiles the policies of a YAML stream, failing on problems.
func policySet(t *testing.T, yaml string) *vap.Set {
	t.Helper()
	var objs []*inventory.Object
	(&manifest.Decoder{Log: &diag.Log{}}).Decode(manifest.Input{Name: "p.yaml", Data: []byte(yaml)}, func(o *inventory.Object) { objs = append(objs, o) })
	set := vap.New(objs, vap.Options{})
	if len(set.Problems()) > 0 {
		t.Fatal(set.Problems())
	}
	return set
}
