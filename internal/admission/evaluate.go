package admission

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Evaluator runs the object and pod checks of a run on one object at a
// time, with the run's options and suppressions: the same calls a scan
// makes per object. It is safe for concurrent use.
type Evaluator struct {
	checks      []*check.Check // object and pod checks only
	crossObject []string       // ids of the selected checks that cannot run here
	// imageChecks read the image facts the resolver learns for the pods of
	// the object under review, within budget (WithImages).
	imageChecks []*check.Check
	images      ImageResolver
	budget      time.Duration
	opts        *check.Options
	sup         *check.Suppressions
	runners     sync.Pool               // of *pooledRunner
	byID        map[string]*check.Check // the cross-object checks
	// lasting keeps what checks derive from a value alone (parsed image
	// references) from review to review.
	lasting *check.Lasting
}

// lastingEntries bounds Evaluator.lasting: a cluster runs a few thousand
// distinct images; an entry is a few hundred bytes.
const lastingEntries = 4096

// pooledRunner is a runner and the log it writes to. A runner whose log
// received a problem is dropped, so each review sees its own problems only
// and no log grows for the life of the process.
type pooledRunner struct {
	r, img *check.Runner
	log    *diag.Log
}

// ImageResolver learns the facts of images (resolve.Resolver).
type ImageResolver interface {
	Resolve(ctx context.Context, uses []resolve.Use) *facts.Set
}

// DefaultImageBudget bounds the registry work of one review: well under
// the API server's default webhook timeout (5s in kubeward's webhook
// configuration), so that a slow registry costs a finding, not a timeout.
const DefaultImageBudget = 2 * time.Second

// WithImages lets the image checks among the selected ones run at
// admission: each review's images are judged by res within budget (0:
// DefaultImageBudget), from its memory when they were judged before.
func (e *Evaluator) WithImages(res ImageResolver, budget time.Duration) {
	if budget <= 0 {
		budget = DefaultImageBudget
	}
	e.images, e.budget = res, budget
	var cross []string
	for _, id := range e.crossObject {
		if c, ok := e.byID[id]; ok && c.Images {
			e.imageChecks = append(e.imageChecks, c)
			continue
		}
		cross = append(cross, id)
	}
	e.crossObject = cross
}

// ImageBudget is the registry time budget of one review; 0 when image
// checks do not run here.
func (e *Evaluator) ImageBudget() time.Duration {
	if len(e.imageChecks) == 0 {
		return 0
	}
	return e.budget
}

// NewEvaluator keeps the object and pod checks among checks. Cross-object
// checks need the whole inventory (bindings, policies, LimitRanges) and do
// not run at admission; CrossObject lists them.
func NewEvaluator(checks []*check.Check, opts *check.Options, sup *check.Suppressions) *Evaluator {
	if opts == nil {
		opts = check.DefaultOptions()
	}
	e := &Evaluator{opts: opts, sup: sup, byID: map[string]*check.Check{}, lasting: check.NewLasting(lastingEntries)}
	for _, c := range checks {
		if c.Active != nil && !c.Active(opts) {
			continue
		}
		if c.Inventory != nil {
			e.crossObject = append(e.crossObject, c.ID)
			e.byID[c.ID] = c
			continue
		}
		e.checks = append(e.checks, c)
	}
	return e
}

// Checks are the ids of the checks that run at admission.
func (e *Evaluator) Checks() []string {
	ids := make([]string, 0, len(e.checks)+len(e.imageChecks))
	for _, c := range slices.Concat(e.checks, e.imageChecks) {
		ids = append(ids, c.ID)
	}
	return ids
}

// CrossObject are the ids of the selected checks that do not run at
// admission.
func (e *Evaluator) CrossObject() []string { return e.crossObject }

// Evaluation is what the checks found in one object.
type Evaluation struct {
	Object   *inventory.Object
	Findings []check.Finding
	// Problems are malformed suppression annotations and checks that
	// failed; the webhook turns them into warnings.
	Problems []diag.Problem
}

// Evaluate checks one typed object from a review. namespace is the
// request's: an object created without metadata.namespace lives there.
func (e *Evaluator) Evaluate(obj runtime.Object, namespace string) (*Evaluation, error) {
	return e.EvaluateContext(context.Background(), obj, namespace)
}

// EvaluateContext is Evaluate whose image checks give up reading
// registries when ctx ends: an image not judged by then is reported
// (image-unverified), never passed.
func (e *Evaluator) EvaluateContext(ctx context.Context, obj runtime.Object, namespace string) (*Evaluation, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("%T has no metadata: %w", obj, err)
	}
	if acc.GetNamespace() == "" && namespace != "" {
		acc.SetNamespace(namespace)
	}
	// No Source.File: checks that judge committed manifests (a Secret
	// holding data) stand aside, as in a cluster scan.
	o, err := inventory.New(obj, inventory.Source{})
	if err != nil {
		return nil, err
	}
	return e.run(ctx, o), nil
}

// Reads reports whether a check reads objects of this kind: a custom
// resource is evaluated only then (custom checks in CEL, pod checks on
// the template of a workload custom resource).
func (e *Evaluator) Reads(gk schema.GroupKind) bool {
	_, workload := inventory.CustomWorkloadOf(gk)
	for _, c := range e.checks {
		if c.Object != nil && slices.Contains(c.Kinds, gk) || c.Pod != nil && workload {
			return true
		}
	}
	return false
}

// EvaluateUnstructured checks an object of a kind without a Go type. The
// pod template of a workload custom resource that does not decode is an
// error, as an object that does not decode is: never judged as empty.
func (e *Evaluator) EvaluateUnstructured(u *unstructured.Unstructured, namespace string) (*Evaluation, error) {
	if u.GetNamespace() == "" && namespace != "" {
		u.SetNamespace(namespace)
	}
	o, err := inventory.NewLive(u, inventory.Source{})
	if err != nil {
		// Conversion errors may quote the value: they are not repeated.
		return nil, badRequest("%s: the pod template does not decode (a value of the wrong type)", o.Ref)
	}
	return e.run(context.Background(), o), nil
}

func (e *Evaluator) run(ctx context.Context, o *inventory.Object) *Evaluation {
	pr, _ := e.runners.Get().(*pooledRunner)
	if pr == nil {
		log := &diag.Log{}
		pr = &pooledRunner{r: check.NewRunner(e.checks, e.opts, e.sup, log), img: check.NewRunner(e.imageChecks, e.opts, e.sup, log), log: log}
	}
	// A context per review: its memo does not outlive the request.
	cctx := check.NewContext(e.opts)
	cctx.Lasting = e.lasting
	fs := pr.r.CheckObject(cctx, o)
	// What a check could not judge (a setting in a file on a node) is a
	// coverage gap of scans; a review has no coverage report, and a pooled
	// runner must not keep it.
	pr.r.TakeUndecided()
	if len(e.imageChecks) > 0 && len(o.Pods()) > 0 {
		inv := inventory.NewInventory()
		inv.Add(o)
		inv.SetImages(e.images.Resolve(ctx, resolve.Uses(inv)))
		fs = append(fs, pr.img.CheckInventory(cctx, inv)...)
		pr.img.TakeUndecided()
	}
	check.SortFindings(fs)
	fs = check.Fold(fs) // as a scan reports them: one object has no other place
	problems := pr.log.Problems()
	if len(problems) == 0 {
		e.runners.Put(pr)
	}
	return &Evaluation{Object: o, Findings: fs, Problems: problems}
}
