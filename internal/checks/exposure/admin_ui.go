package exposure

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// adminUI is a web interface that reads or changes the cluster or its
// data with powers of its own.
type adminUI struct {
	product string
	tokens  []string // workload, label or image names, as hyphen-separated words
}

var adminUIs = []adminUI{
	{"the Kubernetes dashboard", []string{"kubernetes-dashboard", "kubernetesui-dashboard"}},
	{"Jupyter", []string{"jupyter", "jupyterhub", "jupyterlab"}},
	{"Kibana", []string{"kibana"}},
	{"Argo CD", []string{"argocd-server"}},
	{"Argo Workflows", []string{"argo-server"}},
	{"Grafana", []string{"grafana"}},
	{"Kiali", []string{"kiali"}},
	{"Jenkins", []string{"jenkins"}},
	{"Apache NiFi", []string{"nifi"}},
	{"Weave Scope", []string{"weave-scope-app"}},
	{"the Kubeflow dashboard", []string{"kubeflow-dashboard", "centraldashboard"}},
}

// notUI are words that mark a companion of an interface, not the interface:
// grafana-agent, kiali-operator, jenkins-exporter.
var notUI = []string{"agent", "operator", "exporter", "controller", "sidecar", "webhook", "init"}

// identify names the admin interface a pod runs, from its workload's name,
// its app labels or its images; "" when none.
func identify(p *inventory.Pod) string {
	names := []string{p.Object.Name}
	for _, k := range []string{"app", "app.kubernetes.io/name", "app.kubernetes.io/component", "k8s-app", "component"} {
		if v := p.Meta.Labels[k]; v != "" {
			names = append(names, v)
		}
	}
	for _, c := range p.Containers() {
		if repo, _, _ := strings.Cut(c.Image, ":"); repo != "" {
			// kubernetesui/dashboard -> kubernetesui-dashboard; grafana/grafana -> grafana
			parts := strings.Split(repo, "/")
			names = append(names, parts[len(parts)-1])
			if len(parts) > 1 {
				names = append(names, parts[len(parts)-2]+"-"+parts[len(parts)-1])
			}
		}
	}
	for _, n := range names {
		words := strings.FieldsFunc(strings.ToLower(n), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		if slices.ContainsFunc(words, func(w string) bool { return slices.Contains(notUI, w) }) {
			continue
		}
		joined := "-" + strings.Join(words, "-") + "-"
		for _, ui := range adminUIs {
			for _, tok := range ui.tokens {
				if strings.Contains(joined, "-"+tok+"-") {
					return ui.product
				}
			}
		}
	}
	return ""
}

// AdminUIExposed reports NodePort and LoadBalancer Services that publish a
// known administration interface: the Kubernetes dashboard, Jupyter,
// Kibana, Argo CD, Argo Workflows, Grafana, Kiali, Jenkins, NiFi, Weave
// Scope, the Kubeflow dashboard.
//
// Reads: spec.type, spec.selector, spec.loadBalancerSourceRanges of
// Services; the names, app labels and images of the workloads they select.
// Allows: ClusterIP Services (reach them through an authenticating proxy or
// port-forward); companions of the interfaces (agents, operators,
// exporters). A LoadBalancer limited by loadBalancerSourceRanges is
// reported at medium severity.
var AdminUIExposed = &check.Check{
	Meta: check.Meta{
		ID:       "admin-ui-exposed",
		Title:    "Administration interface exposed outside the cluster",
		Severity: check.High,
		Category: check.CategoryExposure,
		Rationale: "Dashboards and notebooks act with powers of their own (a service account, data-source " +
			"credentials, code execution by design) and are the first thing scanners look for: published on " +
			"every node's port or a load balancer, a weak or skipped login is all that stands between the " +
			"Internet and the cluster. Exposed dashboards and Jupyter servers are a classic way into clusters.",
		Fix: "Make the Service ClusterIP and publish the interface through an Ingress or Gateway with " +
			"authentication (an OIDC proxy) and TLS, or reach it with kubectl port-forward.",
		Reads: []string{"Service spec.type", "Service spec.selector", "Service spec.loadBalancerSourceRanges", "metadata.name", "metadata.labels", "spec.containers[*].image"},
		Refs: []check.Reference{check.NSA("Network separation and hardening"),
			check.MITRE("T1133", "External Remote Services")},
		Peers: []check.Peer{check.Kubescape("C-0021").Differs("kubescape matches workload names against a configurable list and a LoadBalancer only once it has an address; " +
			"kubeward also reads labels and images, and judges the Service's type")},
	},
	Inventory:      adminUIExposed,
	NamespaceLocal: true,
	Needs:          append([]schema.GroupKind{inventory.KindService}, inventory.WorkloadKinds...),
}

func init() { check.Register(AdminUIExposed) }

func adminUIExposed(_ *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	seen := map[*inventory.Object]bool{}
	for _, p := range inv.Pods() {
		product := identify(p)
		if product == "" {
			continue
		}
		for _, so := range inv.ServicesSelecting(p) {
			s := so.Typed.(*corev1.Service)
			if seen[so] || (s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer) {
				continue
			}
			seen[so] = true
			how := "on a port of every node"
			res := check.Result{Object: so, Path: typePath}
			if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
				how = "through a load balancer open to any address"
				if len(s.Spec.LoadBalancerSourceRanges) > 0 {
					how = "through a load balancer limited to " + strings.Join(s.Spec.LoadBalancerSourceRanges, ", ")
					res.Severity = check.Medium
				}
			}
			res.Message = fmt.Sprintf("Service %s publishes %s (%s %s) %s", so.Name, product, p.Object.Kind, p.Object.Name, how)
			out = append(out, res)
		}
	}
	return out
}
