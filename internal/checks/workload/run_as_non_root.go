package workload

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
)

// RunAsNonRoot requires every container to run as a user other than root,
// resolved as the kubelet does: a container's securityContext wins over the
// pod's, field by field.
//
// Reads: spec.securityContext.runAsNonRoot, spec.securityContext.runAsUser,
// spec.initContainers[*].securityContext.runAsNonRoot and runAsUser,
// spec.containers[*].securityContext.runAsNonRoot and runAsUser,
// spec.hostUsers, spec.os.name.
// Allows: an effective runAsNonRoot of true (the kubelet then refuses to
// start a container whose user is root), or an effective non-zero runAsUser.
// An effective runAsUser of 0 always fails. Pods in a user namespace
// (hostUsers: false) are skipped, as Pod Security v1.35 does: root there is
// not root on the node. Windows pods and ephemeral containers are skipped.
// Steps aside when the restricted Pod Security level is enforced: its
// runAsNonRoot and runAsUser checks report the same thing.
var RunAsNonRoot = &check.Check{
	Meta: check.Meta{
		ID:       "run-as-non-root",
		Title:    "Container may run as root",
		Severity: check.Medium,
		Category: check.CategoryWorkload,
		Rationale: "A process running as root inside a container is root on the node's kernel: any escape " +
			"(a runtime or kernel bug, a writable host mount, a granted capability) then hands the attacker the node. " +
			"Without runAsNonRoot or a non-zero runAsUser, the image's USER decides, and many images run as root.",
		Fix: "Set securityContext.runAsNonRoot: true on the pod (and a non-zero runAsUser if the image names " +
			"its user by name), or give the container an explicit non-zero runAsUser.",
		Reads: []string{"spec.securityContext.runAsNonRoot", "spec.securityContext.runAsUser",
			"spec.containers[*].securityContext.runAsNonRoot", "spec.containers[*].securityContext.runAsUser",
			"spec.initContainers[*].securityContext.runAsNonRoot", "spec.initContainers[*].securityContext.runAsUser"},
		Peers: []check.Peer{check.Trivy("KSV012"), check.Kubescape("C-0013"), check.Polaris("runAsRootAllowed"), check.KubeLinter("run-as-non-root")},
		Refs: []check.Reference{
			check.CIS("5.2.7", "Minimize the admission of root containers"),
			check.NSA("Pod security: non-root containers and rootless container engines"),
			check.PSS("restricted", "Running as Non-root"),
		},
	},
	Pod:    runAsNonRoot,
	Active: func(o *check.Options) bool { return o.PSSLevel != "restricted" },
}

func init() { check.Register(RunAsNonRoot) }

func runAsNonRoot(_ *check.Context, p *inventory.Pod) []check.Result {
	if isWindows(p) || (p.Spec.HostUsers != nil && !*p.Spec.HostUsers) {
		return nil
	}
	var (
		podNonRoot *bool
		podUser    *int64
	)
	if psc := p.Spec.SecurityContext; psc != nil {
		podNonRoot, podUser = psc.RunAsNonRoot, psc.RunAsUser
	}
	// Containers that fail because of the same field share one finding there
	// (the pod's securityContext, typically), not one per container.
	var (
		order []string
		byKey = map[string]*rootFinding{}
	)
	add := func(path *fieldpath.Path, root bool, nonRoot *bool, name string) {
		k := path.String()
		f := byKey[k]
		if f == nil {
			f = &rootFinding{path: path, root: root, nonRoot: nonRoot}
			byKey[k] = f
			order = append(order, k)
		}
		f.names = append(f.names, name)
	}
	for _, c := range p.Containers() {
		if !designed(c) {
			continue
		}
		nonRoot, user, ownNonRoot, ownUser := podNonRoot, podUser, false, false
		if sc := c.SecurityContext; sc != nil {
			if sc.RunAsNonRoot != nil {
				nonRoot, ownNonRoot = sc.RunAsNonRoot, true
			}
			if sc.RunAsUser != nil {
				user, ownUser = sc.RunAsUser, true
			}
		}
		switch {
		case user != nil && *user == 0:
			add(securityContextField(p, c, ownUser, "runAsUser"), true, nonRoot, c.Name)
		case nonRoot != nil && *nonRoot, user != nil:
			// non-root enforced, or an explicit non-zero user
		default:
			add(securityContextField(p, c, ownNonRoot, "runAsNonRoot"), false, nonRoot, c.Name)
		}
	}
	out := make([]check.Result, 0, len(order))
	for _, k := range order {
		f := byKey[k]
		out = append(out, check.Result{Path: f.path, Message: f.message()})
	}
	return out
}

// rootFinding gathers the containers that fail on one field.
type rootFinding struct {
	path    *fieldpath.Path
	root    bool  // runAsUser: 0, rather than no non-root guarantee
	nonRoot *bool // the effective runAsNonRoot
	names   []string
}

func (f *rootFinding) message() string {
	who, runs := "container "+quoteList(f.names), " runs"
	if len(f.names) > 1 {
		who, runs = "containers "+quoteList(f.names), " run"
	}
	switch {
	case f.root && f.nonRoot != nil && *f.nonRoot:
		return who + runs + " as root (runAsUser: 0), which contradicts runAsNonRoot: true: the API or the kubelet will refuse it"
	case f.root:
		return who + runs + " as root (runAsUser: 0)"
	case f.nonRoot != nil: // set, and false
		return who + " may run as root: runAsNonRoot is false and no non-zero runAsUser is set"
	}
	return who + " may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set, so the image's user decides"
}
