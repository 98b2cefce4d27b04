// Package bootstrap holds the RBAC objects and the API resources that a
// fresh kube-apiserver (with kube-controller-manager filling aggregated
// ClusterRoles) of one Kubernetes version serves, so bindings in manifests
// to cluster-admin, admin, edit, view and the system:* roles resolve as
// they will in a cluster.
//
// The data is dumped from a real API server by
//
//	KUBEWARD_UPDATE_BOOTSTRAP=1 go test ./internal/rbac/bootstrap -run TestBootstrapMatchesServer
//
// and the same test, without the variable, checks the embedded data against
// a live server.
package bootstrap

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Version is the Kubernetes version the embedded data was taken from.
const Version = "v1.37"

// FileName is the embedded file, relative to this package.
const FileName = "kubernetes-v1.37.json"

//go:embed kubernetes-v1.37.json
var raw []byte

// Data is what a fresh API server holds.
type Data struct {
	// ServerVersion is the git version the data was dumped from.
	ServerVersion       string                      `json:"serverVersion"`
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
	Roles               []rbacv1.Role               `json:"roles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
	// Resources are the served resources and subresources of every group
	// and version ("pods", "pods/exec").
	Resources []Resource `json:"resources"`
}

// Resource is one served resource or subresource.
type Resource struct {
	Group      string   `json:"group"`
	Version    string   `json:"version"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Namespaced bool     `json:"namespaced"`
	Verbs      []string `json:"verbs,omitempty"`
	// SingularName and ShortNames are what kubectl also accepts for the
	// resource ("deployment", "deploy").
	SingularName string   `json:"singularName,omitempty"`
	ShortNames   []string `json:"shortNames,omitempty"`
}

var (
	once   sync.Once
	loaded *Data
	errLd  error
)

// Load returns the embedded data, decoded once. Callers must not modify it.
func Load() (*Data, error) {
	once.Do(func() {
		d := &Data{}
		if err := json.Unmarshal(raw, d); err != nil {
			errLd = fmt.Errorf("decoding embedded bootstrap RBAC %s: %w", FileName, err)
			return
		}
		loaded = d
	})
	return loaded, errLd
}
