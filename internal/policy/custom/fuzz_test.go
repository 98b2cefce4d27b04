package custom

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/checks/checktest"
)

// FuzzParse: any bytes give checks or an error naming the file, never a
// panic; a check accepted is complete and runs on a pod without failing.
func FuzzParse(f *testing.F) {
	f.Add([]byte(goodChecks))
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Check\nid: a\ntitle: t\nseverity: low\npodSpec: true\nexpression: \"podSpec.containers.all(c, c.name != '')\"\nmessageExpression: \"podMeta.name\"\npath: containers[0].image\n"))
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Check\nid: b\ntitle: t\nseverity: low\nkinds: [{group: x.io, kind: Y}]\nexpression: \"object.spec.a.b\"\nfailurePolicy: Ignore\n---\n---\n"))
	f.Add([]byte("- &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := Parse(data, "checks.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "checks.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, c := range cs {
			if c.ID == "" || c.Title == "" || (c.Object == nil) == (c.Pod == nil) {
				t.Fatalf("incomplete check accepted: %+v", c.Meta)
			}
		}
		if len(cs) > 0 {
			checktest.Run(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n", nil, cs...)
		}
	})
}
