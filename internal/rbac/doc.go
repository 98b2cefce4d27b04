// Package rbac is an exact model of the Kubernetes RBAC authorizer (v1.37):
// it answers access questions with the binding and rule that decide them
// (Allowed), lists who may make a request (WhoCan), lists what an identity
// holds (Permissions), computes ClusterRole aggregation as the controller
// does, and finds escalation paths to cluster-admin equivalence
// (Escalation). It is pure Go over k8s.io/api/rbac/v1 types, built once
// from lists of objects; problems in the input are reported, never fatal.
//
// Semantics follow k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac,
// pkg/registry/rbac/validation and pkg/controller/clusterroleaggregation,
// re-implemented here; TestDifferentialAgainstAPIServer holds them equal to
// a real kube-apiserver. See docs/rbac.md.
package rbac
