//go:build unix

package vulndb_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/enricher/vulnmatch/osvlocal"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin/config"
	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

// The real OSV archives cannot be fetched here; the benchmarks build a
// synthetic one of the chosen size (osvtest.Synthetic). -osv-advisories
// 500000 is about the size of the whole real database (see
// docs/PERFORMANCE.md).
var benchAdvisories = flag.Int("osv-advisories", 20000, "advisories in the synthetic OSV archive of the benchmarks")

type benchFixture struct {
	dir, mirror string
	build       time.Duration
	zipBytes    int64
}

var (
	fixtureOnce sync.Once
	fixture     benchFixture
	fixtureErr  error
)

// benchDB writes the synthetic archive once per process and fetches it
// through Update from a file:// mirror (indexing included).
func benchDB(b *testing.B) benchFixture {
	fixtureOnce.Do(func() {
		root, err := os.MkdirTemp("", "kubeward-osv-bench-")
		if err != nil {
			fixtureErr = err
			return
		}
		fixture.mirror = filepath.Join(root, "mirror")
		fixture.dir = filepath.Join(root, "db")
		if fixtureErr = os.MkdirAll(filepath.Join(fixture.mirror, "Debian"), 0o755); fixtureErr != nil {
			return
		}
		zipPath := filepath.Join(fixture.mirror, "Debian", "all.zip")
		f, err := os.Create(zipPath)
		if err != nil {
			fixtureErr = err
			return
		}
		n := *benchAdvisories
		if fixtureErr = osvtest.Synthetic(f, "Debian", n, max(n/10, 1000)); fixtureErr != nil {
			return
		}
		f.Close()
		st, _ := os.Stat(zipPath)
		fixture.zipBytes = st.Size()
		start := time.Now()
		_, fixtureErr = vulndb.Update(context.Background(), fixture.dir, vulndb.UpdateOptions{Remote: "file://" + fixture.mirror, Ecosystems: []string{"Debian"}})
		fixture.build = time.Since(start)
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixture
}

// imagePackages is a Debian image of 2,000 binary packages built from 700
// source packages, all at 1.25-1, one of them the hot package.
func imagePackages() []*extractor.Package {
	var out []*extractor.Package
	for j := 0; j < 2000; j++ {
		source := fmt.Sprintf("pkg-%d", j%700)
		if j == 0 {
			source = "pkg-hot"
		}
		out = append(out, deb(fmt.Sprintf("bin-%d", j), source, "1.25-1"))
	}
	return out
}

// cpuTime is the process's user and system CPU time: on a machine shared
// with other work, wall time measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the live heap while fn runs and returns its peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if v := read(); v > peak {
				peak = v
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	if v := read(); v > peak {
		peak = v
	}
	return peak - base
}

// BenchmarkMatch2000 matches a 2,000-package image with kubeward's index.
func BenchmarkMatch2000(b *testing.B) {
	fx := benchDB(b)
	pkgs := imagePackages()
	var findings int
	match := func() {
		db, err := vulndb.Open(fx.dir)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		res, err := db.Match(context.Background(), pkgs)
		if err != nil || !res.Complete() {
			b.Fatalf("%v %+v", err, res.Problems)
		}
		findings = len(res.Findings)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		match()
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.StopTimer()
	// The peak is measured on one more run: sampling slows the timed ones.
	peak := peakHeap(match)
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(fx.zipBytes)/(1<<20), "archive-MiB")
	b.ReportMetric(fx.build.Seconds(), "update-s")
}

// BenchmarkMatch2000OSVLocal is the baseline: osv-scalibr's own osvlocal
// enricher on the same archive and packages (offline mode), which reads
// the archive whole and decodes every advisory.
func BenchmarkMatch2000OSVLocal(b *testing.B) {
	fx := benchDB(b)
	local := filepath.Join(filepath.Dir(fx.dir), "osvlocal")
	if err := os.MkdirAll(filepath.Join(local, "osv-scalibr", "Debian"), 0o755); err != nil {
		b.Fatal(err)
	}
	link := filepath.Join(local, "osv-scalibr", "Debian", "all.zip")
	os.Remove(link)
	if err := os.Symlink(filepath.Join(fx.mirror, "Debian", "all.zip"), link); err != nil {
		b.Fatal(err)
	}
	cfg := config.DefaultPluginConfig()
	cfg.ProtoConfig = &cpb.PluginConfig{PluginSpecific: []*cpb.PluginSpecificConfig{{
		Config: &cpb.PluginSpecificConfig_Osvlocal{Osvlocal: &cpb.OSVLocalConfig{LocalPath: local, Download: false}},
	}}}
	var findings int
	enrich := func() {
		e, err := osvlocal.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		inv := &inventory.Inventory{Packages: imagePackages()}
		if err := e.Enrich(context.Background(), nil, inv); err != nil {
			b.Fatal(err)
		}
		findings = len(inv.PackageVulns)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		enrich()
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.StopTimer()
	peak := peakHeap(enrich)
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
