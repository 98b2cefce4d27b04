package node

import (
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/nodeconfig"
	"github.com/kubeward/kubeward/internal/scan"
)

// Every CIS file item is checked on a file that complies, one that is too
// open or owned by someone else, and a file of another role.
func TestFileChecks(t *testing.T) {
	if len(FileChecks) != 31 {
		t.Fatalf("%d file checks, want the 31 items of CIS 1.1 and 4.1", len(FileChecks))
	}
	for _, r := range fileRules {
		t.Run(r.id, func(t *testing.T) {
			c := FileChecks[r.id]
			good := nodeconfig.FileInfo{Path: "/good", Roles: []nodeconfig.Role{r.role}, Mode: 0o600, UID: 0, GID: 0, User: "root", Group: "root"}
			if r.max == 0o700 {
				good.Mode, good.Dir = 0o700, true
			}
			bad := good
			bad.Path = "/bad"
			if r.max != 0 {
				bad.Mode = 0o666
			} else {
				bad.UID, bad.User = 1000, "alice"
			}
			other := bad
			other.Path, other.Roles = "/other", []nodeconfig.Role{"something-else"}
			fs := runFiles(t, c, good, bad, other)
			if len(fs) != 1 || fs[0].Object.Name != "/bad" || fs[0].Source.File != "/bad" {
				t.Fatalf("findings %+v, want one on /bad", fs)
			}
		})
	}
}

func TestFileSeverity(t *testing.T) {
	admin := FileChecks["file-admin-kubeconfig-permissions"]
	manifest := FileChecks["file-apiserver-manifest-permissions"]
	tests := []struct {
		c    *check.Check
		mode uint32
		want check.Severity
	}{
		{admin, 0o644, check.Critical}, // any local user is cluster-admin
		{admin, 0o640, check.High},     // the group is
		{manifest, 0o644, check.Low},   // readable, not a secret
		{manifest, 0o664, check.High},  // the group can run anything as root
		{manifest, 0o700, check.Low},   // executable bit only
	}
	for _, tt := range tests {
		fs := runFiles(t, tt.c, nodeconfig.FileInfo{Path: "/f", Roles: []nodeconfig.Role{nodeconfig.RoleAdminKubeconfig, nodeconfig.RoleAPIServerManifest}, Mode: tt.mode})
		if len(fs) != 1 || fs[0].Severity != tt.want {
			t.Errorf("%s %04o: %+v, want %s", tt.c.ID, tt.mode, fs, tt.want)
		}
	}
	// etcd's data directory may belong to the etcd user.
	own := FileChecks["file-etcd-data-dir-ownership"]
	dir := nodeconfig.FileInfo{Path: "/var/lib/etcd", Roles: []nodeconfig.Role{nodeconfig.RoleEtcdDataDir}, Mode: 0o700, UID: 998, GID: 998, User: "etcd", Group: "etcd", Dir: true, AlsoAllowedUser: "etcd"}
	if fs := runFiles(t, own, dir); len(fs) != 0 {
		t.Errorf("etcd:etcd: %+v", fs)
	}
	dir.User = "mallory"
	if fs := runFiles(t, own, dir); len(fs) != 1 || fs[0].Severity != check.High {
		t.Errorf("mallory: %+v", fs)
	}
}

func runFiles(t *testing.T, c *check.Check, files ...nodeconfig.FileInfo) []check.Finding {
	t.Helper()
	inv := inventory.NewInventory()
	for _, f := range files {
		inv.Add(nodeconfig.NewHostFile(f))
	}
	return scan.New(scan.Options{Checks: []*check.Check{c}}).Inventory(inv).Findings
}
