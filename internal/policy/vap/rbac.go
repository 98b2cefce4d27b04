package vap

import (
	"context"
	"fmt"

	"github.com/kubeward/kubeward/internal/rbac"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// RBACAuthorizer answers the CEL authorizer from an RBAC model (the RBAC
// objects of the inputs and the API server's bootstrap roles), as the API
// server's privileged-group and RBAC authorizers would; the Node and
// webhook authorizers are not modelled. It never says Deny, only Allow or
// no opinion, as RBAC.
func RBACAuthorizer(m *rbac.Model) authorizer.UnconditionalAuthorizer { return rbacAuthorizer{m} }

type rbacAuthorizer struct{ m *rbac.Model }

func (r rbacAuthorizer) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	u := rbac.UserInfo{}
	if a.GetUser() != nil {
		u = rbac.UserInfo{Name: a.GetUser().GetName(), Groups: a.GetUser().GetGroups()}
	}
	attrs := rbac.Attributes{Verb: a.GetVerb(), NonResource: !a.IsResourceRequest(), Path: a.GetPath()}
	if a.IsResourceRequest() {
		attrs = rbac.Attributes{Verb: a.GetVerb(), APIGroup: a.GetAPIGroup(), Resource: a.GetResource(),
			Subresource: a.GetSubresource(), Name: a.GetName(), Namespace: a.GetNamespace()}
	}
	d := r.m.Allowed(u, attrs)
	if !d.Allowed {
		return authorizer.DecisionNoOpinion, "", nil
	}
	reason := "allowed"
	if d.Grant != nil {
		reason = fmt.Sprintf("allowed by %s", d.Grant)
	}
	return authorizer.DecisionAllow, reason, nil
}
