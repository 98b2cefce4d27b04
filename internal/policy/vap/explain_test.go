package vap

import (
	"strings"
	"testing"
)

// An expression that fails at run time under failurePolicy Fail denies;
// the failure names the part of the expression that failed and why.
func TestExplainEvaluationErrors(t *testing.T) {
	tests := []struct {
		name, spec string
		want       []string // substrings of the explanation
	}{{
		name: "orValue on a list",
		spec: "variables: [{name: c0, expression: \"object.spec.containers[0]\"}]\nvalidations: [{expression: \"variables.c0.image.size() > 0 && variables.c0.ports.orValue([]).size() < 3\"}]",
		want: []string{"the part that failed: `variables.c0.ports.orValue([])`", "this is a list, not an optional", "variables.c0.?ports.orValue([])"},
	}, {
		name: "a missing field",
		spec: "validations: [{expression: \"object.spec.containers.all(c, c.securityContext.runAsNonRoot)\"}]",
		want: []string{"the part that failed: `c.securityContext`", "no such key: securityContext", "test it with has()"},
	}, {
		name: "through a variable",
		spec: "variables: [{name: sc, expression: \"object.spec.securityContext.runAsNonRoot\"}]\nvalidations: [{expression: \"variables.sc == true\"}]",
		// The API server defaults securityContext to {}: the key missing
		// is inside it.
		want: []string{"the part that failed: `object.spec.securityContext.runAsNonRoot` in variable \"sc\"", "no such key: runAsNonRoot"},
	}, {
		name: "operands of the wrong types",
		spec: "validations: [{expression: \"object.metadata.name + object.spec.containers[0].ports[0].containerPort != ''\"}]",
		want: []string{"the operands are string, int", "convert them"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := decode(t, policy("p", podRules+"\n"+tc.spec, "validationActions: [Deny]")+
				"apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec: {containers: [{name: c, image: web, ports: [{containerPort: 80}]}]}\n")
			s := New(objs, Options{})
			if len(s.Problems()) > 0 {
				t.Fatalf("problems: %v", s.Problems())
			}
			res := evaluate(t, s, Request{Object: find(t, objs, "Pod/shop/web")})
			if res.Allowed || len(res.Bindings) != 1 || len(res.Bindings[0].Failures) != 1 {
				t.Fatalf("result %+v", res)
			}
			f := res.Bindings[0].Failures[0]
			if !f.Error {
				t.Fatalf("failure %+v is not an evaluation error", f)
			}
			for _, w := range tc.want {
				if !strings.Contains(f.Explanation, w) {
					t.Errorf("explanation %q lacks %q", f.Explanation, w)
				}
			}
		})
	}
}
