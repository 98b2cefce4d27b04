package verify_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/image/verify/sigtest"
)

// BenchmarkVerify300 verifies 300 distinct images, each signed keyless in
// cosign's tag scheme, against the in-process TLS registry on loopback,
// as scan --images or a cluster scan of 300 images does:
//
//   - resolve-only (the baseline): tags to digests, nothing verified; the
//     round trips no registry client avoids;
//   - cold: a new process with an empty disk cache;
//   - warm-disk: a new process whose disk cache holds the signatures'
//     manifests and layers (a second CI run);
//   - warm-memory: the same resolver again (the webhook's steady state).
//
// Each reports milliseconds per image and registry requests per image.
func BenchmarkVerify300(b *testing.B) {
	const n = 300
	e := setup(b)
	uses := make([]resolve.Use, n)
	for i := range n {
		d := e.image(b, fmt.Sprintf("acme/app-%03d:1.0", i))
		sigtest.PushLayers(b, e.reg, d, ".sig", e.ss.SignKeyless(b, sigtest.Payload(d), releaser, issuer))
		uses[i] = resolve.Use{Image: fmt.Sprintf("%s/acme/app-%03d:1.0", e.reg.Host, i)}
	}
	v := e.verifier(b, policy(e, keyless(releaser)))
	keychains := func(context.Context, resolve.Use) (string, authn.Keychain, error) {
		return "bench", e.reg.Keychain(), nil
	}
	newResolver := func(b *testing.B, cache string, vf resolve.Verifier) *resolve.Resolver {
		c, err := registry.New(registry.Options{RootCAs: e.reg.CAs, CacheDir: cache})
		if err != nil {
			b.Fatal(err)
		}
		return resolve.New(resolve.Options{Client: c, Verifier: vf, Keychains: keychains})
	}
	run := func(b *testing.B, rs *resolve.Resolver, verified bool) {
		set := rs.Resolve(context.Background(), uses)
		for _, u := range uses {
			f, ok := set.Lookup(u.Image)
			if !ok || f.Error != "" || f.Digest == "" {
				b.Fatalf("%s: %+v", u.Image, f)
			}
			if verified && (len(f.Signatures) != 1 || !f.Signatures[0].Trusted()) {
				b.Fatalf("%s not verified: %+v", u.Image, f.Signatures)
			}
		}
	}
	measure := func(b *testing.B, each func(b *testing.B)) {
		req := e.reg.Requests()
		var busy time.Duration
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			each(b)
			busy += time.Since(t0)
		}
		b.StopTimer()
		b.ReportMetric(float64(busy.Microseconds())/1000/float64(b.N*n), "ms/image")
		b.ReportMetric(float64(e.reg.Requests()-req)/float64(b.N*n), "requests/image")
	}
	b.Run("resolve-only", func(b *testing.B) {
		measure(b, func(b *testing.B) { run(b, newResolver(b, "", nil), false) })
	})
	b.Run("cold", func(b *testing.B) {
		measure(b, func(b *testing.B) {
			b.StopTimer()
			dir, err := os.MkdirTemp(b.TempDir(), "cache")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			run(b, newResolver(b, dir, v), true)
		})
	})
	b.Run("warm-disk", func(b *testing.B) {
		dir := b.TempDir()
		run(b, newResolver(b, dir, v), true)
		measure(b, func(b *testing.B) { run(b, newResolver(b, dir, v), true) })
	})
	b.Run("warm-memory", func(b *testing.B) {
		rs := newResolver(b, b.TempDir(), v)
		run(b, rs, true)
		measure(b, func(b *testing.B) { run(b, rs, true) })
	})
}
