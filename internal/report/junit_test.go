package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

// Independent of the writer's types, so a tag typo there shows here.
type junitIn struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Line      int    `xml:"line,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) junitIn {
	t.Helper()
	var j junitIn
	if err := xml.Unmarshal(data, &j); err != nil {
		t.Fatalf("JUnit output is not valid XML: %v\n%s", err, data)
	}
	// The counts in the attributes match the elements.
	var tests, failures, errors, skipped int
	for _, s := range j.Suites {
		var st, sf, se, ss int
		for _, c := range s.Cases {
			st++
			if c.Failure != nil {
				sf++
			}
			if c.Error != nil {
				se++
			}
			if c.Skipped != nil {
				ss++
			}
		}
		if st != s.Tests || sf != s.Failures || se != s.Errors || ss != s.Skipped {
			t.Errorf("suite %s says %d/%d/%d/%d tests/failures/errors/skipped, has %d/%d/%d/%d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, st, sf, se, ss)
		}
		tests, failures, errors, skipped = tests+st, failures+sf, errors+se, skipped+ss
	}
	if tests != j.Tests || failures != j.Failures || errors != j.Errors || skipped != j.Skipped {
		t.Errorf("testsuites says %d/%d/%d/%d, suites add up to %d/%d/%d/%d",
			j.Tests, j.Failures, j.Errors, j.Skipped, tests, failures, errors, skipped)
	}
	return j
}

func TestJUnit(t *testing.T) {
	j := parseJUnit(t, render(t, "junit", fixture(), testOptions()))
	type outcome struct{ kind, detail string }
	got := map[string]outcome{}
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			o := outcome{kind: "pass", detail: c.SystemOut}
			switch {
			case c.Failure != nil:
				o = outcome{"failure", c.Failure.Message + "\n" + c.Failure.Text}
			case c.Error != nil:
				o = outcome{"error", c.Error.Message}
			case c.Skipped != nil:
				o = outcome{"skipped", c.Skipped.Message}
			}
			got[s.Name+" | "+c.Name] = o
		}
	}
	for key, want := range map[string]outcome{
		// At or above the gate (high): failures with where and how to fix.
		"privileged-container | Deployment/default/web":              {"failure", "deploy/web.yaml:24:23"},
		"host-network | Deployment/monitoring/grafana":               {"failure", "fix: Remove hostNetwork: true."},
		"example-unregistered-binding | ClusterRoleBinding/ci-admin": {"failure", "binds cluster-admin"},
		// Below the gate: passing, with the finding shown.
		"image-tag-latest | Deployment/default/web": {"pass", "Below the gate (--fail-on high)"},
		"run-as-non-root | Deployment/default/web":  {"pass", "suppression expired on 2024-01-31"},
		// Suppressed: skipped with the reason.
		"host-path-volume | StatefulSet/default/db":                    {"skipped", "suppressed: node exporter reads /proc"},
		"read-only-root-filesystem | StatefulSet/default/db":           {"skipped", "postgres needs a writable data directory"},
		"seccomp-profile | no findings":                                {"pass", ""},
		"rbac-wildcard-verbs | check did not run":                      {"skipped", "forbidden"},
		inputSuite + " | deploy/broken.yaml:3":                         {"error", "mapping values are not allowed"},
		inputSuite + " | charts/broken":                                {"error", "helm: template"},
		inputSuite + " | deploy/web.yaml:1":                            {"pass", "warning: Deployment/default/web"},
		inputSuite + " | not scanned: not a .yaml, .yml or .json file": {"skipped", "6 inputs not scanned"},
	} {
		o, ok := got[key]
		if !ok {
			t.Errorf("no testcase %s", key)
			continue
		}
		if o.kind != want.kind || !strings.Contains(o.detail, want.detail) {
			t.Errorf("%s: %s %q; want %s containing %q", key, o.kind, o.detail, want.kind, want.detail)
		}
	}
	if j.Failures != 3 || j.Errors != 2 {
		t.Errorf("%d failures, %d errors; want 3 and 2", j.Failures, j.Errors)
	}
}

// Without a gate every unsuppressed finding is a failure.
func TestJUnitNoGate(t *testing.T) {
	o := testOptions()
	o.FailOn = check.SeverityUnknown
	j := parseJUnit(t, render(t, "junit", fixture(), o))
	if j.Failures != 6 {
		t.Errorf("%d failures without a gate; want the 6 object×check pairs with unsuppressed findings", j.Failures)
	}
}

// Findings of one check on one object share a testcase; the same object
// from two files gets two, told apart by name.
func TestJUnitGrouping(t *testing.T) {
	web := ref("apps/v1", "Deployment", "default", "web")
	dev := inventory.Source{File: "overlays/dev", Template: "../../base/web.yaml"}
	prod := inventory.Source{File: "overlays/prod", Template: "../../base/web.yaml", Document: 2}
	res := &scan.Result{Checks: []string{"privileged-container"}, Findings: []check.Finding{
		finding("privileged-container", web, dev, "spec.template.spec.containers[0].securityContext.privileged", 20, 5, `container "a" runs privileged`),
		finding("privileged-container", web, dev, "spec.template.spec.containers[1].securityContext.privileged", 30, 5, `container "b" runs privileged`),
		finding("privileged-container", web, prod, "spec.template.spec.containers[0].securityContext.privileged", 20, 5, `container "a" runs privileged`),
	}}
	j := parseJUnit(t, render(t, "junit", res, testOptions()))
	cases := j.Suites[0].Cases
	if len(cases) != 2 {
		t.Fatalf("%d testcases; want 2 (one per object and file)", len(cases))
	}
	if cases[0].Name == cases[1].Name {
		t.Errorf("two testcases named %q", cases[0].Name)
	}
	f := cases[0].Failure
	if f == nil || !strings.Contains(f.Message, "(and 1 more)") || !strings.Contains(f.Text, `container "b"`) {
		t.Errorf("first testcase does not hold both findings: %+v", f)
	}
}

// Text from manifests that XML cannot hold (control characters) or that
// looks like markup stays well-formed.
func TestJUnitHostileText(t *testing.T) {
	f := finding("privileged-container", ref("v1", "Pod", "ns", "p<x>&\"]]>"), inventory.Source{File: "a&b.yaml"},
		"spec", 1, 1, "bad \x1b[31m\x00\x07 text ]]> <failure/> &amp;")
	res := &scan.Result{Findings: []check.Finding{f}}
	j := parseJUnit(t, render(t, "junit", res, testOptions()))
	c := j.Suites[0].Cases[0]
	if c.Name != `Pod/ns/p<x>&"]]>` || c.File != "a&b.yaml" || c.Failure == nil ||
		!strings.Contains(c.Failure.Message, "]]> <failure/> &amp;") {
		t.Errorf("text did not round-trip: %+v", c)
	}
}

// A check that had nothing to read in the input (control-plane checks on
// application manifests) gets no testcase: it neither passed nor failed.
func TestJUnitNoInput(t *testing.T) {
	res := fixture()
	res.NoInput = []string{"seccomp-profile"}
	j := parseJUnit(t, render(t, "junit", res, testOptions()))
	found := false
	for _, s := range j.Suites {
		if s.Name == "seccomp-profile" {
			found = true
			if s.Tests != 0 || len(s.Cases) != 0 {
				t.Errorf("seccomp-profile had no input, yet has %d testcases", len(s.Cases))
			}
		}
	}
	if !found {
		t.Error("the suite of a check without input is gone: it should stay, empty")
	}
}
