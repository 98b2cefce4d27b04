package report

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/scan"
)

// manyFindings makes a result of n findings over n/4 objects in n/40
// files, of every severity and source: every 10th suppressed, every 25th
// with an expired suppression, every 7th object rendered by Helm, every
// 13th read from a cluster.
func manyFindings(n int) *scan.Result {
	res := &scan.Result{Objects: n / 4}
	for _, c := range testChecks {
		res.Checks = append(res.Checks, c.ID)
	}
	for i := range n {
		obj := i / 4
		c := testChecks[i%len(testChecks)]
		src := inventory.Source{File: fmt.Sprintf("deploy/team-%d/app-%d.yaml", obj/40, obj/10), Document: obj % 10, Line: 1 + 40*(obj%10)}
		switch {
		case obj%13 == 0:
			src = inventory.Source{Cluster: "prod", ResourceVersion: fmt.Sprint(1000 + obj)}
		case obj%7 == 0:
			src = inventory.Source{File: fmt.Sprintf("charts/chart-%d", obj/70), Document: obj % 10, Line: 1,
				Template: fmt.Sprintf("chart-%d/templates/deploy-%d.yaml", obj/70, obj%10)}
		}
		f := finding(c.ID, ref("apps/v1", "Deployment", fmt.Sprintf("ns-%d", obj%17), fmt.Sprintf("app-%d", obj)), src,
			fmt.Sprintf("spec.template.spec.containers[%d].securityContext", i%4), src.Line+5+i%4, 11,
			fmt.Sprintf("container \"c%d\" of app-%d breaks %s", i%4, obj, c.ID))
		switch {
		case i%10 == 0:
			f.Suppression = &check.SuppressionStatus{Reason: "accepted risk", Origin: "annotation suppress.kubeward.dev/" + c.ID}
		case i%25 == 0:
			f.Suppression = &check.SuppressionStatus{Reason: "old", Expires: "2024-01-01", Origin: "kubeward.yaml suppressions[3]", Expired: true}
			f.Message += " (suppression expired on 2024-01-01: old)"
		}
		res.Findings = append(res.Findings, f)
	}
	check.SortFindings(res.Findings)
	for i := range n / 100 {
		res.Problems = append(res.Problems, diag.Problem{Level: diag.Error, File: fmt.Sprintf("bad/%d.yaml", i), Line: 3, Message: "bad YAML"})
		res.Skipped = append(res.Skipped, diag.Skipped{Path: fmt.Sprintf("docs/%d.md", i), Reason: "not a .yaml, .yml or .json file"})
	}
	return res
}

// BenchmarkRender renders 20,000 findings in each format.
func BenchmarkRender(b *testing.B) {
	res := manyFindings(20000)
	o := testOptions()
	for _, format := range Formats() {
		b.Run(format, func(b *testing.B) {
			cw := &countWriter{}
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				cw.n = 0
				if err := Write(format, cw, res, o); err != nil {
					b.Fatal(err)
				}
			}
			if cpu > 0 {
				b.ReportMetric(float64(processCPU()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			}
			b.ReportMetric(float64(cw.n), "bytes/report")
		})
	}
}

// BenchmarkBaselineMarshal is the floor to compare with: the same findings
// dumped with one json.Marshal of the engine's structs, unindented, with no
// rules, summary, locations or fingerprints.
func BenchmarkBaselineMarshal(b *testing.B) {
	res := manyFindings(20000)
	b.ReportAllocs()
	cpu := processCPU()
	n := 0
	for b.Loop() {
		out, err := json.Marshal(res.Findings)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	if cpu > 0 {
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	}
	b.ReportMetric(float64(n), "bytes/report")
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
