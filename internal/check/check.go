// Package check is the engine every entry point shares: the check registry,
// the runner that turns check results into findings with source positions,
// and suppressions.
package check

import (
	"fmt"
	"slices"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Check is one rule. Exactly one of Object, Pod or Inventory is set:
//   - Object looks at one object of the listed Kinds;
//   - Pod looks at one pod spec, whichever workload kind holds it;
//   - Inventory sees every object, through the indexes, for rules that relate
//     objects (RBAC, NetworkPolicy, Service to Pod); Needs lists the kinds it
//     reads, so a cluster scan can say which checks could not run.
//
// Check functions are pure: they read the object and the options, and report
// results; they never print, fetch or keep state between calls.
type Check struct {
	Meta

	Object func(ctx *Context, o *inventory.Object) []Result
	Kinds  []schema.GroupKind

	Pod func(ctx *Context, p *inventory.Pod) []Result

	Inventory func(ctx *Context, inv *inventory.Inventory) []Result
	Needs     []schema.GroupKind
	// MetadataOf lists kinds of which an inventory check reads only the
	// metadata (name, namespace, labels, annotations): they are neither
	// parsed in full from files nor fetched in full from a cluster.
	MetadataOf []schema.GroupKind
	// EachObject marks an inventory check that judges each object on its
	// own (it reads the inventory only to see every kind): a kind a cluster
	// scan cannot read hides findings on its objects and changes no verdict
	// on others, so the check runs without it instead of not running.
	EachObject bool
	// NamespaceLocal marks an inventory check whose results about a
	// namespace (on its objects or on its Namespace object) depend only on
	// that namespace's objects, its Namespace object and the cluster-scoped
	// objects that are not Namespaces; and whose results about other
	// cluster-scoped objects depend on those alone. The controller then
	// re-runs it over the changed namespace only (internal/controller), so
	// a check that reads other namespaces (RBAC subjects, NetworkPolicy
	// peers, a mesh-wide setting) must not set it.
	NamespaceLocal bool

	// Images marks an inventory check that reads the image facts
	// (Inventory.Images): what the registries said about each image. It
	// runs only when the registries were read; otherwise the scan reports
	// it as not run, never as passed.
	Images bool

	// Active, when set, reports whether the check applies under the options;
	// checks that a chosen Pod Security level already covers step aside so
	// one problem is reported once.
	Active func(*Options) bool

	// Subject, when set, is what the check judges on a cluster or node; a
	// cluster or node scan without it reports the check as having nothing
	// to judge.
	Subject *Subject
}

// Inputs are the kinds the check reads, in full or by their metadata.
func (c *Check) Inputs() []schema.GroupKind {
	switch {
	case c.Object != nil:
		return c.Kinds
	case c.Pod != nil:
		return inventory.WorkloadKinds
	default:
		return append(append([]schema.GroupKind(nil), c.Needs...), c.MetadataOf...)
	}
}

// ReadsContent reports whether the check reads more than the metadata of
// objects of this kind.
func (c *Check) ReadsContent(gk schema.GroupKind) bool {
	switch {
	case c.Object != nil:
		return slices.Contains(c.Kinds, gk)
	case c.Pod != nil:
		return slices.Contains(inventory.WorkloadKinds, gk)
	default:
		return slices.Contains(c.Needs, gk)
	}
}

func (c *Check) validate() error {
	if err := c.Meta.validate(); err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{c.Object != nil, c.Pod != nil, c.Inventory != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("check %s: exactly one of Object, Pod or Inventory must be set", c.ID)
	}
	if c.Object != nil && len(c.Kinds) == 0 {
		return fmt.Errorf("check %s: an object check must list its kinds", c.ID)
	}
	if c.Images && c.Inventory == nil {
		return fmt.Errorf("check %s: only an inventory check reads image facts", c.ID)
	}
	if c.NamespaceLocal && c.Inventory == nil {
		return fmt.Errorf("check %s: only an inventory check is namespace-local", c.ID)
	}
	if c.Inventory != nil && len(c.Needs) == 0 && len(c.MetadataOf) == 0 {
		return fmt.Errorf("check %s: an inventory check must list the kinds it needs", c.ID)
	}
	return nil
}

// Result is what a check reports: one problem at one field.
type Result struct {
	// Object is the object at fault; nil means the object (or the pod's
	// owner) being checked. Inventory checks always set it.
	Object *inventory.Object
	// Path is the offending field, from the object's root. For a field that
	// is missing, name the field that should be there: the position falls
	// back to its nearest existing parent.
	Path    *fieldpath.Path
	Message string
	// Pod is the pod spec at fault, when an inventory check reports on a
	// workload: a suppression annotation on its template then applies, as
	// it does for pod checks.
	Pod *inventory.Pod
	// Image is the image reference the result is about, as the pod spec
	// writes it; suppressions can match it.
	Image string
	// Severity and Fix override the check's defaults when set.
	Severity Severity
	Fix      string
	// Undecided, when set, makes the result a coverage gap with this id
	// instead of a finding: the check could not judge the object, and
	// Message says why in words that hold for every object of the gap.
	Undecided string
	// Line, when set, is the file line the result is about, more precise
	// than its field's (a line inside a block scalar, from
	// inventory.Object.ValueLine); the position then points at it.
	Line int

	// Cause names the root cause the result shares with results of other
	// checks on the same object (a container without a resources block, a
	// privileged container, one RBAC rule): results with the same Cause
	// become one finding, which names what each other check said (Facet).
	// See Fold. Empty means the result stands alone.
	Cause string
	// Facet is what the result adds to the finding it is folded into, in a
	// few words ("no CPU limit", "get secrets"); empty means the message.
	Facet string
	// Leads makes the result the one that speaks for its Cause whatever the
	// severities: the more specific of two checks on one field.
	Leads bool
}

// Causes that checks of several families share (see Result.Cause).
const (
	// CauseHostPath: the pod's hostPath volumes (the Pod Security control
	// and sensitive-host-path, which speaks for it).
	CauseHostPath = "hostPath volumes"
	// CausePrivileged: the pod's privileged containers, which hold every
	// capability and may always escalate.
	CausePrivileged = "privileged containers"
)
