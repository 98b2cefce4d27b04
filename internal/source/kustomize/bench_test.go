package kustomize

import (
	"github.com/kubeward/kubeward/internal/sharedtest"
	"os"
	"path/filepath"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"strings"
	"syscall"
	"testing"
)

// BenchmarkBuildOverlay builds the fixture overlay: a base, a component,
// patches and generators (5 objects).
func BenchmarkBuildOverlay(b *testing.B) {
	benchBuild(b, "testdata/overlays/prod")
}

// BenchmarkBuildKubePrometheus builds an overlay over the kube-prometheus
// manifests of the shared corpus (its CRDs included), with a namespace, a
// label and a patch, as a real repository would.
func BenchmarkBuildKubePrometheus(b *testing.B) {
	benchBuild(b, kubePrometheus(b))
}

// BenchmarkKrustyKubePrometheus is kustomize's own build of the same
// overlay, without kubeward's checks, origins and per-object output: the
// floor for BenchmarkBuildKubePrometheus.
func BenchmarkKrustyKubePrometheus(b *testing.B) {
	benchKrusty(b, kubePrometheus(b))
}

// BenchmarkKrustyOverlay is kustomize's own build of the fixture overlay.
func BenchmarkKrustyOverlay(b *testing.B) {
	benchKrusty(b, "testdata/overlays/prod")
}

func benchKrusty(b *testing.B, dir string) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	measure(b, func() {
		m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.AsYaml(); err != nil {
			b.Fatal(err)
		}
	})
}

func kubePrometheus(b *testing.B) string {
	src := filepath.Join(sharedtest.Dir(b, "corpus"), "kube-prometheus", "manifests")
	files, _ := filepath.Glob(filepath.Join(src, "*.yaml"))
	setup, _ := filepath.Glob(filepath.Join(src, "setup", "*.yaml"))
	files = append(files, setup...)
	if len(files) == 0 {
		b.Fatalf("no manifests in %s", src)
	}
	dir := b.TempDir()
	base := filepath.Join(dir, "base")
	overlay := filepath.Join(dir, "overlay")
	for _, d := range []string{base, overlay} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	var res []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(f)
		if err := os.WriteFile(filepath.Join(base, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
		res = append(res, "  - "+name)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write(filepath.Join(base, "kustomization.yaml"), "resources:\n"+strings.Join(res, "\n")+"\n")
	write(filepath.Join(overlay, "kustomization.yaml"), `resources: [../base]
labels:
  - pairs: {team: observability}
patches:
  - target: {kind: Deployment}
    patch: |-
      - op: add
        path: /metadata/annotations
        value: {reviewed: "yes"}
`)
	return overlay
}

func benchBuild(b *testing.B, dir string) {
	r := New()
	in, err := r.Render(dir, dir)
	if err != nil {
		b.Fatal(err)
	}
	size := 0
	for _, x := range in {
		size += len(x.Data)
	}
	measure(b, func() {
		if _, err := r.Render(dir, dir); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(len(in)), "objects")
	b.ReportMetric(float64(size)/1e6, "MB-out")
}

// measure runs f b.N times and reports its CPU time too, which varies less
// than wall time on a shared machine.
func measure(b *testing.B, f func()) {
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for b.Loop() {
		f()
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
}
