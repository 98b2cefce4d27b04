package node

import (
	"fmt"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/nodeconfig"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Ownership and permissions of the files CIS 1.1 and 4.1 name, read by
// kubeward node. Each CIS item is its own check; the table below is one
// line per item. "600 or more restrictive" means no permission bit outside
// 0600. Severity follows what a wrong mode exposes: a file others may write
// is a way to run code as root (a static pod manifest, a kubelet unit); a
// credential others may read is the identity it holds.

// fileRule is one CIS file item.
type fileRule struct {
	id, cis, title, cisTitle string
	role                     nodeconfig.Role
	category                 check.Category
	// permissions: the most a mode may allow; 0 for an ownership rule.
	max uint32
	// secret: the file holds a credential or key (reading it is the risk).
	secret bool
	// admin: the credential is cluster-admin.
	admin bool
}

var fileRules = []fileRule{
	{"file-apiserver-manifest-permissions", "1.1.1", "API server pod manifest permissions are too open", "Ensure that the API server pod specification file permissions are set to 600 or more restrictive", nodeconfig.RoleAPIServerManifest, check.CategoryControlPlane, 0o600, false, false},
	{"file-apiserver-manifest-ownership", "1.1.2", "API server pod manifest is not owned by root", "Ensure that the API server pod specification file ownership is set to root:root", nodeconfig.RoleAPIServerManifest, check.CategoryControlPlane, 0, false, false},
	{"file-controller-manager-manifest-permissions", "1.1.3", "Controller manager pod manifest permissions are too open", "Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive", nodeconfig.RoleControllerManagerManifest, check.CategoryControlPlane, 0o600, false, false},
	{"file-controller-manager-manifest-ownership", "1.1.4", "Controller manager pod manifest is not owned by root", "Ensure that the controller manager pod specification file ownership is set to root:root", nodeconfig.RoleControllerManagerManifest, check.CategoryControlPlane, 0, false, false},
	{"file-scheduler-manifest-permissions", "1.1.5", "Scheduler pod manifest permissions are too open", "Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive", nodeconfig.RoleSchedulerManifest, check.CategoryControlPlane, 0o600, false, false},
	{"file-scheduler-manifest-ownership", "1.1.6", "Scheduler pod manifest is not owned by root", "Ensure that the scheduler pod specification file ownership is set to root:root", nodeconfig.RoleSchedulerManifest, check.CategoryControlPlane, 0, false, false},
	{"file-etcd-manifest-permissions", "1.1.7", "etcd pod manifest permissions are too open", "Ensure that the etcd pod specification file permissions are set to 600 or more restrictive", nodeconfig.RoleEtcdManifest, check.CategoryControlPlane, 0o600, false, false},
	{"file-etcd-manifest-ownership", "1.1.8", "etcd pod manifest is not owned by root", "Ensure that the etcd pod specification file ownership is set to root:root", nodeconfig.RoleEtcdManifest, check.CategoryControlPlane, 0, false, false},
	{"file-cni-permissions", "1.1.9", "CNI configuration permissions are too open", "Ensure that the Container Network Interface file permissions are set to 600 or more restrictive", nodeconfig.RoleCNI, check.CategoryControlPlane, 0o600, false, false},
	{"file-cni-ownership", "1.1.10", "CNI configuration is not owned by root", "Ensure that the Container Network Interface file ownership is set to root:root", nodeconfig.RoleCNI, check.CategoryControlPlane, 0, false, false},
	{"file-etcd-data-dir-permissions", "1.1.11", "etcd data directory permissions are too open", "Ensure that the etcd data directory permissions are set to 700 or more restrictive", nodeconfig.RoleEtcdDataDir, check.CategoryControlPlane, 0o700, true, false},
	{"file-etcd-data-dir-ownership", "1.1.12", "etcd data directory is not owned by etcd or root", "Ensure that the etcd data directory ownership is set to etcd:etcd", nodeconfig.RoleEtcdDataDir, check.CategoryControlPlane, 0, true, false},
	{"file-admin-kubeconfig-permissions", "1.1.13", "Administrator kubeconfig permissions are too open", "Ensure that the default administrative credential file permissions are set to 600", nodeconfig.RoleAdminKubeconfig, check.CategoryControlPlane, 0o600, true, true},
	{"file-admin-kubeconfig-ownership", "1.1.14", "Administrator kubeconfig is not owned by root", "Ensure that the default administrative credential file ownership is set to root:root", nodeconfig.RoleAdminKubeconfig, check.CategoryControlPlane, 0, true, true},
	{"file-scheduler-kubeconfig-permissions", "1.1.15", "Scheduler kubeconfig permissions are too open", "Ensure that the scheduler.conf file permissions are set to 600 or more restrictive", nodeconfig.RoleSchedulerKubeconfig, check.CategoryControlPlane, 0o600, true, false},
	{"file-scheduler-kubeconfig-ownership", "1.1.16", "Scheduler kubeconfig is not owned by root", "Ensure that the scheduler.conf file ownership is set to root:root", nodeconfig.RoleSchedulerKubeconfig, check.CategoryControlPlane, 0, true, false},
	{"file-controller-manager-kubeconfig-permissions", "1.1.17", "Controller manager kubeconfig permissions are too open", "Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive", nodeconfig.RoleControllerManagerKubecfg, check.CategoryControlPlane, 0o600, true, false},
	{"file-controller-manager-kubeconfig-ownership", "1.1.18", "Controller manager kubeconfig is not owned by root", "Ensure that the controller-manager.conf file ownership is set to root:root", nodeconfig.RoleControllerManagerKubecfg, check.CategoryControlPlane, 0, true, false},
	{"file-pki-ownership", "1.1.19", "Kubernetes PKI files are not owned by root", "Ensure that the Kubernetes PKI directory and file ownership is set to root:root", nodeconfig.RolePKI, check.CategoryControlPlane, 0, true, false},
	{"file-pki-cert-permissions", "1.1.20", "Kubernetes PKI certificate permissions are too open", "Ensure that the Kubernetes PKI certificate file permissions are set to 644 or more restrictive", nodeconfig.RolePKICert, check.CategoryControlPlane, 0o644, false, false},
	{"file-pki-key-permissions", "1.1.21", "Kubernetes PKI key permissions are too open", "Ensure that the Kubernetes PKI key file permissions are set to 600", nodeconfig.RolePKIKey, check.CategoryControlPlane, 0o600, true, false},
	{"file-kubelet-service-permissions", "4.1.1", "Kubelet service file permissions are too open", "Ensure that the kubelet service file permissions are set to 600 or more restrictive", nodeconfig.RoleKubeletService, check.CategoryNode, 0o600, false, false},
	{"file-kubelet-service-ownership", "4.1.2", "Kubelet service file is not owned by root", "Ensure that the kubelet service file ownership is set to root:root", nodeconfig.RoleKubeletService, check.CategoryNode, 0, false, false},
	{"file-proxy-kubeconfig-permissions", "4.1.3", "kube-proxy kubeconfig permissions are too open", "If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive", nodeconfig.RoleProxyKubeconfig, check.CategoryNode, 0o600, true, false},
	{"file-proxy-kubeconfig-ownership", "4.1.4", "kube-proxy kubeconfig is not owned by root", "If proxy kubeconfig file exists ensure ownership is set to root:root", nodeconfig.RoleProxyKubeconfig, check.CategoryNode, 0, true, false},
	{"file-kubelet-kubeconfig-permissions", "4.1.5", "Kubelet kubeconfig permissions are too open", "Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive", nodeconfig.RoleKubeletKubeconfig, check.CategoryNode, 0o600, true, false},
	{"file-kubelet-kubeconfig-ownership", "4.1.6", "Kubelet kubeconfig is not owned by root", "Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root", nodeconfig.RoleKubeletKubeconfig, check.CategoryNode, 0, true, false},
	{"file-client-ca-permissions", "4.1.7", "Kubelet client CA permissions are too open", "Ensure that the certificate authorities file permissions are set to 644 or more restrictive", nodeconfig.RoleClientCA, check.CategoryNode, 0o644, false, false},
	{"file-client-ca-ownership", "4.1.8", "Kubelet client CA is not owned by root", "Ensure that the client certificate authorities file ownership is set to root:root", nodeconfig.RoleClientCA, check.CategoryNode, 0, false, false},
	{"file-kubelet-config-permissions", "4.1.9", "Kubelet configuration file permissions are too open", "If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive", nodeconfig.RoleKubeletConfig, check.CategoryNode, 0o600, false, false},
	{"file-kubelet-config-ownership", "4.1.10", "Kubelet configuration file is not owned by root", "If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root", nodeconfig.RoleKubeletConfig, check.CategoryNode, 0, false, false},
}

// FileChecks are the registered checks of fileRules, by id.
var FileChecks = map[string]*check.Check{}

func init() {
	for _, r := range fileRules {
		c := fileCheck(r)
		FileChecks[r.id] = c
		check.Register(c)
	}
}

var hostFileKinds = []schema.GroupKind{nodeconfig.KindHostFile}

// nodeFilesSubject: owners and modes are read only by kubeward node; a scan
// that read none (a cluster, copied files) has nothing for the file checks
// to judge. A file the benchmark names but the node does not have is
// skipped, as the benchmark says.
var nodeFilesSubject = &check.Subject{Gap: check.GapNodeFiles, Name: "owners and modes of node files", Present: func(_ *check.Context, inv *inventory.Inventory) bool {
	return len(inv.ByKind(nodeconfig.KindHostFile)) > 0
}}

func fileCheck(r fileRule) *check.Check {
	meta := check.Meta{
		ID:       r.id,
		Title:    r.title,
		Category: r.category,
		Reads:    []string{fmt.Sprintf("owner, group and mode of the %s files on the node (kubeward node)", r.role)},
		Refs:     []check.Reference{check.CIS(r.cis, r.cisTitle)},
	}
	if r.max != 0 {
		meta.Severity = check.Medium
		if r.secret {
			meta.Severity = check.High
		}
		meta.Rationale = fmt.Sprintf("Permissions beyond %04o let other local users change the file (and so what runs as root) or read it", r.max)
		if r.secret {
			meta.Rationale += ", which here is a credential or key"
		}
		meta.Rationale += "."
		meta.Fix = fmt.Sprintf("chmod %o FILE (or stricter).", r.max)
	} else {
		meta.Severity = check.Medium
		meta.Rationale = "A file owned by another user can be changed by that user, and through it what the " +
			"control plane or kubelet runs or trusts."
		meta.Fix = "chown root:root FILE."
		if r.role == nodeconfig.RoleEtcdDataDir {
			meta.Fix = "chown -R etcd:etcd DIR when etcd runs as the etcd user, root:root when it runs as root (kubeadm)."
		}
	}
	return &check.Check{
		Meta:    meta,
		Needs:   hostFileKinds,
		Subject: nodeFilesSubject,
		Inventory: func(_ *check.Context, inv *inventory.Inventory) []check.Result {
			var out []check.Result
			for _, o := range inv.ByKind(nodeconfig.KindHostFile) {
				fi, ok := nodeconfig.HostFileOf(o)
				if !ok || !fi.Has(r.role) {
					continue
				}
				if res, bad := judgeFile(r, fi); bad {
					res.Object = o
					out = append(out, res)
				}
			}
			return out
		},
	}
}

// judgeFile applies one rule to one file.
func judgeFile(r fileRule, fi nodeconfig.FileInfo) (check.Result, bool) {
	kind := "file"
	if fi.Dir {
		kind = "directory"
	}
	if r.max == 0 {
		if fi.UID == 0 && fi.GID == 0 {
			return check.Result{}, false
		}
		if fi.AlsoAllowedUser != "" && fi.User == fi.AlsoAllowedUser {
			return check.Result{}, false
		}
		sev := check.Medium
		if fi.UID != 0 && r.secret {
			sev = check.High
		}
		if fi.UID == 0 {
			sev = check.Low // only the group differs
		}
		return check.Result{Path: fieldpath.New("owner"), Severity: sev,
			Message: fmt.Sprintf("%s %s is owned by %s, not root:root", kind, fi.Path, owner(fi))}, true
	}
	extra := fi.Mode &^ r.max
	if extra == 0 {
		return check.Result{}, false
	}
	sev := check.Low
	switch {
	case extra&0o022 != 0:
		sev = check.High // group or others may write
	case r.secret && extra&0o004 != 0 && r.admin:
		sev = check.Critical
	case r.secret && extra&0o044 != 0:
		sev = check.High
	}
	return check.Result{Path: fieldpath.New("mode"), Severity: sev,
		Message: fmt.Sprintf("%s %s has mode %04o, more than %04o (%s)", kind, fi.Path, fi.Mode, r.max, describeBits(extra))}, true
}

func owner(fi nodeconfig.FileInfo) string {
	u, g := fi.User, fi.Group
	if u == "" {
		u = fmt.Sprint(fi.UID)
	}
	if g == "" {
		g = fmt.Sprint(fi.GID)
	}
	return u + ":" + g
}

// describeBits names the permissions a mode has in excess.
func describeBits(extra uint32) string {
	var parts []string
	who := []struct {
		shift uint
		name  string
	}{{6, "owner"}, {3, "group"}, {0, "others"}}
	for _, w := range who {
		bits := (extra >> w.shift) & 7
		if bits == 0 {
			continue
		}
		s := w.name + " may"
		var what []string
		if bits&4 != 0 {
			what = append(what, "read")
		}
		if bits&2 != 0 {
			what = append(what, "write")
		}
		if bits&1 != 0 {
			what = append(what, "execute")
		}
		for i, x := range what {
			if i > 0 {
				s += ","
			}
			s += " " + x
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "special bits"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += "; " + p
	}
	return out
}
