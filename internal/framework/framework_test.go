package framework_test

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	_ "github.com/kubeward/kubeward/internal/checks/all"
	"github.com/kubeward/kubeward/internal/framework"
)

var update = flag.Bool("update", false, "rewrite docs/frameworks.md from the definitions")

const reference = "../../docs/frameworks.md"

// TestDefinitions holds every control to the contract: decided by checks
// that exist, or manual with a reason, never both and never neither.
func TestDefinitions(t *testing.T) {
	fws, err := framework.All()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cis-1.12", "mitre", "nsa-cisa-1.2", "pss-baseline", "pss-restricted"}
	if got := framework.IDs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("frameworks %v, want %v", got, want)
	}
	registered := map[string]bool{}
	for _, c := range check.All() {
		registered[c.ID] = true
	}
	for _, fw := range fws {
		if fw.Title == "" || fw.Version == "" || fw.URL == "" || len(fw.Controls) == 0 {
			t.Errorf("%s: title, version, url and controls are required", fw.ID)
		}
		ids := map[string]bool{}
		for _, c := range fw.Controls {
			where := fw.ID + " " + c.ID
			if c.ID == "" || c.Title == "" {
				t.Errorf("%s: a control needs an id and a title", where)
			}
			if ids[c.ID] {
				t.Errorf("%s: duplicate control id", where)
			}
			ids[c.ID] = true
			switch {
			case len(c.Checks) == 0 && strings.TrimSpace(c.Manual) == "":
				t.Errorf("%s: neither decided by checks nor manual with a reason", where)
			case len(c.Checks) > 0 && c.Manual != "":
				t.Errorf("%s: both decided by checks and manual", where)
			}
			for _, id := range slices.Concat(c.Checks, c.Related) {
				if !registered[id] {
					t.Errorf("%s: check %s is not registered", where, id)
				}
			}
		}
	}
}

// TestCheckReferencesAgree keeps the checks' own references and the
// framework definitions from drifting apart: a check that names a CIS
// recommendation or an ATT&CK technique decides that control.
func TestCheckReferencesAgree(t *testing.T) {
	byFramework := map[string]string{check.FrameworkCIS: "cis-1.12", check.FrameworkMITRE: "mitre"}
	decides := map[string]map[string]bool{} // framework id + control id -> checks
	for _, id := range byFramework {
		fw, err := framework.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range fw.Controls {
			k := id + " " + c.ID
			decides[k] = map[string]bool{}
			for _, ch := range slices.Concat(c.Checks, c.Related) {
				decides[k][ch] = true
			}
			// A check may name a whole section ("5.1").
			for sec := c.ID; strings.Contains(sec, "."); {
				sec = sec[:strings.LastIndex(sec, ".")]
				if decides[id+" "+sec] == nil {
					decides[id+" "+sec] = map[string]bool{"": true}
				}
			}
		}
	}
	for _, c := range check.All() {
		for _, r := range c.Refs {
			fw, ok := byFramework[r.Framework]
			if !ok {
				continue
			}
			k := fw + " " + r.ID
			switch checks, ok := decides[k]; {
			case !ok:
				t.Errorf("%s names %s %s, which %s does not define", c.ID, r.Framework, r.ID, fw)
			case !checks[c.ID] && !checks[""]:
				t.Errorf("%s names %s %s, but that control does not list it", c.ID, r.Framework, r.ID)
			}
		}
	}
}

// TestReferenceUpToDate fails when docs/frameworks.md no longer matches the
// definitions. Fix with: go test ./internal/framework -update
func TestReferenceUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := framework.Markdown(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(reference, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(reference)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./internal/framework -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Fatal("docs/frameworks.md is out of date; regenerate with: go test ./internal/framework -update")
	}
}
