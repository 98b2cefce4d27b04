// Package controlplane holds the checks of the control plane's settings:
// kube-apiserver, kube-controller-manager, kube-scheduler and etcd (CIS
// Kubernetes Benchmark v1.12 sections 1.2 to 1.4, 2 and 3.2), and the
// cluster's Kubernetes version.
//
// The components are found in pod specs (a kubeadm static pod and its
// mirror Pod in kube-system, or a Deployment of a hosted control plane) by
// the program their container runs, and their command lines are read by
// internal/componentflags exactly as the components read them: every check
// judges the effective setting, defaults included.
package controlplane

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// instance is one configured component: a container that runs it, or the
// command line kubeadm generates from a ClusterConfiguration.
type instance struct {
	comp *componentflags.Component
	args *componentflags.Args
	// name says where the component is, for messages: `container "etcd"`.
	name string
	// valuePath returns where an occurrence's value is written.
	valuePath func(componentflags.Occurrence) *fieldpath.Path
	// missingPath is where a flag that is not given would be added.
	missingPath *fieldpath.Path
	// note is appended to the message of a flag that is not given (kubeadm
	// explains that it does not set it either).
	note string
	// release is the component's version as its image tag or kubeadm's
	// kubernetesVersion names it ("v1.37.2", "3.6.4-0"); "" when unknown.
	release string
	// godebug is the container's GODEBUG environment variable.
	godebug string
	// pod and container run the component; nil for kubeadm's
	// ClusterConfiguration.
	pod       *inventory.Pod
	container *corev1.Container
}

// at returns the field that decides a flag: its last occurrence, or where
// it would be added.
func (in *instance) at(flag string) *fieldpath.Path {
	if o, ok := in.args.Last(flag); ok {
		return in.valuePath(o)
	}
	return in.missingPath
}

// describe says how a flag's effective value comes about, for messages:
// "--profiling=true" or "--profiling is not set (default true)".
func (in *instance) describe(flag string) string {
	v := in.args.Get(flag)
	if v.Set {
		if v.Last.Env != "" {
			return fmt.Sprintf("%s=%s", v.Last.Env, v.Last.Value)
		}
		return fmt.Sprintf("--%s=%s", flag, v.Last.Value)
	}
	if v.Raw == "" {
		return fmt.Sprintf("--%s is not set%s", flag, in.note)
	}
	return fmt.Sprintf("--%s is not set (default %s)%s", flag, v.Raw, in.note)
}

// Kinds the control-plane checks read: every workload kind (a control plane
// runs in static Pods, or in Deployments for hosted control planes) and
// kubeadm's ClusterConfiguration.
var (
	kindClusterConfiguration = schema.GroupKind{Group: "kubeadm.k8s.io", Kind: "ClusterConfiguration"}
	componentKinds           = append(append([]schema.GroupKind(nil), inventory.WorkloadKinds...), kindClusterConfiguration)
)

// instancesKey memoises an object's instances of a component for the run:
// the component's flag checks (dozens for kube-apiserver) and the
// cross-object checks all read the same command lines, parsed once.
type instancesKey struct {
	o    *inventory.Object
	comp *componentflags.Component
}

// instances finds the components of one kind in an object.
func instances(ctx *check.Context, o *inventory.Object, comp *componentflags.Component) []*instance {
	if o.GroupKind() != kindClusterConfiguration {
		if o.Controller != nil {
			return nil // a live Pod of a controller: checked on the controller
		}
		if !mayRun(ctx, o, comp) {
			return nil // the common case, decided from the run's memo without allocating
		}
	}
	return ctx.Memo(instancesKey{o, comp}, func() any {
		if o.GroupKind() == kindClusterConfiguration {
			return kubeadmInstances(o, comp)
		}
		var out []*instance
		for _, p := range o.Pods() {
			for _, c := range p.Containers() {
				if c.Kind == "ephemeralContainers" {
					continue
				}
				if in := fromContainer(p, c, comp); in != nil {
					out = append(out, in)
				}
			}
		}
		return out
	}).([]*instance)
}

// mayRunKey memoises whether an object's containers may run any
// component: most objects plainly run none, and the flag checks (46) then
// learn it from one look at the command lines instead of one each.
type mayRunKey struct{ o *inventory.Object }

