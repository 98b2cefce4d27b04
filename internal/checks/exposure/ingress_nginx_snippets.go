package exposure

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
)

// controllerImage matches the ingress-nginx controller's images and their tag.
var controllerImage = regexp.MustCompile(`(?:^|/)(?:ingress-nginx/controller|nginx-ingress-controller)(?:-[a-z0-9]+)?:v?([0-9][^@]*)`)

// Releases of ingress-nginx that matter for snippets: 0.49.1 and 1.0.1 added
// allow-snippet-annotations (CVE-2021-25742); 1.9.0 turned it off by default.
var (
	snippetsSwitchOld = version.MustParseGeneric("0.49.1")
	snippetsSwitch    = version.MustParseGeneric("1.0.1")
	snippetsOff       = version.MustParseGeneric("1.9.0")
)

// NginxSnippets reports ingress-nginx configuration that lets the authors of
// Ingresses inject NGINX configuration: snippet annotations on Ingresses, a
// controller ConfigMap with allow-snippet-annotations: "true" (or
// annotations-risk-level: Critical), and controllers too old to turn
// snippets off or that allow them by default.
//
// Reads: the nginx.ingress.kubernetes.io/{configuration,server,auth,stream,
// modsecurity}-snippet annotations of Ingresses; data of ConfigMaps
// (allow-snippet-annotations, annotations-risk-level); image and args
// (--configmap) of the controller's containers.
// Allows: controllers from 1.9.0 whose ConfigMap does not turn snippets
// on, controllers from 0.49.1 or 1.0.1 whose ConfigMap turns them off.
var NginxSnippets = &check.Check{
	Meta: check.Meta{
		ID:       "ingress-nginx-snippets",
		Title:    "ingress-nginx lets Ingress authors inject NGINX configuration",
		Severity: check.High,
		Category: check.CategoryExposure,
		Rationale: "Snippet annotations are copied into the controller's nginx.conf: anyone allowed to create or " +
			"edit an Ingress in any namespace can make the controller serve files it can read, among them its " +
			"service-account token, which reads every Secret of the cluster (CVE-2021-25742), or proxy traffic of " +
			"other hosts. The controller is reachable from outside by design.",
		Fix: "Upgrade ingress-nginx to 1.9 or later and keep allow-snippet-annotations \"false\" (and " +
			"annotations-risk-level below Critical); express what the snippets did with regular annotations or a " +
			"controller-wide configuration owned by cluster administrators.",
		Reads: []string{"metadata.annotations[nginx.ingress.kubernetes.io/*-snippet]", "ConfigMap data.allow-snippet-annotations",
			"ConfigMap data.annotations-risk-level", "spec.containers[*].image", "spec.containers[*].args"},
		Refs: []check.Reference{check.NSA("Network separation and hardening"),
			check.MITRE("T1552.007", "Unsecured Credentials: Container API")},
		Peers: []check.Peer{check.Kubescape("C-0059").Differs("kubescape judges the controller's version and ConfigMap; kubeward also reports the Ingresses that carry snippets")},
	},
	Inventory: nginxSnippets,
	Needs:     append([]schema.GroupKind{inventory.KindConfigMap, inventory.KindIngress, {Group: "extensions", Kind: "Ingress"}}, inventory.WorkloadKinds...),
}

func init() { check.Register(NginxSnippets) }

func nginxSnippets(_ *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, gk := range ingressKinds {
		for _, o := range inv.ByKind(gk) {
			ann := nginxAnnotations(o)
			for _, name := range snippetAnnotations {
				if strings.TrimSpace(ann[name]) != "" {
					out = append(out, check.Result{Object: o, Path: fieldpath.New("metadata", "annotations", nginxPrefix+name),
						Message: fmt.Sprintf("the %s annotation writes NGINX configuration into the shared controller", name)})
				}
			}
		}
	}
	controllerConfig := map[*inventory.Object]bool{}
	for _, p := range inv.Pods() {
		for _, c := range p.Containers() {
			m := controllerImage.FindStringSubmatch(c.Image)
			if m == nil {
				continue
			}
			cm := controllerConfigMap(inv, p, c)
			if cm != nil {
				controllerConfig[cm] = true
			}
			if r, ok := oldController(p, c, m[1], cm); ok {
				out = append(out, r)
			}
		}
	}
	for _, o := range inv.ByKind(inventory.KindConfigMap) {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok || (!controllerConfig[o] && !strings.Contains(o.Name, "nginx")) {
			continue
		}
		if v, ok := cm.Data["allow-snippet-annotations"]; ok && strings.EqualFold(strings.TrimSpace(v), "true") {
			out = append(out, check.Result{Object: o, Path: fieldpath.New("data", "allow-snippet-annotations"),
				Message: "the ingress-nginx configuration allows snippet annotations on every Ingress"})
		}
		if v := cm.Data["annotations-risk-level"]; strings.EqualFold(strings.TrimSpace(v), "Critical") {
			out = append(out, check.Result{Object: o, Path: fieldpath.New("data", "annotations-risk-level"),
				Message: "annotations-risk-level Critical lets Ingresses use the annotations ingress-nginx rates critical, snippets among them"})
		}
	}
	return out
}

// controllerConfigMap finds the ConfigMap named by the controller's
// --configmap argument ($(POD_NAMESPACE) is the workload's namespace).
func controllerConfigMap(inv *inventory.Inventory, p *inventory.Pod, c inventory.Container) *inventory.Object {
	for _, a := range slices.Concat(c.Command, c.Args) {
		ref, ok := strings.CutPrefix(a, "--configmap=")
		if !ok {
			continue
		}
		ns, name, found := strings.Cut(strings.ReplaceAll(ref, "$(POD_NAMESPACE)", p.Namespace()), "/")
		if !found {
			ns, name = p.Namespace(), ns
		}
		return inv.Get(inventory.KindConfigMap, ns, name)
	}
	return nil
}

// oldController judges the controller's release: too old to turn snippets
// off, or old enough to allow them unless its ConfigMap says "false".
func oldController(p *inventory.Pod, c inventory.Container, tag string, cm *inventory.Object) (check.Result, bool) {
	v, err := version.ParseGeneric(tag)
	if err != nil {
		return check.Result{}, false
	}
	path := c.Path.Child("image")
	switch {
	case v.Major() == 0 && v.LessThan(snippetsSwitchOld), v.Major() == 1 && v.LessThan(snippetsSwitch):
		return check.Result{Object: p.Object, Pod: p, Path: path,
			Message: fmt.Sprintf("ingress-nginx %s cannot turn snippet annotations off (CVE-2021-25742 is fixed from 0.49.1 and 1.0.1)", tag)}, true
	case v.LessThan(snippetsOff):
		if cm != nil {
			if c, ok := cm.Typed.(*corev1.ConfigMap); ok && strings.EqualFold(strings.TrimSpace(c.Data["allow-snippet-annotations"]), "false") {
				return check.Result{}, false
			}
		}
		return check.Result{Object: p.Object, Pod: p, Path: path,
			Message: fmt.Sprintf("ingress-nginx %s allows snippet annotations unless its ConfigMap sets allow-snippet-annotations: \"false\" (the default is off from 1.9.0)", tag)}, true
	}
	return check.Result{}, false
}
