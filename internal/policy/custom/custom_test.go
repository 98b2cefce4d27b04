package custom

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	_ "github.com/kubeward/kubeward/internal/checks/workload" // built-in ids to collide with
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
)

const goodChecks = `apiVersion: kubeward.dev/v1alpha1
kind: Check
id: deployment-owner-label
title: Deployment has no owner label
severity: medium
kinds:
- {group: apps, kind: Deployment}
expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"
messageExpression: "'deployment ' + object.metadata.name + ' names no owner'"
path: metadata.labels
fix: Add an owner label naming the team on call.
rationale: Incidents need an owner.
references:
- {framework: Internal, id: OPS-7, title: Ownership}
---
apiVersion: kubeward.dev/v1alpha1
kind: Check
id: no-host-network
title: Pod uses the host network
severity: high
category: workload-extra
podSpec: true
expression: "!has(podSpec.hostNetwork) || !podSpec.hostNetwork"
message: the pod shares the node's network namespace
path: hostNetwork
fix: Remove hostNetwork.
`

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadGood(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "checks/a.yaml", goodChecks)
	write(t, dir, "checks/notes.txt", "not a check")
	write(t, dir, "checks/.hidden/x.yaml", "garbage: [")
	cs, err := Load(filepath.Join(dir, "checks"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("got %d checks", len(cs))
	}
	d, p := cs[0], cs[1]
	if d.ID != "deployment-owner-label" || d.Severity != check.Medium || d.Category != check.CategoryPolicy || d.Object == nil || len(d.Kinds) != 1 || d.Kinds[0].Group != "apps" {
		t.Errorf("object check: %+v", d)
	}
	if d.Fix == "" || d.Rationale == "" || len(d.Refs) != 1 || d.Refs[0].ID != "OPS-7" {
		t.Errorf("object check meta: %+v", d.Meta)
	}
	if p.ID != "no-host-network" || p.Pod == nil || p.Category != "workload-extra" || p.Severity != check.High {
		t.Errorf("pod check: %+v", p)
	}
}

