package rbac

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
)

// DashboardAdmin reports the Kubernetes dashboard's service account bound to
// cluster-admin or an equivalent ClusterRole, whatever its namespace: the
// classic install in kube-system is exactly what rbac-cluster-admin-binding,
// which trusts system namespaces, lets pass.
//
// Reads: ClusterRoleBinding roleRef and subjects, the ClusterRole's
// (aggregated) rules; ServiceAccounts named kubernetes-dashboard and the
// service accounts of pods running a dashboard image
// (kubernetesui/dashboard, kubernetes-dashboard).
// Allows: dashboards bound to narrower roles (the dashboard then acts with
// each user's own token).
var DashboardAdmin = &check.Check{
	Meta: check.Meta{
		ID:       "dashboard-cluster-admin",
		Title:    "Kubernetes dashboard runs as cluster-admin",
		Severity: check.Critical,
		Category: check.CategoryExposure,
		Rationale: "A dashboard whose service account is cluster-admin hands the whole cluster to anyone who reaches " +
			"its web page and clicks skip, or who reaches its pod from inside the cluster: this is how Tesla's " +
			"cluster was taken over to mine cryptocurrency in 2018.",
		Fix: "Bind the dashboard's service account to nothing beyond its own namespace's needs and have users log in " +
			"with their own tokens; remove the ClusterRoleBinding to cluster-admin.",
		Reads: []string{"ClusterRoleBinding roleRef", "ClusterRoleBinding subjects", "ClusterRole rules", "spec.containers[*].image", "spec.serviceAccountName"},
		Refs: append([]check.Reference{check.CIS("5.1.1", "Ensure that the cluster-admin role is only used where required"),
			check.MITRE("T1133", "External Remote Services")}, references...),
	},
	Needs:     needs,
	Inventory: dashboardAdmin,
}

func init() { check.Register(DashboardAdmin) }

// dashboardImage reports whether an image is the Kubernetes dashboard's
// (or its API module's, which makes the calls).
func dashboardImage(image string) bool {
	return strings.Contains(image, "kubernetesui/dashboard") || strings.Contains(image, "kubernetes-dashboard")
}

func dashboardAccounts(inv *inventory.Inventory) map[authz.Subject]bool {
	out := map[authz.Subject]bool{}
	for _, o := range inv.ByKind(inventory.KindServiceAccount) {
		if o.Name == "kubernetes-dashboard" {
			out[authz.Subject{Kind: authz.KindServiceAccount, Namespace: rbacinv.Namespace(o), Name: o.Name}] = true
		}
	}
	for _, p := range inv.Pods() {
		for _, c := range p.Containers() {
			if dashboardImage(c.Image) {
				out[authz.Subject{Kind: authz.KindServiceAccount, Namespace: rbacinv.Namespace(p.Object), Name: p.ServiceAccountName()}] = true
			}
		}
	}
	return out
}

func dashboardAdmin(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	accounts := dashboardAccounts(inv)
	if len(accounts) == 0 {
		return nil
	}
	m := model(ctx, inv)
	var out []check.Result
	for _, rv := range m.Roles() {
		if rv.Ref.Kind != "ClusterRole" {
			continue
		}
		if _, ok := isAdminRole(&rv); !ok {
			continue
		}
		for _, b := range rv.Bindings {
			o := m.Objects[b.Ref]
			if b.Namespace != "" || o == nil {
				continue
			}
			for k, s := range b.Subjects {
				if accounts[s] {
					out = append(out, check.Result{Object: o, Path: fieldpath.New("subjects").Index(b.SubjectIndex[k]),
						Message: fmt.Sprintf("%s makes the dashboard's %s cluster-admin equivalent through %s", b.Ref, s, rv.Ref)})
				}
			}
		}
	}
	return out
}
