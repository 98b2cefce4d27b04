package check

import (
	"github.com/kubeward/kubeward/internal/lasting"
	"sync"

	"github.com/kubeward/kubeward/internal/image/vuln"
)

// Options are the settings checks read. They come from flags and the config
// file and are never changed during a run.
type Options struct {
	// PSSLevel is "baseline" or "restricted"; PSSVersion is "latest" or "v1.N".
	PSSLevel   string
	PSSVersion string
	// AllowedRegistries lists registry hosts or host/path prefixes images may
	// come from; empty means any registry.
	AllowedRegistries []string
	// PrivateRegistries lists registry hosts or host/path prefixes whose
	// images need pull credentials, in the allowlist's format.
	PrivateRegistries []string
	// Vulnerabilities decides which known vulnerabilities of an image fail
	// (images.vulnerabilities); nil when they are not asked for, and
	// image-vulnerable is then inactive.
	Vulnerabilities *vuln.Policy
	// ImagePolicies is set when the configuration holds image policies
	// (signers, attestations), which only the registries can answer.
	ImagePolicies bool
	// ImageOnRegistryError is what an image that could not be read from
	// its registry gives when it should have been verified: "deny" (a
	// critical finding, the default) or "warn" (a medium one).
	ImageOnRegistryError string
	// SystemNamespaces are where cluster components live; some checks expect
	// more privilege there and say so instead of crying wolf.
	SystemNamespaces []string
	// KubeVersion is the Kubernetes release manifests are judged for
	// ("1.37"); empty means the release kubeward's libraries were built for.
	KubeVersion string
	// ServerVersion is the scanned API server's version (a cluster scan's
	// /version gitVersion); empty when scanning files.
	ServerVersion string
}

// DefaultOptions are the settings without flags or a config file.
func DefaultOptions() *Options {
	return &Options{
		PSSLevel:         "baseline",
		PSSVersion:       "latest",
		SystemNamespaces: []string{"kube-system", "kube-public", "kube-node-lease"},
	}
}

// ImageFacts reports whether the configuration asks what only the
// registries know (image policies, known vulnerabilities); image checks
// that read their facts are active then, and a scan without registry
// access says they did not run.
func (o *Options) ImageFacts() bool { return o.ImagePolicies || o.Vulnerabilities != nil }

// VulnerabilitiesAsked reports whether known vulnerabilities are judged:
// the scan reads the registries (--images) or the configuration has an
// images.vulnerabilities section.
func (o *Options) VulnerabilitiesAsked() bool { return o.Vulnerabilities != nil }

// IsSystemNamespace reports whether ns holds cluster components.
func (o *Options) IsSystemNamespace(ns string) bool {
	for _, s := range o.SystemNamespaces {
		if s == ns {
			return true
		}
	}
	return false
}

// Context is what a check sees besides its input: the options, and a memo
// that lets checks of one family share an expensive model (the RBAC graph,
// the reachability matrix) built once per run.
type Context struct {
	Options *Options
	// Lasting, when set, keeps values that depend on their key alone
	// across runs (see LastingMemo). The webhook sets it: it makes a
	// run per review and judges the same images review after review.
	Lasting *Lasting
	memo    sync.Map // key -> *memoEntry
}

// Lasting holds values derived from their key alone (a parsed image
// reference) for many runs, up to a number of entries.
type Lasting = lasting.Map[any, any]

// NewLasting holds up to max entries.
func NewLasting(max int) *Lasting { return lasting.New[any, any](max) }

type memoEntry struct {
	once sync.Once
	val  any
}

// NewContext starts a run.
func NewContext(opts *Options) *Context {
	if opts == nil {
		opts = DefaultOptions()
	}
	return &Context{Options: opts}
}

// Memo returns the value build produces for key, building it once per run
// even when checks ask concurrently. Use an unexported key type per package.
func (c *Context) Memo(key any, build func() any) any {
	// Load first: most calls find the value, and LoadOrStore would
	// allocate an entry each time only to drop it.
	e, ok := c.memo.Load(key)
	if !ok {
		e, _ = c.memo.LoadOrStore(key, &memoEntry{})
	}
	entry := e.(*memoEntry)
	entry.once.Do(func() { entry.val = build() })
	return entry.val
}

// LastingMemo is Memo for a small value that depends on key alone: with
// c.Lasting set it outlives the run, so callers must bound their keys (a
// key is kept, and comes from the input).
func (c *Context) LastingMemo(key any, build func() any) any {
	if c.Lasting == nil {
		return c.Memo(key, build)
	}
	return c.Lasting.Get(key, build)
}
