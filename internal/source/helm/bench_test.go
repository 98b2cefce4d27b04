package helm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
)

// BenchmarkRenderScaffold renders the chart `helm create` writes
// (Deployment, Service, ServiceAccount, Ingress, HPA, HTTPRoute, test hook,
// helpers, NOTES) with the ingress and autoscaling turned on.
func BenchmarkRenderScaffold(b *testing.B) {
	dir, err := chartutil.Create("web", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	benchRender(b, dir, Options{Set: []string{"ingress.enabled=true,autoscaling.enabled=true"}})
}

// BenchmarkRenderArchive renders the same chart from its .tgz package.
func BenchmarkRenderArchive(b *testing.B) {
	tmp := b.TempDir()
	dir, err := chartutil.Create("web", tmp)
	if err != nil {
		b.Fatal(err)
	}
	c, err := loader.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	tgz, err := chartutil.Save(c, tmp)
	if err != nil {
		b.Fatal(err)
	}
	benchRender(b, tgz, Options{Set: []string{"ingress.enabled=true,autoscaling.enabled=true"}})
}

// BenchmarkRenderUmbrella renders an umbrella chart vendoring ten
// scaffolded subcharts in charts/, with a values file, the shape of a
// platform team's chart (55 manifests rendered).
func BenchmarkRenderUmbrella(b *testing.B) {
	dir, vf := umbrella(b)
	benchRender(b, dir, Options{ValuesFiles: []string{vf}})
}

// BenchmarkHelmSDKUmbrella is the baseline: the Helm SDK calls `helm
// template` makes for the same chart (load, dependencies, values, engine),
// without kubeward's dependency check, offline schema validation, hook
// filtering and per-template output.
func BenchmarkHelmSDKUmbrella(b *testing.B) {
	dir, vf := umbrella(b)
	r, err := New(Options{ValuesFiles: []string{vf}})
	if err != nil {
		b.Fatal(err)
	}
	measure(b, func() {
		c, err := loader.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		vals, _ := deepCopy(r.values).(map[string]any)
		if err := chartutil.ProcessDependencies(c, vals); err != nil {
			b.Fatal(err)
		}
		top, err := commonutil.ToRenderValuesWithSchemaValidation(c, vals, r.release, r.caps, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := engine.Render(c, top); err != nil {
			b.Fatal(err)
		}
	})
}

func umbrella(b *testing.B) (dir, valuesFile string) {
	tmp := b.TempDir()
	dir, err := chartutil.Create("platform", tmp)
	if err != nil {
		b.Fatal(err)
	}
	values := "ingress:\n  enabled: true\n"
	deps := "dependencies:\n"
	for i := range 10 {
		name := fmt.Sprintf("svc%d", i)
		if _, err := chartutil.Create(name, filepath.Join(dir, "charts")); err != nil {
			b.Fatal(err)
		}
		deps += fmt.Sprintf("  - name: %s\n    version: 0.1.0\n", name)
		values += fmt.Sprintf("%s:\n  replicaCount: 2\n  autoscaling:\n    enabled: true\n", name)
	}
	f, err := os.OpenFile(filepath.Join(dir, "Chart.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.WriteString(deps); err != nil {
		b.Fatal(err)
	}
	f.Close()
	vf := filepath.Join(tmp, "values-prod.yaml")
	if err := os.WriteFile(vf, []byte(values), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, vf
}

func benchRender(b *testing.B, chart string, opts Options) {
	r, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	in, err := r.Render(chart, "chart")
	if err != nil {
		b.Fatal(err)
	}
	measure(b, func() {
		if _, err := r.Render(chart, "chart"); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(len(in)), "templates")
}

// measure runs f b.N times and reports its CPU time too, which varies less
// than wall time on a shared machine.
func measure(b *testing.B, f func()) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		f()
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0)/float64(b.N)*1e3, "cpu-ms/op")
}

// cpuTime is the process's user and system CPU time in seconds: on a
// shared machine it varies less than wall time.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkRenderCertManager renders cert-manager's chart (v1.16.2: 42
// templates, a values schema, 46 objects), when the Go module cache holds
// it (go mod download github.com/cert-manager/cert-manager@v1.16.2); its
// repository keeps Chart.yaml as a template the release fills in.
func BenchmarkRenderCertManager(b *testing.B) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, "go", "pkg", "mod")
	}
	src := filepath.Join(cache, "github.com", "cert-manager", "cert-manager@v1.16.2", "deploy", "charts", "cert-manager")
	tpl, err := os.ReadFile(filepath.Join(src, "Chart.template.yaml"))
	if err != nil {
		b.Skipf("cert-manager chart not in the module cache: %v", err)
	}
	dir := filepath.Join(b.TempDir(), "cert-manager")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		b.Fatal(err)
	}
	chartYAML := strings.NewReplacer("{{IS_PRERELEASE}}", "false", "version: v0.0.0", "version: v1.16.2", "appVersion: v0.0.0", "appVersion: v1.16.2").Replace(string(tpl))
	if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(chartYAML), 0o644); err != nil {
		b.Fatal(err)
	}
	benchRender(b, dir, Options{KubeVersion: "1.33", Set: []string{"crds.enabled=true,prometheus.podmonitor.enabled=true,webhook.networkPolicy.enabled=true"}})
}