// mayRun reports whether a container of the object's init or regular
// containers may run the component: its command line names the program, or
// holds a $(VAR) reference that may expand to it.
func mayRun(ctx *check.Context, o *inventory.Object, comp *componentflags.Component) bool {
	all := componentflags.All()
	// The memo speaks for the known components only.
	if slices.Contains(all, comp) && !ctx.Memo(mayRunKey{o}, func() any {
		return anyContainer(o, func(c *corev1.Container) bool { // mayRunIn for any component, in one pass
			for _, args := range [...][]string{c.Command, c.Args} {
				for _, a := range args {
					if strings.Contains(a, "$(") || slices.ContainsFunc(all, func(k *componentflags.Component) bool { return strings.Contains(a, k.Name) }) {
						return true
					}
				}
			}
			return false
		})
	}).(bool) {
		return false
	}
	return anyContainer(o, func(c *corev1.Container) bool { return mayRunIn(c, comp) })
}

// anyContainer reports whether one of the object's init or regular
// containers is such.
func anyContainer(o *inventory.Object, is func(*corev1.Container) bool) bool {
	for _, p := range o.Pods() {
		for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for i := range cs {
				if is(&cs[i]) {
					return true
				}
			}
		}
	}
	return false
}

func mayRunIn(c *corev1.Container, comp *componentflags.Component) bool {
	return mentions(c.Command, comp.Name) || mentions(c.Args, comp.Name) || mentions(c.Command, "$(") || mentions(c.Args, "$(")
}

// fromContainer reads a container's command line when it runs the
// component. etcd is judged only where it is the cluster's store (labelled
// as kubeadm labels it, or in kube-system): an application's own etcd is
// not in the scope of the control-plane checks.
func fromContainer(p *inventory.Pod, c inventory.Container, comp *componentflags.Component) *instance {
	if !mayRunIn(c.Container, comp) {
		return nil
	}
	env := map[string]string{}
	envIndex := map[string]int{}
	for i, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = componentflags.ExpandVars(e.Value, env)
		}
		envIndex[e.Name] = i
	}
	argv := make([]string, 0, len(c.Command)+len(c.Args))
	for _, a := range append(append([]string(nil), c.Command...), c.Args...) {
		argv = append(argv, componentflags.ExpandVars(a, env))
	}
	inv, ok := componentflags.Find(comp.Name, argv)
	if !ok {
		return nil
	}
	if comp == componentflags.Etcd && !isClusterEtcd(p) {
		return nil
	}
	argvPath := func(k int) *fieldpath.Path {
		if k < len(c.Command) {
			return c.Path.Child("command").Index(k)
		}
		return c.Path.Child("args").Index(k - len(c.Command))
	}
	_, tag := imageTag(c.Image)
	in := &instance{
		comp:      comp,
		args:      componentflags.Parse(comp, inv.Args, env),
		name:      fmt.Sprintf("container %q", c.Name),
		release:   tag,
		godebug:   env["GODEBUG"],
		pod:       p,
		container: c.Container,
	}
	in.valuePath = func(o componentflags.Occurrence) *fieldpath.Path {
		if o.Env != "" {
			if i, ok := envIndex[o.Env]; ok {
				return c.Path.Child("env").Index(i).Child("value")
			}
			return c.Path.Child("env")
		}
		if o.ValueArg >= 0 && o.ValueArg < len(inv.From) {
			return argvPath(inv.From[o.ValueArg])
		}
		return c.Path.Child("command")
	}
	// A missing flag goes where the last argument is (kubeadm writes them
	// all in command; charts often use args).
	last := len(argv) - 1
	if len(inv.From) > 0 {
		last = inv.From[len(inv.From)-1]
	}
	if last >= len(c.Command) {
		in.missingPath = c.Path.Child("args")
	} else {
		in.missingPath = c.Path.Child("command")
	}
	return in
}

func mentions(list []string, name string) bool {
	for _, a := range list {
		if strings.Contains(a, name) {
			return true
		}
	}
	return false
}

func isClusterEtcd(p *inventory.Pod) bool {
	labels := p.Meta.Labels
	if labels["component"] == "etcd" || labels["tier"] == "control-plane" {
		return true
	}
	return p.Namespace() == "kube-system"
}

