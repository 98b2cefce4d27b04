// Package resolve learns the facts about the images of a run: it resolves
// each distinct reference to a digest once, then judges each distinct
// digest once (signatures and attestations through a Verifier, packages
// and advisories through Analyzers), with bounded concurrency, and returns
// the facts keyed by the references as the pod specs write them. A
// resolver that lives on (the webhook's) remembers tags for a short time
// and digests for longer, answers from memory while it asks again, and
// asks a failing registry again only after a pause, so that a registry
// outage costs one timeout, not one per review.
package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/lasting"
)

// Use is one container's image reference and what pulls it.
type Use struct {
	// Image is the reference as the pod spec writes it.
	Image string
	// Namespace, ServiceAccount and PullSecrets say whose credentials the
	// kubelet would pull with (cluster mode).
	Namespace      string
	ServiceAccount string
	PullSecrets    []string
}

// Keychains returns the keychain that pulls a use's image and a key that
// names it (equal keys share connections and tokens). Nil means the
// Docker configuration and credential helpers of the running user.
type Keychains func(ctx context.Context, u Use) (key string, kc authn.Keychain, err error)

// Statement is an in-toto statement from an attestation the image policy
// trusts.
type Statement struct {
	PredicateType string
	Predicate     json.RawMessage
	// Signer is the identity that signed it.
	Signer string
}

// Verifier judges an image's signatures and attestations under the image
// policies (internal/image/verify).
type Verifier interface {
	// Verify fills f.Policies, f.Signatures and f.Attestations, and
	// returns the statements of the trusted attestations.
	Verify(ctx context.Context, s *registry.Session, d name.Digest, f *facts.Facts) []Statement
	// Covers reports whether a policy applies to a repository.
	Covers(repository string) bool
}

// Analyzer learns more about an image (its packages and advisories). Its
// result goes to Facts.Analyses under its name.
type Analyzer interface {
	Name() string
	Analyze(ctx context.Context, in *Input) (any, error)
}

// Input is what an analyzer reads.
type Input struct {
	Digest name.Digest
	// Session reads the image from its registry; nil for a local image.
	Session *registry.Session
	// Attestations are the statements the image policy trusts (an attested
	// SBOM among them).
	Attestations []Statement
	// local is an image read from disk, its platform already chosen.
	local v1.Image
}

// Image returns the image, layers read through the disk cache; platform
// chooses from an index (the zero value: linux/amd64). A local image's
// platform was chosen when it was opened.
func (in *Input) Image(ctx context.Context, platform v1.Platform) (v1.Image, error) {
	if in.local != nil {
		return in.local, nil
	}
	return in.Session.Image(ctx, in.Digest, platform)
}

// Options configure a resolver. Zero durations take the defaults.
type Options struct {
	Client    *registry.Client
	Verifier  Verifier
	Analyzers []Analyzer
	Keychains Keychains
	// Workers bound the images judged at once (default 8).
	Workers int
	// Analyses bound the images analysed at once (default the number of
	// CPUs, at most Workers): listing an image's packages unpacks its
	// layers to disk (up to sbom's bound) and takes a core to decompress
	// them, so the disk a run needs is this many images' worth.
	Analyses int
	// TagTTL keeps a tag's digest (default 1m), FactsTTL a digest's facts
	// (default 10m), ErrorTTL a failure (default 15s).
	TagTTL, FactsTTL, ErrorTTL time.Duration
	// ImageTimeout bounds the judging of one image, all requests included
	// (default 5m).
	ImageTimeout time.Duration
	// MaxEntries bounds each memory cache (default 20,000).
	MaxEntries int
}

// Resolver learns image facts. It is safe for concurrent use.
type Resolver struct {
	opts  Options
	tags  *memo[name.Digest]
	facts *memo[*facts.Facts]
	sem   chan struct{}
	// analyses holds a slot per image being analysed.
	analyses chan struct{}
	// refs keeps references parsed: the webhook asks for the same few
	// images in every review, and parsing them with distribution's regular
	// expressions was three quarters of a warm review's image work.
	refs *lasting.Map[string, parsedRef]
}

// New prepares a resolver.
func New(opts Options) *Resolver {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.TagTTL, time.Minute)
	def(&opts.FactsTTL, 10*time.Minute)
	def(&opts.ErrorTTL, 15*time.Second)
	def(&opts.ImageTimeout, 5*time.Minute)
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 20000
	}
	if opts.Analyses <= 0 {
		opts.Analyses = min(runtime.GOMAXPROCS(0), opts.Workers)
	}
	return &Resolver{
		opts:     opts,
		analyses: make(chan struct{}, opts.Analyses),
		tags:     newMemo[name.Digest](opts.MaxEntries, opts.TagTTL, opts.ErrorTTL),
		facts:    newMemo[*facts.Facts](opts.MaxEntries, opts.FactsTTL, opts.ErrorTTL),
		sem:      make(chan struct{}, opts.Workers),
		refs:     lasting.New[string, parsedRef](opts.MaxEntries),
	}
}

