package rbac

import (
	"fmt"
	"sort"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	authz "github.com/kubeward/kubeward/internal/rbac"
)

// cloudIAMAnnotations tie a Kubernetes service account to a cloud identity
// (EKS IRSA, GKE Workload Identity, Azure Workload Identity).
var cloudIAMAnnotations = []string{
	"eks.amazonaws.com/role-arn",
	"iam.gke.io/gcp-service-account",
	"azure.workload.identity/client-id",
}

// CloudIAMServiceAccount reports ServiceAccounts annotated with a cloud IAM
// identity that also hold high-risk Kubernetes permissions (cluster-admin,
// escalate/bind, impersonate, CSR approval, webhook changes, nodes/proxy,
// token creation, secrets read, exec, pod creation, PV creation).
//
// Reads: ServiceAccount metadata.annotations, and the account's effective
// permissions (its own bindings and those of system:serviceaccounts,
// system:serviceaccounts:NS, system:authenticated). Allows: annotated
// accounts without such rights, and accounts of system namespaces.
var CloudIAMServiceAccount = &check.Check{
	Meta: check.Meta{
		ID:       "rbac-cloud-iam-service-account",
		Title:    "Service account with a cloud IAM identity holds high-risk Kubernetes rights",
		Severity: check.High,
		Category: check.CategoryRBAC,
		Rationale: "Its token opens both the cluster and the cloud account: compromising one pod that runs as it reaches " +
			"cloud resources and cluster-wide privileges at once.",
		Fix:   "Split the identity: one service account for the cloud role, another (without it) for the Kubernetes rights.",
		Reads: []string{"ServiceAccount metadata.annotations", "RoleBinding", "ClusterRoleBinding", "Role rules", "ClusterRole rules"},
		Refs:  references,
	},
	Needs:     needs,
	Inventory: cloudIAMServiceAccount,
}

func init() { check.Register(CloudIAMServiceAccount) }

func cloudIAMServiceAccount(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	m := model(ctx, inv)
	subjects := make([]authz.Subject, 0, len(m.ServiceAccounts))
	for s := range m.ServiceAccounts {
		subjects = append(subjects, s)
	}
	sort.Slice(subjects, func(i, j int) bool { return subjects[i].String() < subjects[j].String() })
	var out []check.Result
	for _, s := range subjects {
		if exempt(ctx, s) {
			continue
		}
		sa := m.ServiceAccounts[s]
		for _, key := range cloudIAMAnnotations {
			id, ok := sa.Annotations[key]
			if !ok {
				continue
			}
			risks := riskSummary(m.Model, catalog(ctx), authz.UserInfoFor(s), "")
			if len(risks) == 0 {
				break
			}
			o := m.Objects[authz.ObjectRef{Kind: "ServiceAccount", Namespace: s.Namespace, Name: s.Name}]
			out = append(out, check.Result{Object: o, Path: fieldpath.New("metadata", "annotations").Key(key),
				Message: fmt.Sprintf("%s is cloud identity %s, and its rights include %s", s, id, joinRisks(risks))})
			break
		}
	}
	return out
}
