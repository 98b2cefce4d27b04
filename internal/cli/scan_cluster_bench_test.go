package cli

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/cluster"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// BenchmarkClusterScan20k loads 20,000 objects into a real API server and
// scans them: per iteration, the list and every check, in process. It also
// runs the built binary once and reports its peak resident memory.
//
//	go test ./internal/cli -run '^$' -bench ClusterScan20k -benchtime 3x -timeout 60m
func BenchmarkClusterScan20k(b *testing.B) {
	kubetest.SkipIfShort(b)
	c := kubetest.Start(b, kubetest.Options{})
	cfg := c.Config
	cfg.QPS, cfg.Burst = 1000, 2000
	cs := kubernetes.NewForConfigOrDie(cfg)
	start := time.Now()
	n := kubetest.Fill(b, cs, 163)
	b.Logf("created %d objects in %s", n, time.Since(start).Round(time.Second))

	checks := check.All()
	var kinds []schema.GroupKind
	for _, ch := range checks {
		kinds = append(kinds, ch.Inputs()...)
	}
	rc, name, err := cluster.Connect(cluster.Options{Kubeconfig: c.Kubeconfig})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var objects, findings int
	for range b.N {
		l := &cluster.Loader{Config: rc, Context: name}
		res, err := l.Load(context.Background(), kinds)
		if err != nil {
			b.Fatal(err)
		}
		r := scan.New(scan.Options{Checks: checks, Mode: scan.ModeCluster}).Inventory(res.Inventory)
		objects, findings = r.Objects, len(r.Findings)
	}
	b.StopTimer()
	b.ReportMetric(float64(objects), "objects")
	b.ReportMetric(float64(findings), "findings")

	// The whole process, as users run it.
	bin := kubetest.BuildKubeward(b)
	var stderr bytes.Buffer
	cmd := exec.Command("/usr/bin/time", "-f", "%e %M", bin, "scan", "--cluster", "--kubeconfig", c.Kubeconfig, "--fail-on", "none", "-o", "json="+filepath.Join(b.TempDir(), "r.json"))
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%v: %s", err, stderr.String())
	}
	fields := strings.Fields(lastLine(stderr.String()))
	if len(fields) == 2 {
		secs, _ := strconv.ParseFloat(fields[0], 64)
		kib, _ := strconv.ParseFloat(fields[1], 64)
		b.ReportMetric(secs, "process-s")
		b.ReportMetric(kib/1024, "peak-MiB")
		b.Logf("process: %.2f s, peak RSS %.0f MiB, %d objects, %d findings, GOMAXPROCS %d", secs, kib/1024, objects, findings, runtime.GOMAXPROCS(0))
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