// problem is what a flag check reports about one instance.
type problem struct {
	flag     string // the flag that decides it (its field is the finding's path)
	message  string
	severity check.Severity // overrides the check's severity when set
	// undecided, when set, makes the problem a coverage gap with this id:
	// a file the flag names decides, and kubeward does not hold or read it.
	undecided string
}

// Coverage gaps of settings in files kubeward does not read.
const (
	GapEtcdConfigFile       = "etcd-config-file"
	GapAuthenticationConfig = "apiserver-authentication-config"
	GapAuthorizationConfig  = "apiserver-authorization-config"
)

// configFileDecides returns the problem of a component whose --config-file
// replaces every flag (etcd): nothing its flags say holds.
func configFileDecides(in *instance) (problem, bool) {
	if in.comp != componentflags.Etcd || !usesConfigFile(in) {
		return problem{}, false
	}
	return problem{flag: "config-file", undecided: GapEtcdConfigFile,
		message: "etcd --config-file (or ETCD_CONFIG_FILE) replaces every flag and ETCD_* variable, and kubeward does not read that file"}, true
}

// flagCheck builds a registered check from a judgement of one component's
// instances.
func flagCheck(meta check.Meta, comp *componentflags.Component, judge func(*instance) []problem) *check.Check {
	if meta.Category == "" {
		meta.Category = check.CategoryControlPlane
	}
	return &check.Check{
		Meta:    meta,
		Kinds:   componentKinds,
		Subject: subjectOf(comp),
		Object: func(ctx *check.Context, o *inventory.Object) []check.Result {
			var out []check.Result
			for _, in := range instances(ctx, o, comp) {
				// etcd's --config-file replaces every flag: no judgement
				// of its flags holds, so none is made.
				var problems []problem
				if p, ok := configFileDecides(in); ok {
					problems = []problem{p}
				} else {
					problems = judge(in)
				}
				for _, p := range problems {
					out = append(out, check.Result{Path: in.at(p.flag), Message: p.message, Severity: p.severity, Undecided: p.undecided})
				}
			}
			return out
		},
	}
}

// Subjects of the control-plane checks: a cluster or node scan in which no
// object runs the component has nothing for them to judge.
var (
	apiserverSubject         = componentSubject(componentflags.APIServer)
	controllerManagerSubject = componentSubject(componentflags.ControllerManager)
	schedulerSubject         = componentSubject(componentflags.Scheduler)
	etcdSubject              = componentSubject(componentflags.Etcd)
	kubeProxySubject         = &check.Subject{Gap: check.GapKubeProxy, Name: "kube-proxy", Present: func(ctx *check.Context, inv *inventory.Inventory) bool {
		return hasInstance(ctx, inv, componentflags.KubeProxy) || len(kubeProxyConfigs(ctx, inv)) > 0 || len(inv.ByKind(kindKubeProxyConfiguration)) > 0
	}}
)

func componentSubject(comp *componentflags.Component) *check.Subject {
	return &check.Subject{Gap: check.GapControlPlane, Name: comp.Name, Present: func(ctx *check.Context, inv *inventory.Inventory) bool {
		return hasInstance(ctx, inv, comp)
	}}
}

// subjectOf returns the subject of a component's checks.
func subjectOf(comp *componentflags.Component) *check.Subject {
	switch comp {
	case componentflags.APIServer:
		return apiserverSubject
	case componentflags.ControllerManager:
		return controllerManagerSubject
	case componentflags.Scheduler:
		return schedulerSubject
	case componentflags.Etcd:
		return etcdSubject
	case componentflags.KubeProxy:
		return kubeProxySubject
	}
	return nil
}

// hasInstance reports whether an object of the inventory runs the component.
func hasInstance(ctx *check.Context, inv *inventory.Inventory, comp *componentflags.Component) bool {
	for _, o := range objectsOf(inv) {
		if len(instances(ctx, o, comp)) > 0 {
			return true
		}
	}
	return false
}

// reads lists what a flag check reads, for the check's metadata.
func reads(comp *componentflags.Component, flags ...string) []string {
	out := make([]string, 0, len(flags)+1)
	for _, f := range flags {
		out = append(out, fmt.Sprintf("%s --%s (container command and args; kubeadm ClusterConfiguration extraArgs)", comp.Name, f))
	}
	return out
}

// redactURL drops credentials from a URL before it is shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// sortedKeys returns a set's members in order, for stable messages.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// joinQuoted renders names for messages.
func joinQuoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