// Resolve learns the facts of every distinct image of uses. It returns
// when all are known or ctx ends; an image not judged by then has facts
// that say so. References that do not parse are left out (the reference
// checks report them).
func (r *Resolver) Resolve(ctx context.Context, uses []Use) *facts.Set {
	// Each reference's distinct pullers (namespace, service account, pull
	// secrets), in order, at most maxPullers.
	type puller struct{ image, namespace, serviceAccount, secrets string }
	pullers := map[string][]Use{}
	seen := map[puller]bool{}
	var refs []string
	for _, u := range uses {
		if u.Image == "" {
			continue
		}
		id := puller{u.Image, u.Namespace, u.ServiceAccount, strings.Join(u.PullSecrets, "\x00")}
		if seen[id] || len(pullers[u.Image]) == maxPullers {
			continue
		}
		seen[id] = true
		if pullers[u.Image] == nil {
			refs = append(refs, u.Image)
		}
		pullers[u.Image] = append(pullers[u.Image], u)
	}
	sort.Strings(refs)
	set := facts.NewSet()
	var mu sync.Mutex
	var wg sync.WaitGroup
	one := func(ref string) {
		f, ok := r.learn(ctx, pullers[ref])
		if ok {
			mu.Lock()
			set.Add(ref, f)
			mu.Unlock()
		}
	}
	// The last reference is learnt in the caller's goroutine: a review of
	// a pod with one image (most) starts no goroutine, and does not queue
	// behind the other reviews' goroutines to be answered from memory.
	for i, ref := range refs {
		if i == len(refs)-1 {
			one(ref)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			one(ref)
		}()
	}
	wg.Wait()
	return set
}

// maxPullers bounds the credentials tried for one reference.
const maxPullers = 8

// learn learns the facts of a reference with the credentials of its first
// puller or, while the registry refuses them (or they cannot be read),
// of the next: in a cluster, one namespace's pull secret may be what
// another's workloads lack (they pull with the node's credentials). The
// first failure is kept when none succeeds.
func (r *Resolver) learn(ctx context.Context, uses []Use) (*facts.Facts, bool) {
	var first *facts.Facts
	for i, u := range uses {
		f, ok, refused := r.one(ctx, u)
		if !ok || !refused {
			return f, ok
		}
		if i == 0 {
			first = f
		}
	}
	return first, true
}

// one learns the facts of one reference; ok is false when it does not
// parse; refused is set when the credentials could not be read or the
// registry refused them.
func (r *Resolver) one(ctx context.Context, u Use) (f *facts.Facts, ok, refused bool) {
	p := r.parse(u.Image)
	if !p.ok {
		return nil, false, false
	}
	fail := func(d string, err error) *facts.Facts {
		return &facts.Facts{Name: p.repo, Digest: d, Error: r.describe(ctx, err)}
	}
	key, kc := "default", authn.Keychain(nil)
	if r.opts.Keychains != nil {
		var err error
		if key, kc, err = r.opts.Keychains(ctx, u); err != nil {
			return fail("", fmt.Errorf("pull credentials: %w", err)), true, true
		}
	}
	s, err := r.opts.Client.Session(key, kc)
	if err != nil {
		return fail("", err), true, false
	}
	d, err := r.tags.get(ctx, key+" "+p.tagged, func() (name.Digest, error) {
		bctx, cancel := r.detached(ctx)
		defer cancel()
		return s.Resolve(bctx, p.ref)
	})
	if err != nil {
		return fail(p.digest, err), true, registry.Refused(err)
	}
	f, err = r.facts.get(ctx, p.repo+"@"+d.DigestStr(), func() (*facts.Facts, error) {
		return r.judge(ctx, s, p.repo, d)
	})
	if err != nil {
		return fail(d.DigestStr(), err), true, false
	}
	return f, true, false
}

// judge verifies and analyses one digest. Its error is kept briefly: it
// means the registry could not be read, and the facts are then not kept.
func (r *Resolver) judge(ctx context.Context, s *registry.Session, repo string, d name.Digest) (*facts.Facts, error) {
	bctx, cancel := r.detached(ctx)
	defer cancel()
	select {
	case r.sem <- struct{}{}:
		defer func() { <-r.sem }()
	case <-bctx.Done():
		return nil, bctx.Err()
	}
	f := &facts.Facts{Name: repo, Digest: d.DigestStr()}
	var stmts []Statement
	if r.opts.Verifier != nil {
		stmts = r.opts.Verifier.Verify(bctx, s, d, f)
		if f.Error != "" {
			return nil, errors.New(f.Error)
		}
	}
	r.analyze(bctx, &Input{Digest: d, Session: s, Attestations: stmts}, f)
	return f, nil
}