func TestLoadErrors(t *testing.T) {
	head := "apiVersion: kubeward.dev/v1alpha1\nkind: Check\n"
	ok := "id: x-check\ntitle: T\nseverity: low\nkinds: [{kind: Pod}]\nexpression: \"true\"\n"
	tests := []struct {
		name, content string
		want          []string // substrings of the error, file:line first
	}{
		{"unknown field", head + ok + "expresion: x\n", []string{"bad.yaml:8:", "field expresion not found"}},
		{"wrong kind", "apiVersion: kubeward.dev/v1alpha1\nkind: Config\n" + ok, []string{"bad.yaml:2:", "want apiVersion kubeward.dev/v1alpha1 and kind Check"}},
		{"bad id", head + strings.Replace(ok, "x-check", "X_Check", 1), []string{"bad.yaml:3:", "not a lower-case slug"}},
		{"built-in id", head + strings.Replace(ok, "x-check", "read-only-root-filesystem", 1), []string{"bad.yaml:3:", "built-in check"}},
		{"no title", head + strings.Replace(ok, "title: T\n", "", 1), []string{"bad.yaml:", "title is required"}},
		{"bad severity", head + strings.Replace(ok, "severity: low", "severity: urgent", 1), []string{"bad.yaml:5:", "unknown severity"}},
		{"kinds and podSpec", head + ok + "podSpec: true\n", []string{"bad.yaml:6:", "either kinds"}},
		{"neither kinds nor podSpec", head + strings.Replace(ok, "kinds: [{kind: Pod}]\n", "", 1), []string{"bad.yaml:", "either kinds"}},
		{"plural kind", head + strings.Replace(ok, "kind: Pod}", "kind: pods}", 1), []string{"bad.yaml:6:", `kind "pods" is not a Kind name`}},
		{"wrong group", head + strings.Replace(ok, "{kind: Pod}", "{kind: Deployment}", 1), []string{"bad.yaml:6:", `Deployment is in group "apps", not "" (core)`}},
		{"CEL syntax", head + strings.Replace(ok, `expression: "true"`, `expression: "object.metadata.name.startsWith('a'"`, 1), []string{"bad.yaml:7:", "check x-check: expression: compilation failed", "Syntax error"}},
		{"undeclared variable", head + strings.Replace(ok, `expression: "true"`, `expression: "podSpec.hostNetwork"`, 1), []string{"bad.yaml:7:", "undeclared reference to 'podSpec'"}},
		{"request is not declared", head + strings.Replace(ok, `expression: "true"`, `expression: "request.operation == 'CREATE'"`, 1), []string{"bad.yaml:7:", "undeclared reference to 'request'"}},
		{"not a bool", head + strings.Replace(ok, `expression: "true"`, `expression: "'yes'"`, 1), []string{"bad.yaml:7:", "must evaluate to bool but got string"}},
		{"message expression not a string", head + ok + "messageExpression: \"1 + 1\"\n", []string{"bad.yaml:8:", "must evaluate to string but got int"}},
		{"multi-line message", head + ok + "message: \"a\\nb\"\n", []string{"bad.yaml:8:", "line breaks"}},
		{"bad failure policy", head + ok + "failurePolicy: Maybe\n", []string{"bad.yaml:8:", `failurePolicy "Maybe"`}},
		{"bad path", head + ok + "path: \"spec..x[\"\n", []string{"bad.yaml:8:", "not a field path"}},
		{"reference without id", head + ok + "references: [{framework: CIS}]\n", []string{"bad.yaml:8:", "framework and id are required"}},
		{"YAML syntax", head + ok + "title: [\n", []string{"bad.yaml:", "did not find expected node content"}},
		{"second document bad, first reported too", head + ok + "---\n" + head + "id: y\n", []string{"bad.yaml:9:", "check y: title is required"}},
		{"a list", "- a\n- b\n", []string{"bad.yaml:1:", "cannot unmarshal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "bad.yaml", tt.content)
			_, err := Load(p)
			if err == nil {
				t.Fatal("no error")
			}
			msg := strings.ReplaceAll(err.Error(), p, "bad.yaml")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadDuplicateAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.yaml", goodChecks)
	b := write(t, dir, "b.yaml", "# again\n"+goodChecks)
	_, err := Load(a, b)
	if err == nil || !strings.Contains(err.Error(), b+":2: check id \"deployment-owner-label\" is already defined at "+a+":1") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing path: %v", err)
	}
}

func mustParse(t testing.TB, y string) []*check.Check {
	t.Helper()
	cs, err := Parse([]byte(y), "checks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestObjectCheckTypedAndUnstructured(t *testing.T) {
	cs := mustParse(t, goodChecks+`---
apiVersion: kubeward.dev/v1alpha1
kind: Check
id: widget-size
title: Widget too large
severity: low
kinds: [{group: example.com, kind: Widget}]
expression: "object.spec.size <= 3"
messageExpression: "'size ' + string(object.spec.size) + ' is over 3'"
path: spec.size
`)
	fs := checktest.Run(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: owned, labels: {owner: shop}}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orphan}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: small}
spec: {size: 2}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: big}
spec: {size: 7}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-checked}
`, nil, cs...)
	checktest.Expect(t, fs, "Deployment/orphan metadata.labels", "Widget/big spec.size")
	for _, f := range fs {
		switch f.Object.Name {
		case "orphan":
			if f.Message != "deployment orphan names no owner" || f.CheckID != "deployment-owner-label" || f.Severity != check.Medium || f.Fix == "" {
				t.Errorf("finding %+v", f)
			}
			if f.Position.Line != 10 {
				t.Errorf("position %+v, want the metadata line 10 (labels are missing)", f.Position)
			}
		case "big":
			if f.Message != "size 7 is over 3" || f.Position.Line != 23 {
				t.Errorf("finding %+v", f)
			}
		}
	}
}

func TestPodSpecCheckAcrossWorkloads(t *testing.T) {
	cs := mustParse(t, goodChecks)
	fs := checktest.Run(t, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: quiet}
spec: {hostNetwork: false, containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {hostNetwork: true, containers: [{name: c, image: x}]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec: {hostNetwork: true, restartPolicy: Never, containers: [{name: c, image: x}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: job}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: x}]}
`, nil, cs[1])
	checktest.Expect(t, fs,
		"Pod/p spec.hostNetwork",
		"DaemonSet/ds spec.template.spec.hostNetwork",
		"CronJob/cj spec.jobTemplate.spec.template.spec.hostNetwork")
}

