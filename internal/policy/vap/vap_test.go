package vap

import (
	"context"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// policy builds a VAP and its binding from short fragments.
func policy(name, spec, binding string) string {
	return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ` + name + `}
spec:
` + indent(spec) + `
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ` + name + `}
spec:
  policyName: ` + name + `
` + indent(binding) + "\n---\n"
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return strings.Join(lines, "\n")
}

const podRules = `matchConstraints:
  resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE, DELETE], resources: [pods]}]`

func pod(ns, name, labels, image string) string {
	meta := "{name: " + name
	if ns != "" {
		meta += ", namespace: " + ns
	}
	if labels != "" {
		meta += ", labels: " + labels
	}
	return "apiVersion: v1\nkind: Pod\nmetadata: " + meta + "}\nspec: {containers: [{name: c, image: \"" + image + "\"}]}\n---\n"
}

type want struct {
	allowed  bool
	message  string   // substring of the denial
	warnings []string // substrings, one per warning
	outcomes string   // "binding=outcome ..." in order
	notes    []string // substrings
	assumed  string   // namespaces assumed, comma-separated
	audit    map[string]string
}

func TestEvaluate(t *testing.T) {
	latest := `validations: [{expression: "!object.spec.containers.exists(c, c.image.endsWith(':latest'))", message: "no latest"}]`
	tests := []struct {
		name   string
		inputs string
		object string // Kind/ns/name among inputs
		req    Request
		want   want
	}{{
		name:   "deny with the API server's message",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Deny]") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{message: `pods "web" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'p' denied request: no latest`, outcomes: "p=deny"},
	}, {
		name:   "admit",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Deny]") + pod("shop", "web", "", "web:1"),
		object: "Pod/shop/web",
		want:   want{allowed: true, outcomes: "p=admit", assumed: "shop"},
	}, {
		name:   "not applicable: other resource",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Deny]") + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n",
		object: "ConfigMap/shop/c",
		want:   want{allowed: true},
	}, {
		name:   "warn and audit actions do not deny",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Warn, Audit]") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want: want{allowed: true, warnings: []string{"Validation failed for ValidatingAdmissionPolicy 'p' with binding 'p': no latest"}, outcomes: "p=warn",
			audit: map[string]string{"validation.policy.admission.k8s.io/validation_failure": `"message":"no latest"`}},
	}, {
		name:   "audit only",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Audit]") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{allowed: true, outcomes: "p=audit", audit: map[string]string{"validation.policy.admission.k8s.io/validation_failure": `"validationActions":["Audit"]`}},
	}, {
		name: "namespace selector reads Namespace objects, with the automatic name label",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Deny]\nmatchResources: {namespaceSelector: {matchLabels: {env: prod}}}") +
			policy("q", podRules+"\n"+latest, "validationActions: [Warn]\nmatchResources: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}}") +
			"apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n---\n" + pod("prod", "web", "", "web:latest") + pod("dev", "web", "", "web:latest"),
		object: "Pod/dev/web",
		want:   want{allowed: true, warnings: []string{"'q'"}, outcomes: "q=warn"},
	}, {
		name:   "namespace labels of a request",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Deny]\nmatchResources: {namespaceSelector: {matchLabels: {env: prod}}}") + pod("elsewhere", "web", "", "web:latest"),
		object: "Pod/elsewhere/web",
		req:    Request{NamespaceLabels: map[string]string{"env": "prod"}},
		want:   want{message: "no latest", outcomes: "p=deny"},
	}, {
		name:   "object selector",
		inputs: policy("p", podRules+"\n"+latest, "validationActions: [Deny]\nmatchResources: {objectSelector: {matchLabels: {tier: web}}}") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{allowed: true},
	}, {
		name:   "excludeResourceRules",
		inputs: policy("p", podRules+"\n  excludeResourceRules: [{apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE], resources: [pods], resourceNames: [web]}]\n"+latest, "validationActions: [Deny]") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{allowed: true},
	}, {
		name:   "matchConditions not met",
		inputs: policy("p", podRules+"\nmatchConditions: [{name: labelled, expression: \"has(object.metadata.labels)\"}]\n"+latest, "validationActions: [Deny]") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{allowed: true, outcomes: "p=skipped"},
	}, {
		name: "variables and messageExpression",
		inputs: policy("p", podRules+`
