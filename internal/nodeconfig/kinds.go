// Package nodeconfig models what kubeward reads on a node that is not a
// Kubernetes object: the kubelet's command line (from its process or its
// systemd unit and environment files) and the ownership and permissions of
// control-plane and kubelet files. Both become inventory objects of kinds in
// the node.kubeward.dev group, so the node checks are ordinary inventory
// checks and findings point at a file and line.
//
// The parsers here (systemd units, environment files) are pure; the loaders
// that read a directory or a node's filesystem live in
// internal/source/nodeconfig.
package nodeconfig

import (
	"fmt"
	"strconv"

	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// APIVersion of the synthetic kinds.
const APIVersion = "node.kubeward.dev/v1alpha1"

var (
	// KindKubeletCommandLine is a kubelet's arguments with where each came from.
	KindKubeletCommandLine = schema.GroupKind{Group: "node.kubeward.dev", Kind: "KubeletCommandLine"}
	// KindHostFile is a file or directory's ownership and mode.
	KindHostFile = schema.GroupKind{Group: "node.kubeward.dev", Kind: "HostFile"}
	// KindKubeletConfiguration is the kubelet's configuration file kind.
	KindKubeletConfiguration = schema.GroupKind{Group: "kubelet.config.k8s.io", Kind: "KubeletConfiguration"}
)

// Arg is one kubelet argument and where it was written: "FILE:LINE" of a
// unit or environment file, or "/proc/PID/cmdline".
type Arg struct {
	Value  string
	Origin string
}

// positions is where each argument is written in the object's source file.
type positions []inventory.Position

// Locate maps args[i] to where the argument is written.
func (p positions) Locate(paths []*fieldpath.Path) ([]inventory.Position, error) {
	out := make([]inventory.Position, len(paths))
	for i, path := range paths {
		elems := path.Elems()
		if len(elems) >= 2 && elems[0].Name == "args" && elems[1].IsIndex && elems[1].Index < len(p) {
			out[i] = p[elems[1].Index]
		} else if len(p) > 0 {
			out[i] = p[0]
		}
	}
	return out, nil
}

// NewKubeletCommandLine builds the object for a kubelet's arguments. pos,
// when given, holds where each argument is written in src.File.
func NewKubeletCommandLine(name string, args []Arg, pos []inventory.Position, src inventory.Source) *inventory.Object {
	raw := make([]any, len(args))
	origins := make([]any, len(args))
	for i, a := range args {
		raw[i], origins[i] = a.Value, a.Origin
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": APIVersion, "kind": KindKubeletCommandLine.Kind,
		"metadata": map[string]any{"name": name},
		"args":     raw, "origins": origins,
	}}
	o := inventory.NewMeta(APIVersion, KindKubeletCommandLine.Kind, metav1.ObjectMeta{Name: name}, src)
	o.Raw = u
	if len(pos) == len(args) {
		o.Locator = positions(pos)
	}
	return o
}

// KubeletArgs returns the arguments of a KubeletCommandLine object.
func KubeletArgs(o *inventory.Object) ([]Arg, bool) {
	if o.GroupKind() != KindKubeletCommandLine || o.Raw == nil {
		return nil, false
	}
	args, _ := o.Raw.Object["args"].([]any)
	origins, _ := o.Raw.Object["origins"].([]any)
	out := make([]Arg, 0, len(args))
	for i, a := range args {
		s, _ := a.(string)
		var origin string
		if i < len(origins) {
			origin, _ = origins[i].(string)
		}
		out = append(out, Arg{Value: s, Origin: origin})
	}
	return out, true
}

// FileInfo is what the file checks read about one path on a node.
type FileInfo struct {
	Path  string
	Roles []Role // a CA certificate can be both a PKI file and the kubelet's client CA
	Mode  uint32 // permission bits (0o777)
	UID   int
	GID   int
	User  string // owner's name, when it resolves
	Group string
	Dir   bool
	// Owners accepted besides root:root, for roles that allow a service
	// account (etcd's data directory may belong to the etcd user).
	AlsoAllowedUser string
}

// NewHostFile builds the object for a file's ownership and mode.
func NewHostFile(fi FileInfo) *inventory.Object {
	roles := make([]any, len(fi.Roles))
	for i, r := range fi.Roles {
		roles[i] = string(r)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": APIVersion, "kind": KindHostFile.Kind,
		"metadata": map[string]any{"name": fi.Path},
		"path":     fi.Path, "roles": roles, "mode": fmt.Sprintf("%04o", fi.Mode),
		"uid": int64(fi.UID), "gid": int64(fi.GID), "user": fi.User, "group": fi.Group, "dir": fi.Dir,
		"alsoAllowedUser": fi.AlsoAllowedUser,
	}}
	o := inventory.NewMeta(APIVersion, KindHostFile.Kind, metav1.ObjectMeta{Name: fi.Path}, inventory.Source{File: fi.Path})
	o.Raw = u
	return o
}

// HostFileOf reads a HostFile object.
func HostFileOf(o *inventory.Object) (FileInfo, bool) {
	if o.GroupKind() != KindHostFile || o.Raw == nil {
		return FileInfo{}, false
	}
	m := o.Raw.Object
	str := func(k string) string { s, _ := m[k].(string); return s }
	num := func(k string) int {
		switch v := m[k].(type) {
		case int64:
			return int(v)
		case int:
			return v
		case float64:
			return int(v)
		}
		return -1
	}
	mode, err := strconv.ParseUint(str("mode"), 8, 32)
	if err != nil {
		return FileInfo{}, false
	}
	dir, _ := m["dir"].(bool)
	var roles []Role
	list, _ := m["roles"].([]any)
	for _, r := range list {
		if s, ok := r.(string); ok {
			roles = append(roles, Role(s))
		}
	}
	return FileInfo{Path: str("path"), Roles: roles, Mode: uint32(mode), UID: num("uid"), GID: num("gid"),
		User: str("user"), Group: str("group"), Dir: dir, AlsoAllowedUser: str("alsoAllowedUser")}, true
}

// Has reports whether the file plays a role.
func (fi FileInfo) Has(r Role) bool {
	for _, x := range fi.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Role is why a file matters: which CIS item names it.
type Role string

// The files of CIS 1.1 and 4.1.
const (
	RoleAPIServerManifest         Role = "apiserver-manifest"
	RoleControllerManagerManifest Role = "controller-manager-manifest"
	RoleSchedulerManifest         Role = "scheduler-manifest"
	RoleEtcdManifest              Role = "etcd-manifest"
	RoleCNI                       Role = "cni"
	RoleEtcdDataDir               Role = "etcd-data-dir"
	RoleAdminKubeconfig           Role = "admin-kubeconfig"
	RoleSchedulerKubeconfig       Role = "scheduler-kubeconfig"
	RoleControllerManagerKubecfg  Role = "controller-manager-kubeconfig"
	RolePKI                       Role = "pki"
	RolePKICert                   Role = "pki-cert"
	RolePKIKey                    Role = "pki-key"
	RoleKubeletService            Role = "kubelet-service"
	RoleProxyKubeconfig           Role = "proxy-kubeconfig"
	RoleKubeletKubeconfig         Role = "kubelet-kubeconfig"
	RoleClientCA                  Role = "client-ca"
	RoleKubeletConfig             Role = "kubelet-config"
	// RoleKubeletConfigDir is the kubelet's --config-dir: no check judges
	// the directory; it records that kubeward node read it.
	RoleKubeletConfigDir Role = "kubelet-config-dir"
)