// Local learns the facts of an image read from disk (internal/image/local)
// rather than a registry: source names it as the user wrote it, reference
// is the reference it names itself by ("" when none), digest what was
// chosen (its manifest, or the index its platform's image was chosen
// from). The analyzers judge it as they judge a registry's image;
// signatures and attestations live in registries, so when an image
// policy may cover it (it names no repository, or one a policy covers)
// Facts.Unverifiable says they were not checked: a coverage gap, not a
// pass. Nothing is kept: the next call judges the image again.
func (r *Resolver) Local(ctx context.Context, source, reference string, digest v1.Hash, img v1.Image) *facts.Facts {
	f := &facts.Facts{Name: source, Digest: digest.String()}
	repo := "localhost/local"
	if p := parseRef(reference); p.ok {
		f.Name, repo = p.repo, p.repo
	}
	if r.opts.Verifier != nil && (reference == "" || r.opts.Verifier.Covers(f.Name)) {
		f.Unverifiable = "read from " + source + ", not from a registry"
	}
	d, err := name.NewDigest(repo + "@" + digest.String())
	if err != nil {
		f.Error = err.Error()
		return f
	}
	bctx, cancel := r.detached(ctx)
	defer cancel()
	r.analyze(bctx, &Input{Digest: d, local: img}, f)
	return f
}

// analyze runs the analyzers over one image into f.Analyses, within
// Options.Analyses images at once.
func (r *Resolver) analyze(ctx context.Context, in *Input, f *facts.Facts) {
	if len(r.opts.Analyzers) == 0 {
		return
	}
	f.Analyses = map[string]facts.Analysis{}
	select {
	case r.analyses <- struct{}{}:
		defer func() { <-r.analyses }()
	case <-ctx.Done():
		for _, a := range r.opts.Analyzers {
			f.Analyses[a.Name()] = facts.Analysis{Error: fmt.Sprintf("waiting for another image's analysis to end: %v", ctx.Err())}
		}
		return
	}
	for _, a := range r.opts.Analyzers {
		v, err := a.Analyze(ctx, in)
		an := facts.Analysis{Value: v}
		if err != nil {
			an = facts.Analysis{Error: err.Error()}
		}
		f.Analyses[a.Name()] = an
	}
}

// detached is the context of work that outlives one caller's wait: its
// values, none of its cancellation, and the resolver's own bound.
func (r *Resolver) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.opts.ImageTimeout)
}

// describe words a failure for a finding: the caller's budget running out
// is not the registry's fault and is said so.
func (r *Resolver) describe(ctx context.Context, err error) string {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return "not judged within the time budget"
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return "not judged: the request was cancelled"
	}
	return err.Error()
}

// Uses lists the images of the inventory's pods with what pulls them:
// init, regular and ephemeral containers (a debug container added with
// kubectl debug runs its image like any other, so the image policies
// judge it; an empty image is left for a controller to fill in, and one an
// OpenShift image trigger will write is not looked up); in
// cluster mode also the digests their live pods run
// (inventory.RunningImages), which a moved tag no longer names.
func Uses(inv *inventory.Inventory) []Use {
	running := inv.RunningImages()
	var out []Use
	for _, p := range inv.Pods() {
		uses := PodUses(p)
		out = append(out, uses...)
		if len(uses) == 0 {
			continue
		}
		for _, c := range p.Containers() {
			for _, ref := range running[inventory.RunningKey{Object: p.Object, Container: c.Name}] {
				u := uses[0]
				u.Image = ref
				out = append(out, u)
			}
		}
	}
	return out
}

// PodUses lists one pod spec's images.
func PodUses(p *inventory.Pod) []Use {
	var secrets []string
	for _, s := range p.Spec.ImagePullSecrets {
		if s.Name != "" {
			secrets = append(secrets, s.Name)
		}
	}
	var out []Use
	for _, c := range p.Containers() {
		// An image an OpenShift image trigger will write is its
		// ImageStreamTag's, which only the cluster resolves; the value
		// written (often a placeholder) is not pulled.
		if c.Image == "" || p.PendingImageTrigger(c.Container) != nil {
			continue
		}
		out = append(out, Use{Image: c.Image, Namespace: p.Namespace(), ServiceAccount: p.ServiceAccountName(), PullSecrets: secrets})
	}
	return out
}
