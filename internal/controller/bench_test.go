package controller

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// counting counts the requests a client makes (a watch is one request
// while it lasts).
type counting struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.rt.RoundTrip(r)
}

// BenchmarkController20k: the 20,000-object world of BenchmarkClusterScan20k
// (kubetest.Fill, 163 namespaces) in a real API server; the controller
// starts and the benchmark reports the time to the first complete set of
// reports (one per namespace and the cluster's), the heap after a GC with
// the informers and findings held, the change-to-report latency (p50, p99
// from the controller's histogram: bucket upper bounds) under 50
// Deployment updates per second for 20 s, and the requests per second the
// controller sends the API server at rest and under those updates.
//
//	go test ./internal/controller -run '^$' -bench Controller20k -benchtime 1x -timeout 60m
func BenchmarkController20k(b *testing.B) {
	kubetest.SkipIfShort(b)
	cl := kubetest.Start(b, kubetest.Options{})
	installCRDs(b, cl.Config, reportsModuleCRDs(b))
	fcfg := rest.CopyConfig(cl.Config)
	fcfg.QPS, fcfg.Burst = 1000, 2000
	cs := kubernetes.NewForConfigOrDie(fcfg)
	start := time.Now()
	n := kubetest.Fill(b, cs, 163)
	b.Logf("created %d objects in %s", n, time.Since(start).Round(time.Second))
	nsList, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		var requests atomic.Int64
		reg := prometheus.NewRegistry()
		cfg := rest.CopyConfig(cl.Config)
		cfg.QPS, cfg.Burst = 20, 40 // the CLI's default
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return counting{rt, &requests} })
		b.ResetTimer()
		start := time.Now()
		r := start0(b, cfg, reg)
		ctx := context.Background()
		eventually(b, "every namespace's report", func() error {
			rs, err := reports(ctx, cl.Config, policyreport.OpenReports, "")
			if err != nil || len(rs) == 0 {
				return fmt.Errorf("no cluster report")
			}
			list, err := r.c.writer.dyn.Resource(policyreport.OpenReports.GVR(true)).List(ctx, metav1.ListOptions{LabelSelector: policyreport.Selector})
			if err != nil {
				return err
			}
			if len(list.Items) < len(nsList.Items) {
				return fmt.Errorf("%d of %d namespaces", len(list.Items), len(nsList.Items))
			}
			return nil
		})
		first := time.Since(start)
		b.StopTimer()
		b.ReportMetric(first.Seconds(), "first-reports-s")

		time.Sleep(2 * time.Second)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		objects := r.c.objectCount()
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(objects), "objects")
		series, findingSeries := 0, 0
		for _, line := range gather(b, reg) {
			if strings.HasPrefix(line, "kubeward_") {
				series++
			}
			if strings.HasPrefix(line, "kubeward_findings{") {
				findingSeries++
			}
		}
		b.ReportMetric(float64(series), "kubeward-series")
		b.Logf("metrics: %d kubeward_ series (histograms counted once), %d of them kubeward_findings", series, findingSeries)

		before := requests.Load()
		time.Sleep(10 * time.Second)
		rest := float64(requests.Load()-before) / 10

		// 50 updates a second, round robin over the Deployments.
		latency0 := histogram(b, reg)
		before = requests.Load()
		const seconds, rate = 20, 50
		tick := time.NewTicker(time.Second / rate)
		for i := range seconds * rate {
			<-tick.C
			ns, name := fmt.Sprintf("team-%03d", i%163), fmt.Sprintf("app-%d", (i/163)%10)
			patch := fmt.Sprintf(`{"metadata":{"annotations":{"bench":"%d"}}}`, i)
			go func() {
				_, _ = cs.AppsV1().Deployments(ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
			}()
		}
		tick.Stop()
		time.Sleep(3 * time.Second)
		busy := float64(requests.Load()-before) / (seconds + 3)
		latency := histogram(b, reg)
		p50, p99 := quantile(latency0, latency, 0.5), quantile(latency0, latency, 0.99)
		b.ReportMetric(p50, "p50-s")
		b.ReportMetric(p99, "p99-s")
		b.ReportMetric(rest, "rest-req/s")
		b.ReportMetric(busy, "busy-req/s")
		b.Logf("%d objects: first reports %.1f s, heap %.0f MiB, latency p50 <= %.2f s, p99 <= %.2f s (%d changes), API requests %.2f/s at rest, %.1f/s under %d updates/s, GOMAXPROCS %d",
			objects, first.Seconds(), float64(ms.HeapInuse)/(1<<20), p50, p99, int(latency.GetSampleCount()-latency0.GetSampleCount()), rest, busy, rate, runtime.GOMAXPROCS(0))
		r.stop(b)
	}
}

// start0 is start for a benchmark: the given config and registry.
func start0(b *testing.B, cfg *rest.Config, reg *prometheus.Registry) *running {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: New(Options{Config: cfg, Context: "bench", Checks: check.All(), Registerer: reg}), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.c.Run(ctx) }()
	b.Cleanup(func() { r.stop(b) })
	return r
}

func histogram(b *testing.B, reg *prometheus.Registry) *dto.Histogram {
	fams, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range fams {
		if mf.GetName() == "kubeward_change_to_report_seconds" {
			return mf.GetMetric()[0].GetHistogram()
		}
	}
	b.Fatal("no latency histogram")
	return nil
}

// quantile is the upper bound of the bucket holding the q-quantile of the
// observations made between two readings of a histogram.
func quantile(before, after *dto.Histogram, q float64) float64 {
	total := after.GetSampleCount() - before.GetSampleCount()
	if total == 0 {
		return math.NaN()
	}
	for i, bk := range after.GetBucket() {
		if float64(bk.GetCumulativeCount()-before.GetBucket()[i].GetCumulativeCount()) >= q*float64(total) {
			return bk.GetUpperBound()
		}
	}
	return math.Inf(1)
}