variables: [{name: bad, expression: "object.spec.containers.filter(c, c.image.endsWith(':latest')).map(c, c.name)"}]
validations: [{expression: "size(variables.bad) == 0", messageExpression: "'latest in ' + variables.bad.join(',')", reason: Forbidden}]`, "validationActions: [Deny]") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{message: "denied request: latest in c", outcomes: "p=deny"},
	}, {
		name: "evaluation error with failurePolicy Fail denies, Ignore admits",
		inputs: policy("fail", podRules+"\nvalidations: [{expression: \"object.spec.nodeName == 'x'\"}]", "validationActions: [Deny]") +
			policy("ignore", "failurePolicy: Ignore\n"+podRules+"\nvalidations: [{expression: \"object.spec.hostname == 'x'\"}]", "validationActions: [Deny]") + pod("shop", "web", "", "web:1"),
		object: "Pod/shop/web",
		want:   want{message: "resulted in error: no such key: nodeName", outcomes: "fail=deny ignore=admit"},
	}, {
		name: "params by name in another namespace",
		inputs: policy("p", "paramKind: {apiVersion: v1, kind: ConfigMap}\n"+podRules+"\nvalidations: [{expression: \"!object.spec.containers.exists(c, c.image.startsWith(params.data.banned))\", messageExpression: \"'banned: ' + params.data.banned\"}]",
			"validationActions: [Deny]\nparamRef: {name: rules, namespace: policy, parameterNotFoundAction: Deny}") +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rules, namespace: policy}\ndata: {banned: evil/}\n---\n" + pod("shop", "web", "", "evil/web:1"),
		object: "Pod/shop/web",
		want:   want{message: "banned: evil/", outcomes: "p=deny"},
	}, {
		name: "params by selector in the request's namespace, each evaluated",
		inputs: policy("p", "paramKind: {apiVersion: v1, kind: ConfigMap}\n"+podRules+"\nvalidations: [{expression: \"!object.spec.containers.exists(c, c.image.startsWith(params.data.banned))\", messageExpression: \"'banned: ' + params.data.banned\"}]",
			"validationActions: [Warn]\nparamRef: {selector: {matchLabels: {rule: image}}, parameterNotFoundAction: Allow}") +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop, labels: {rule: image}}\ndata: {banned: evil/}\n---\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: shop, labels: {rule: image}}\ndata: {banned: bad/}\n---\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: other, labels: {rule: image}}\ndata: {banned: web}\n---\n" +
			pod("shop", "web", "", "evil/web:1"),
		object: "Pod/shop/web",
		want:   want{allowed: true, warnings: []string{"banned: evil/"}, outcomes: "p=warn"},
	}, {
		name: "no params: Allow",
		inputs: policy("p", "paramKind: {apiVersion: v1, kind: ConfigMap}\n"+podRules+"\n"+latest,
			"validationActions: [Deny]\nparamRef: {selector: {matchLabels: {rule: image}}, parameterNotFoundAction: Allow}") + pod("shop", "web", "", "web:latest"),
		object: "Pod/shop/web",
		want:   want{allowed: true, outcomes: "p=no-params"},
	}, {
		name: "no params: Deny",
		inputs: policy("p", "paramKind: {apiVersion: v1, kind: ConfigMap}\n"+podRules+"\n"+latest,
			"validationActions: [Deny]\nparamRef: {name: missing, parameterNotFoundAction: Deny}") + pod("shop", "web", "", "web:1"),
		object: "Pod/shop/web",
		want:   want{message: "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction", outcomes: "p=deny"},
	}, {
		name: "a paramKind that is not served",
		inputs: policy("p", "paramKind: {apiVersion: example.com/v1, kind: Rules}\n"+podRules+"\n"+latest,
			"validationActions: [Deny]\nparamRef: {name: x, parameterNotFoundAction: Allow}") + pod("shop", "web", "", "web:1"),
		object: "Pod/shop/web",
		want:   want{message: "failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Rules'", outcomes: "p=deny"},
	}, {
		name: "custom resource params and objects, from their CRD",
		inputs: policy("p", "paramKind: {apiVersion: example.com/v1, kind: Limit}\nmatchConstraints:\n  resourceRules: [{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgets]}]\nvalidations: [{expression: \"object.spec.size <= params.spec.max\", messageExpression: \"'size over ' + string(params.spec.max)\"}]",
			"validationActions: [Deny]\nparamRef: {name: global, parameterNotFoundAction: Deny}") +
			"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: limits.example.com}\nspec: {group: example.com, scope: Cluster, names: {kind: Limit, plural: limits}, versions: [{name: v1, served: true, storage: true}]}\n---\n" +
			"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Namespaced, names: {kind: Widget, plural: widgets}, versions: [{name: v1, served: true, storage: true}]}\n---\n" +
			"apiVersion: example.com/v1\nkind: Limit\nmetadata: {name: global}\nspec: {max: 3}\n---\n" +
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {size: 5}\n",
		object: "Widget/shop/w",
		want:   want{message: `widgets.example.com "w" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'p' denied request: size over 3`, outcomes: "p=deny"},
	}, {
		name:   "a custom resource without its CRD is assumed namespaced, plural guessed",
		inputs: policy("p", "matchConstraints:\n  resourceRules: [{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [gadgets]}]\nvalidations: [{expression: \"false\", message: never}]", "validationActions: [Deny]") + "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g, namespace: shop}\n",
		object: "Gadget/shop/g",
		want:   want{message: "never", outcomes: "p=deny", notes: []string{`no CustomResourceDefinition for Gadget.example.com in the inputs: assumed resource "gadgets", namespaced`}},
	}, {
		name: "request.userInfo and operation",
		inputs: policy("p", podRules+"\nvalidations: [{expression: \"request.userInfo.username != 'mallory' || request.operation != 'CREATE'\", messageExpression: \"request.userInfo.username + ' in ' + request.userInfo.groups.join(',')\"}]", "validationActions: [Deny]") +
			pod("shop", "web", "", "web:1"),
		object: "Pod/shop/web",
		req:    Request{User: &user.DefaultInfo{Name: "mallory", Groups: []string{"dev", "system:authenticated"}}},
		want:   want{message: "mallory in dev,system:authenticated", outcomes: "p=deny"},
	}, {
		name:   "DELETE sees the object as oldObject",
		inputs: policy("p", podRules+"\nvalidations: [{expression: \"request.operation != 'DELETE' || !has(oldObject.metadata.labels)\", messageExpression: \"'delete ' + oldObject.metadata.name\"}]", "validationActions: [Deny]") + pod("shop", "web", "{keep: yes}", "web:1"),
		object: "Pod/shop/web",
		req:    Request{Operation: admission.Delete},
		want:   want{message: "delete web", outcomes: "p=deny"},
	}, {
		name:   "the default namespace for objects that name none",
		inputs: policy("p", podRules+"\nvalidations: [{expression: \"request.namespace != 'default' && object.metadata.namespace != 'default'\", message: in default}]", "validationActions: [Deny]") + pod("", "web", "", "web:1"),
		object: "Pod/web",
		want:   want{message: `pods "web" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'p' denied request: in default`, outcomes: "p=deny"},
	}, {
		name: "a Namespace is matched by its own labels",
		inputs: policy("p", "matchConstraints:\n  resourceRules: [{apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE], resources: [namespaces]}]\nvalidations: [{expression: \"false\", message: no}]",
			"validationActions: [Deny]\nmatchResources: {namespaceSelector: {matchLabels: {env: prod}}}") + "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n",
		object: "Namespace/prod",
		want:   want{message: `namespaces "prod" is forbidden`, outcomes: "p=deny"},
	}, {
		name:   "policies do not apply to policy objects",
		inputs: policy("p", "matchConstraints:\n  resourceRules: [{apiGroups: [\"*\"], apiVersions: [\"*\"], operations: [\"*\"], resources: [\"*\"]}]\nvalidations: [{expression: \"false\"}]", "validationActions: [Deny]"),
		object: "ValidatingAdmissionPolicy/p",
		want:   want{allowed: true, notes: []string{"does not apply ValidatingAdmissionPolicies to admission policy objects"}},
	}, {
		name:   "the authorizer has no opinion offline, and says so",
		inputs: policy("p", podRules+"\nvalidations: [{expression: \"authorizer.group('').resource('secrets').namespace('shop').check('get').allowed()\", message: cannot read secrets}]", "validationActions: [Deny]") + pod("shop", "web", "", "web:1"),
		object: "Pod/shop/web",
		want:   want{message: "cannot read secrets", outcomes: "p=deny", notes: []string{"a policy asked the authorizer: offline it has no opinion"}},
	}, {
		name:   "Secret values never appear",
		inputs: policy("p", "matchConstraints:\n  resourceRules: [{apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE], resources: [secrets]}]\nvalidations: [{expression: \"false\", messageExpression: \"'data: ' + string(object.data.password)\"}]", "validationActions: [Warn]") + "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\nstringData: {password: hunter2-secret}\n",
		object: "Secret/shop/s",
		want:   want{allowed: true, warnings: []string{"data: [redacted]"}, outcomes: "p=warn"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := decode(t, tt.inputs)
			s := New(objs, Options{})
			for _, p := range s.Problems() {
				t.Errorf("problem: %s", p)
			}
			req := tt.req
			req.Object = find(t, objs, tt.object)
			res := evaluate(t, s, req)
			checkResult(t, res, tt.want)
		})
	}
}

func checkResult(t *testing.T, res *Result, w want) {
	t.Helper()
	if res.Allowed != w.allowed {
		t.Errorf("allowed = %v, want %v (message %q)", res.Allowed, w.allowed, res.Message)
	}
	if !strings.Contains(res.Message, w.message) || (w.message == "") != (res.Message == "") {
		t.Errorf("message %q, want %q", res.Message, w.message)
	}
	if len(res.Warnings) != len(w.warnings) {
		t.Errorf("warnings %q, want %q", res.Warnings, w.warnings)
	}
	for i := range w.warnings {
		if i < len(res.Warnings) && !strings.Contains(res.Warnings[i], w.warnings[i]) {
			t.Errorf("warning %q, want %q", res.Warnings[i], w.warnings[i])
		}
	}
	var got []string
	for _, b := range res.Bindings {
		got = append(got, b.Binding+"="+b.Outcome)
	}
	if strings.Join(got, " ") != w.outcomes {
		t.Errorf("outcomes %q, want %q", strings.Join(got, " "), w.outcomes)
	}
	if got := strings.Join(res.AssumedNamespaces, ","); got != w.assumed && w.assumed != "" {
		t.Errorf("assumed namespaces %q, want %q", got, w.assumed)
	}
	for _, n := range w.notes {
		if !strings.Contains(strings.Join(res.Notes, "\n"), n) {
			t.Errorf("notes %q lack %q", res.Notes, n)
		}
	}
	for k, v := range w.audit {
		if !strings.Contains(res.AuditAnnotations[k], v) {
			t.Errorf("audit annotation %s = %q, want it to contain %q (all: %v)", k, res.AuditAnnotations[k], v, res.AuditAnnotations)
		}
	}
	if len(w.audit) == 0 && len(res.AuditAnnotations) > 0 {
		t.Errorf("unexpected audit annotations %v", res.AuditAnnotations)
	}
}

func TestUpdateAndPolicyFilter(t *testing.T) {
	objs := decode(t, policy("immutable-image", podRules+"\nvalidations: [{expression: \"request.operation != 'UPDATE' || object.spec.containers[0].image == oldObject.spec.containers[0].image\", message: image is immutable}]", "validationActions: [Deny]")+
		policy("other", podRules+"\nvalidations: [{expression: \"false\", message: always}]", "validationActions: [Warn]")+
		pod("shop", "web", "", "web:1")+pod("shop", "web2", "", "web:2"))
	s := New(objs, Options{})
	res := evaluate(t, s, Request{Object: find(t, objs, "Pod/shop/web2"), OldObject: find(t, objs, "Pod/shop/web"), Operation: admission.Update, Policies: []string{"immutable-image"}})
	checkResult(t, res, want{message: "image is immutable", outcomes: "immutable-image=deny"})
	if _, err := s.Evaluate(context.Background(), Request{Object: find(t, objs, "Pod/shop/web"), Operation: admission.Update}); err == nil {
		t.Error("an UPDATE without an old object was accepted")
	}
	if _, err := s.Evaluate(context.Background(), Request{Object: find(t, objs, "Pod/shop/web"), Operation: admission.Connect}); err == nil {
		t.Error("CONNECT was accepted")
	}
}

// Several denials: the first in policy-name order speaks for the request,
// the audit annotations of one policy's bindings are joined as the API
// server joins them.
func TestSeveralBindings(t *testing.T) {
	objs := decode(t, policy("b-second", podRules+"\nvalidations: [{expression: \"false\", message: second}]", "validationActions: [Deny]")+
		policy("a-first", podRules+"\nvalidations: [{expression: \"false\", message: first}]\nauditAnnotations: [{key: who, valueExpression: \"'a'\"}]", "validationActions: [Deny]")+
		`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: a-first-again}
