package resolve

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func newResolver(t *testing.T, reg *registrytest.Registry, opts Options) *Resolver {
	t.Helper()
	if opts.Client == nil {
		c, err := registry.New(registry.Options{RootCAs: reg.CAs, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		opts.Client = c
	}
	if opts.Keychains == nil {
		opts.Keychains = func(context.Context, Use) (string, authn.Keychain, error) { return "test", reg.Keychain(), nil }
	}
	return New(opts)
}

func push(t *testing.T, reg *registrytest.Registry, repoTag string) name.Digest {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return reg.Push(t, repoTag, img)
}

// counting is an analyzer that counts the images it is asked about.
type counting struct{ n atomic.Int64 }

func (c *counting) Name() string { return "count" }
func (c *counting) Analyze(_ context.Context, in *Input) (any, error) {
	c.n.Add(1)
	return in.Digest.DigestStr(), nil
}

// Many pods of few images cost one resolution and one analysis per image.
func TestResolveDedupes(t *testing.T) {
	reg := registrytest.New(t)
	var want []name.Digest
	for i := range 3 {
		want = append(want, push(t, reg, fmt.Sprintf("app%d:v1", i)))
	}
	// One image under a tag and by digest is one image.
	byDigest := want[0].String()
	an := &counting{}
	r := newResolver(t, reg, Options{Analyzers: []Analyzer{an}})
	var uses []Use
	for pod := range 100 {
		uses = append(uses, Use{Image: fmt.Sprintf("%s/app%d:v1", reg.Host, pod%3), Namespace: "ns"})
	}
	uses = append(uses, Use{Image: byDigest}, Use{Image: "Not A Reference"})
	before := reg.Requests()
	set := r.Resolve(context.Background(), uses)
	if n := an.n.Load(); n != 3 {
		t.Errorf("analyzed %d images, want 3", n)
	}
	for i, d := range want {
		f, ok := set.Lookup(fmt.Sprintf("%s/app%d:v1", reg.Host, i))
		if !ok || f.Digest != d.DigestStr() || f.Error != "" || f.Analyses["count"].Value != d.DigestStr() {
			t.Errorf("app%d: %+v", i, f)
		}
	}
	if f, ok := set.Lookup(byDigest); !ok || f != must(set.Lookup(fmt.Sprintf("%s/app0:v1", reg.Host))) {
		t.Errorf("the digest reference does not share the tag's facts: %+v", f)
	}
	if _, ok := set.Lookup("Not A Reference"); ok {
		t.Error("an invalid reference has facts")
	}
	if got := len(set.Images()); got != 3 {
		t.Errorf("%d distinct images, want 3", got)
	}
	// The ping and one tag lookup per image, nothing per pod.
	if n := reg.Requests() - before; n > 8 {
		t.Errorf("%d registry requests for 3 images: %v", n, reg.Paths())
	}
	// Again: everything from memory.
	before = reg.Requests()
	r.Resolve(context.Background(), uses)
	if n := reg.Requests() - before; n != 0 || an.n.Load() != 3 {
		t.Errorf("a warm resolve made %d requests and %d analyses", n, an.n.Load())
	}
}

func must(f *facts.Facts, _ bool) *facts.Facts { return f }

// A caller whose budget runs out gets facts that say so at once; the
// lookup goes on, and the next caller finds it done.
func TestBudgetRunsOutWithoutHanging(t *testing.T) {
	reg := registrytest.New(t)
	push(t, reg, "slow:v1")
	reg.SetDelay(300 * time.Millisecond)
	r := newResolver(t, reg, Options{})
	ref := reg.Host + "/slow:v1"
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	set := r.Resolve(ctx, []Use{{Image: ref}})
	if el := time.Since(start); el > time.Second {
		t.Fatalf("waited %s past a 50ms budget", el)
	}
	f, _ := set.Lookup(ref)
	if f == nil || !strings.Contains(f.Error, "time budget") {
		t.Fatalf("facts = %+v, want a budget error", f)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		set = r.Resolve(context.Background(), []Use{{Image: ref}})
		if f, _ := set.Lookup(ref); f != nil && f.Digest != "" && f.Error == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lookup never finished")
		}
	}
}

// A registry that is down or slow costs one failure, then answers from
// memory until the failure is forgotten.
func TestFailuresAreRememberedBriefly(t *testing.T) {
	reg := registrytest.New(t)
	push(t, reg, "slow:v1")
	ref := reg.Host + "/slow:v1"
	reg.SetDelay(5 * time.Second)
	c, err := registry.New(registry.Options{RootCAs: reg.CAs, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := newResolver(t, reg, Options{Client: c, ErrorTTL: time.Hour})
	f1, _ := r.Resolve(context.Background(), []Use{{Image: ref}}).Lookup(ref)
	if f1 == nil || !strings.Contains(f1.Error, "did not answer within 200ms") {
		t.Fatalf("facts = %+v", f1)
	}
	start := time.Now()
	f2, _ := r.Resolve(context.Background(), []Use{{Image: ref}}).Lookup(ref)
	if f2 == nil || f2.Error != f1.Error {
		t.Fatalf("second lookup: %+v", f2)
	}
	if el := time.Since(start); el > 150*time.Millisecond {
		t.Fatalf("the second lookup asked the registry again (%s)", el)
	}
}

func TestMemoEvictsBeyondMax(t *testing.T) {
	m := newMemo[int](10, time.Hour, time.Hour)
	for i := range 100 {
		v, err := m.get(context.Background(), fmt.Sprint(i), func() (int, error) { return i, nil })
		if err != nil || v != i {
			t.Fatalf("get %d = %d, %v", i, v, err)
		}
	}
	if n := m.len(); n > 10 {
		t.Fatalf("%d entries kept, max 10", n)
	}
}

// TestMemoExpires: a value past its time is answered at once while it is
// made again, once; then the new value is answered. A failed remake is
// answered as a failure.
func TestMemoExpires(t *testing.T) {
	m := newMemo[int](10, time.Minute, time.Second)
	var mu sync.Mutex
	now := time.Now()
	m.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var builds atomic.Int32
	release := make(chan struct{})
	fail := errors.New("registry down")
	build := func() (int, error) {
		n := int(builds.Add(1))
		if n > 1 {
			<-release
		}
		if n == 3 {
			return 0, fail
		}
		return n, nil
	}
	get := func() (int, error) { return m.get(context.Background(), "k", build) }
	a, _ := get()
	b, _ := get()
	advance(2 * time.Minute)
	c, _ := get() // stale, remade in the background
	d, _ := get() // stale still; no second remake
	if a != 1 || b != 1 || c != 1 || d != 1 {
		t.Fatalf("values %d %d %d %d, want 1 1 1 1", a, b, c, d)
	}
	waitFor(t, func() bool { return builds.Load() == 2 })
	release <- struct{}{}
	waitFor(t, func() bool { v, _ := get(); return v == 2 })
	advance(2 * time.Minute)
	if v, err := get(); v != 2 || err != nil {
		t.Fatalf("stale value %d, %v", v, err)
	}
	release <- struct{}{}
	waitFor(t, func() bool { _, err := get(); return errors.Is(err, fail) })
	// One remake per expiry: a second one would have been a build of its own.
	if builds.Load() != 3 {
		t.Fatalf("%d builds, want 3", builds.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestUsesIncludeRunningDigests: in cluster mode the digest a live pod
// runs is resolved too, with the pod's pull credentials.
func TestUsesIncludeRunningDigests(t *testing.T) {
	d := "sha256:" + strings.Repeat("c", 64)
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "shop"},
		Spec: corev1.PodSpec{ServiceAccountName: "web", ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}},
			Containers: []corev1.Container{{Name: "web", Image: "ghcr.io/acme/web:1.0"}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "web", ImageID: "ghcr.io/acme/web@" + d}}}}
	o, err := inventory.New(pod, inventory.Source{Cluster: "test"})
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.NewInventory()
	inv.Add(o)
	got := Uses(inv)
	want := []Use{{Image: "ghcr.io/acme/web:1.0", Namespace: "shop", ServiceAccount: "web", PullSecrets: []string{"pull"}},
		{Image: "ghcr.io/acme/web@" + d, Namespace: "shop", ServiceAccount: "web", PullSecrets: []string{"pull"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uses = %+v", got)
	}
}

// reading is an analyzer that reads the image's manifest and config with
// the session it is given.
type reading struct{}

func (reading) Name() string { return "read" }
func (reading) Analyze(ctx context.Context, in *Input) (any, error) {
	img, err := in.Image(ctx, v1.Platform{})
	if err != nil {
		return nil, err
	}
	return img.ConfigName()
}

// TestDigestNeedsTheUsersCredentials: what is learnt of a digest is
// shared, so a workload whose credentials the registry refuses is told so,
// and does not spoil the digest for a workload whose credentials it takes;
// a reference both use is learnt with the credentials that work.
func TestDigestNeedsTheUsersCredentials(t *testing.T) {
	reg := registrytest.New(t)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ref := push(t, reg, "acme/private:1").String()
	r := newResolver(t, reg, Options{Analyzers: []Analyzer{reading{}}, Keychains: func(_ context.Context, u Use) (string, authn.Keychain, error) {
		if u.Namespace == "trusted" {
			return "trusted", reg.Keychain(), nil
		}
		return "stranger", authn.NewMultiKeychain(), nil
	}})
	ctx := context.Background()
	stranger := must(r.Resolve(ctx, []Use{{Image: ref, Namespace: "other"}}).Lookup(ref))
	if !strings.Contains(stranger.Error, "refused access") {
		t.Errorf("without credentials: %+v", stranger)
	}
	trusted := must(r.Resolve(ctx, []Use{{Image: ref, Namespace: "trusted"}}).Lookup(ref))
	if a := trusted.Analyses["read"]; trusted.Error != "" || a.Error != "" {
		t.Errorf("with credentials: %+v", trusted)
	}
	// A scan of both: the stranger's refusal does not hide the image from
	// the workload whose credentials read it.
	tag := push(t, reg, "acme/private:2").Context().Tag("2").String()
	both := must(r.Resolve(ctx, []Use{{Image: tag, Namespace: "other"}, {Image: tag, Namespace: "trusted"}}).Lookup(tag))
	if both.Error != "" || both.Analyses["read"].Error != "" {
		t.Errorf("a reference of both workloads: %+v", both)
	}
}

// overlapping is an analyzer that records how many images it analyses
// at once.
type overlapping struct {
	now, peak atomic.Int64
}

func (o *overlapping) Name() string { return "overlap" }
func (o *overlapping) Analyze(context.Context, *Input) (any, error) {
	n := o.now.Add(1)
	defer o.now.Add(-1)
	for p := o.peak.Load(); n > p && !o.peak.CompareAndSwap(p, n); p = o.peak.Load() {
	}
	time.Sleep(20 * time.Millisecond) // long enough for the others to start
	return nil, nil
}

// Options.Analyses bounds the images analysed at once, below the images
// judged at once: each analysis may unpack a whole image to disk, and the
// chart sizes the webhook's disk for this many.
func TestAnalysesBound(t *testing.T) {
	reg := registrytest.New(t)
	var uses []Use
	for i := range 6 {
		push(t, reg, fmt.Sprintf("app%d:v1", i))
		uses = append(uses, Use{Image: fmt.Sprintf("%s/app%d:v1", reg.Host, i)})
	}
	an := &overlapping{}
	r := newResolver(t, reg, Options{Analyzers: []Analyzer{an}, Workers: 6, Analyses: 2})
	set := r.Resolve(context.Background(), uses)
	if got := len(set.Images()); got != 6 {
		t.Fatalf("%d images judged, want 6", got)
	}
	if p := an.peak.Load(); p > 2 {
		t.Errorf("%d images analysed at once, bound 2", p)
	}
}
