package controller

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// BenchmarkControllerRSS is the controller as users run it: the kubeward
// binary in its own process, on a real API server whose world grows in
// steps of kubetest.FillRange (0, 41, 82 and 163 namespaces: about 0,
// 5,000, 10,000 and 20,000 objects). At each step a fresh controller runs
// until it has written every namespace's report; the benchmark reports its
// resident memory then (VmRSS, after 5 s at rest) and at its peak (VmHWM),
// and the slope of each per 1,000 watched objects between the first and
// last steps.
//
//	go test ./internal/controller -run '^$' -bench ControllerRSS -benchtime 1x -timeout 60m
func BenchmarkControllerRSS(b *testing.B) {
	kubetest.SkipIfShort(b)
	cl := kubetest.Start(b, kubetest.Options{})
	installCRDs(b, cl.Config, reportsModuleCRDs(b))
	bin := kubetest.BuildKubeward(b)
	fcfg := rest.CopyConfig(cl.Config)
	fcfg.QPS, fcfg.Burst = 1000, 2000
	cs := kubernetes.NewForConfigOrDie(fcfg)
	type point struct{ objects, rss, hwm float64 }
	var points []point
	for range b.N {
		filled := 0
		for _, to := range []int{0, 41, 82, 163} {
			kubetest.FillRange(b, cs, filled, to)
			filled = to
			objects, rss, hwm := runControllerOnce(b, bin, cl)
			points = append(points, point{objects, rss, hwm})
			b.Logf("%.0f watched objects: RSS %.0f MiB at rest, peak %.0f MiB", objects, rss, hwm)
		}
	}
	first, last := points[0], points[len(points)-1]
	per := (last.objects - first.objects) / 1000
	b.ReportMetric(last.objects, "objects")
	b.ReportMetric(first.rss, "empty-rss-MiB")
	b.ReportMetric(last.rss, "rss-MiB")
	b.ReportMetric(last.hwm, "peak-rss-MiB")
	b.ReportMetric((last.rss-first.rss)/per, "rss-MiB/1k-objects")
	b.ReportMetric((last.hwm-first.hwm)/per, "peak-MiB/1k-objects")
}

// runControllerOnce starts `kubeward controller` on the cluster with its
// reports cleared, waits for every namespace's report, and returns the
// objects it watches and its memory in MiB.
func runControllerOnce(b *testing.B, bin string, cl *kubetest.Cluster) (objects, rss, hwm float64) {
	b.Helper()
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(cl.Config)
	gvr := policyreport.OpenReports.GVR(true)
	old, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: policyreport.Selector})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range old.Items {
		if err := dyn.Resource(gvr).Namespace(r.GetNamespace()).Delete(ctx, r.GetName(), metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	nsList, err := kubernetes.NewForConfigOrDie(cl.Config).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "controller", "--kubeconfig", cl.Kubeconfig, "--leader-elect=false", "--health-listen", addr, "--log-level", "error")
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		<-exited
	}()
	deadline := time.Now().Add(15 * time.Minute)
	for {
		list, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: policyreport.Selector})
		if err == nil && len(list.Items) >= len(nsList.Items) {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			b.Fatalf("the controller exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			b.Fatalf("the controller wrote no report for every namespace within 15 minutes (%v)", err)
		}
		time.Sleep(time.Second)
	}
	time.Sleep(5 * time.Second)
	rss, hwm = kubetest.ProcStatusMiB(b, cmd.Process.Pid, "VmRSS"), kubetest.ProcStatusMiB(b, cmd.Process.Pid, "VmHWM")
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "kubeward_watched_objects "); ok {
			objects, _ = strconv.ParseFloat(v, 64)
		}
	}
	if objects == 0 {
		b.Fatal("no kubeward_watched_objects in /metrics")
	}
	return objects, rss, hwm
}