spec: {policyName: a-first, validationActions: [Warn]}
---
`+pod("shop", "web", "", "web:1"))
	s := New(objs, Options{})
	res := evaluate(t, s, Request{Object: find(t, objs, "Pod/shop/web")})
	checkResult(t, res, want{message: "ValidatingAdmissionPolicy 'a-first' with binding 'a-first' denied request: first",
		warnings: []string{"binding 'a-first-again': first"}, outcomes: "a-first=deny a-first-again=warn b-second=deny",
		audit: map[string]string{"a-first/who": "a"}})
	if got := s.Policies(); len(got) != 2 || got[0].Name != "a-first" || len(got[0].Bindings) != 2 {
		t.Errorf("policies %+v", got)
	}
}

func TestInvalidAndUnboundObjects(t *testing.T) {
	objs := decode(t, policy("bad", podRules+"\nvalidations: [{expression: \"object.spec.containers.all(c,\"}]", "validationActions: [Deny]")+
		`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: lonely}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  validations: [{expression: "true"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: orphan}
spec: {policyName: nowhere, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: old}
spec: {policyName: lonely, validationActions: [Audit]}
`)
	s := New(objs, Options{})
	if len(s.Problems()) != 1 || !strings.Contains(s.Problems()[0].Message, `"bad" is invalid: spec.validations[0].expression: Invalid value: "object.spec.containers.all(c,": compilation failed`) || s.Problems()[0].Line != 1 {
		t.Errorf("problems %v", s.Problems())
	}
	notes := strings.Join(s.Notes(), "\n")
	for _, n := range []string{`"orphan" binds policy "nowhere", which is not in the inputs`, "ValidatingAdmissionPolicyBinding/old is admissionregistration.k8s.io/v1beta1; it is evaluated as admissionregistration.k8s.io/v1"} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes %q lack %q", notes, n)
		}
	}
	if strings.Contains(notes, `binds policy "bad"`) {
		t.Errorf("the binding of an invalid policy is reported as unbound: %s", notes)
	}
	if p := s.Policies(); len(p) != 1 || p[0].Name != "lonely" || p[0].Bindings[0] != "old" {
		t.Errorf("policies %+v", p)
	}
}

// authorizerFunc answers from a function, for the authorizer variable.
type authorizerFunc func(a authorizer.Attributes) authorizer.Decision

func (f authorizerFunc) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	return f(a), "", nil
}

func TestAuthorizerOption(t *testing.T) {
	objs := decode(t, policy("p", podRules+"\nvalidations: [{expression: \"authorizer.group('').resource('secrets').namespace('shop').check('get').allowed()\", message: cannot read secrets}]", "validationActions: [Deny]")+pod("shop", "web", "", "web:1"))
	s := New(objs, Options{Authorizer: authorizerFunc(func(a authorizer.Attributes) authorizer.Decision {
		if a.GetUser().GetName() == "reader" && a.GetResource() == "secrets" && a.GetVerb() == "get" {
			return authorizer.DecisionAllow
		}
		return authorizer.DecisionNoOpinion
	})})
	res := evaluate(t, s, Request{Object: find(t, objs, "Pod/shop/web"), User: &user.DefaultInfo{Name: "reader"}})
	checkResult(t, res, want{allowed: true, outcomes: "p=admit", notes: []string{"answered by the authorizer given"}})
	res = evaluate(t, s, Request{Object: find(t, objs, "Pod/shop/web")})
	checkResult(t, res, want{message: "cannot read secrets", outcomes: "p=deny"})
}

func TestReads(t *testing.T) {
	objs := decode(t, policy("p", `paramKind: {apiVersion: v1, kind: ConfigMap}
matchConstraints:
  resourceRules:
  - {apiGroups: ["", apps], apiVersions: ["*"], operations: [CREATE], resources: [pods, deployments/scale]}`+"\nvalidations: [{expression: \"true\"}]", "validationActions: [Deny]\nparamRef: {name: x, parameterNotFoundAction: Allow}"))
	reads := Reads(objs)
	for gk, want := range map[string]bool{
		"Pod": true, "Deployment.apps": true, "ConfigMap": true, "Namespace": true,
		"Service": false, "DaemonSet.apps": false, "CustomResourceDefinition.apiextensions.k8s.io": false, "Widget.example.com": false,
	} {
		if got := reads(schema.ParseGroupKind(gk)); got != want {
			t.Errorf("%s: %v, want %v", gk, got, want)
		}
	}
	wild := Reads(decode(t, policy("w", "matchConstraints:\n  resourceRules: [{apiGroups: [\"*\"], apiVersions: [\"*\"], operations: [\"*\"], resources: [\"*\"]}]\nvalidations: [{expression: \"true\"}]", "validationActions: [Deny]")))
	for _, gk := range []string{"Service", "Widget.example.com", "CustomResourceDefinition.apiextensions.k8s.io"} {
		if !wild(schema.ParseGroupKind(gk)) {
			t.Errorf("wildcard rule does not read %s", gk)
		}
	}
	custom := Reads(decode(t, policy("c", "matchConstraints:\n  resourceRules: [{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgetz]}]\nvalidations: [{expression: \"true\"}]", "validationActions: [Deny]")))
	if !custom(schema.ParseGroupKind("Widget.example.com")) || !custom(schema.ParseGroupKind("CustomResourceDefinition.apiextensions.k8s.io")) || custom(schema.ParseGroupKind("Pod")) {
		t.Error("custom group: want its kinds (any plural) and CRDs, not pods")
	}
}

func TestRBACAuthorizer(t *testing.T) {
	objs := decode(t, policy("p", podRules+"\nvalidations: [{expression: \"authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('get').allowed()\", messageExpression: \"request.userInfo.username + ' cannot read secrets'\"}]", "validationActions: [Deny]")+
		`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: bob}]