func TestPodSpecVariables(t *testing.T) {
	cs := mustParse(t, `apiVersion: kubeward.dev/v1alpha1
kind: Check
id: template-team
title: Pod template without a team label
severity: low
podSpec: true
expression: "podMeta.?labels.team.orValue('') != '' && object.kind != ''"
messageExpression: "object.kind + ' ' + object.metadata.name + ': pods carry no team label'"
path: containers[0]
`)
	fs := checktest.Run(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {team: x}}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}
---
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {team: y}}
spec: {containers: [{name: c, image: x}]}
`, nil, cs...)
	checktest.Expect(t, fs, "Deployment/d spec.template.spec.containers[0]")
	if len(fs) == 1 && fs[0].Message != "Deployment d: pods carry no team label" {
		t.Errorf("message %q", fs[0].Message)
	}
}

func TestEvaluationErrorsAndCost(t *testing.T) {
	cs := mustParse(t, `apiVersion: kubeward.dev/v1alpha1
kind: Check
id: strict
title: Replicas over 3
severity: low
kinds: [{group: apps, kind: Deployment}]
expression: "object.spec.replicas <= 3"
---
apiVersion: kubeward.dev/v1alpha1
kind: Check
id: lenient
title: Replicas over 3
severity: low
kinds: [{group: apps, kind: Deployment}]
failurePolicy: Ignore
expression: "object.spec.replicas <= 3"
---
apiVersion: kubeward.dev/v1alpha1
kind: Check
id: expensive
title: Quadratic
severity: low
kinds: [{kind: ConfigMap}]
expression: "object.data.blob.split('').all(a, object.data.blob.split('').all(b, a != '#'))"
`)
	blob := strings.Repeat("abcdefghij", 200)
	fs := checktest.Run(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: no-replicas}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: small}
data: {blob: "abc"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: big}
data: {blob: "`+blob+`"}
`, nil, cs...)
	checktest.Expect(t, fs, "Deployment/no-replicas", "ConfigMap/big")
	for _, f := range fs {
		switch f.CheckID {
		case "strict":
			if !strings.Contains(f.Message, "could not be evaluated: no such key: replicas") {
				t.Errorf("strict: %q", f.Message)
			}
		case "expensive":
			if !strings.Contains(f.Message, "operation cancelled: actual cost limit exceeded") {
				t.Errorf("expensive: %q", f.Message)
			}
		default:
			t.Errorf("unexpected %s", f.CheckID)
		}
	}
}

func TestSecretValuesRedacted(t *testing.T) {
	cs := mustParse(t, `apiVersion: kubeward.dev/v1alpha1
kind: Check
id: secret-peek
title: Secret peek
severity: low
kinds: [{kind: Secret}]
expression: "false"
messageExpression: "'token is ' + object.data.token + ', password is ' + object.stringData.password"
`)
	fs := checktest.Run(t, `apiVersion: v1
kind: Secret
metadata: {name: s}
data: {token: aHVudGVyMi12ZXJ5LXNlY3JldA==}
stringData: {password: correct-horse-battery}
`, nil, cs...)
	if len(fs) != 1 || strings.Contains(fs[0].Message, "correct-horse") || strings.Contains(fs[0].Message, "aHVudGVy") || strings.Count(fs[0].Message, "[redacted]") != 2 {
		t.Fatalf("findings %+v", fs)
	}
}

func TestSuppressionsApply(t *testing.T) {
	cs := mustParse(t, goodChecks)
	res, _ := checktest.RunResult(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: orphan
  annotations: {suppress.kubeward.dev/deployment-owner-label: "owned by the platform team"}
spec:
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}
`, nil, cs...)
	if len(res.Findings) != 1 || !res.Findings[0].Suppressed() {
		t.Fatalf("findings %+v", res.Findings)
	}
	for _, p := range res.Problems {
		if strings.Contains(p.Message, "names no known check") {
			t.Errorf("the annotation of a custom check is reported as unknown: %s", p)
		}
	}
}

func decodeAll(t *testing.T, y string) []*inventory.Object {
	t.Helper()
	var out []*inventory.Object
	log := &diag.Log{}
	(&manifest.Decoder{Log: log}).Decode(manifest.Input{Name: "fixture.yaml", Data: []byte(y)}, func(o *inventory.Object) { out = append(out, o) })
	for _, p := range log.Problems() {
		t.Fatalf("fixture: %s", p)
	}
	return out
}