---
`+pod("shop", "web", "", "web:1"))
	inv := inventory.NewInventory()
	for _, o := range objs {
		inv.Add(o)
	}
	inv.Sort()
	s := New(objs, Options{Authorizer: RBACAuthorizer(rbacinv.Build(inv).Model)})
	web := find(t, objs, "Pod/shop/web")
	// view does not read secrets; admin does; system:masters may do anything.
	checkResult(t, evaluate(t, s, Request{Object: web, User: &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}}),
		want{message: "alice cannot read secrets", outcomes: "p=deny", notes: []string{"answered from the RBAC objects"}})
	checkResult(t, evaluate(t, s, Request{Object: web, User: &user.DefaultInfo{Name: "bob", Groups: []string{"system:authenticated"}}}),
		want{allowed: true, outcomes: "p=admit"})
	checkResult(t, evaluate(t, s, Request{Object: web, User: &user.DefaultInfo{Name: "root", Groups: []string{"system:masters"}}}),
		want{allowed: true, outcomes: "p=admit"})
}

// Policies see objects as the API server has made them: defaulted, and for
// a new pod with its service account's token mounted; Options.AsWritten
// evaluates them as written.
func TestEvaluateAfterServerDefaults(t *testing.T) {
	spec := podRules + "\nvalidations:\n" +
		"- {expression: \"object.spec.containers.all(c, c.imagePullPolicy == 'IfNotPresent')\", message: pull policy}\n" +
		"- {expression: \"has(object.spec.securityContext)\", message: security context}\n" +
		"- {expression: \"object.spec.serviceAccountName == 'default'\", message: service account}\n" +
		"- {expression: \"object.spec.volumes.exists(v, v.name.startsWith('kube-api-access-'))\", message: token volume}\n" +
		"- {expression: \"object.spec.tolerations.exists(t, t.key == 'node.kubernetes.io/not-ready' && t.tolerationSeconds == 300)\", message: tolerations}\n"
	objs := decode(t, policy("p", spec, "validationActions: [Deny]")+pod("shop", "web", "", "web:1"))
	res := evaluate(t, New(objs, Options{}), Request{Object: find(t, objs, "Pod/shop/web")})
	if !res.Allowed {
		t.Errorf("after defaulting: %s", res.Message)
	}
	res = evaluate(t, New(objs, Options{AsWritten: true}), Request{Object: find(t, objs, "Pod/shop/web")})
	if res.Allowed || len(res.Bindings) != 1 || len(res.Bindings[0].Failures) != 5 {
		t.Errorf("as written: %+v", res)
	}
	// A service account that does not mount its token.
	objs = decode(t, policy("p", spec, "validationActions: [Deny]")+pod("shop", "web", "", "web:1")+
		"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\nautomountServiceAccountToken: false\n")
	res = evaluate(t, New(objs, Options{}), Request{Object: find(t, objs, "Pod/shop/web")})
	if res.Allowed || !strings.Contains(res.Message, "no such key: volumes") {
		t.Errorf("no automount: %+v", res)
	}
}
