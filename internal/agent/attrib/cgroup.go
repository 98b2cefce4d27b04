// Package attrib attributes the node agent's events to pods: the cgroup
// of a process names its container (as the kubelet and the container
// runtime name cgroups), and the API server's pod statuses name the pod of
// each container.
package attrib

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// Container is what a cgroup's path says about its process.
type Container struct {
	ID     string // the runtime's container id (64 hex digits)
	PodUID string
}

// The kubelet names a pod's cgroup kubepods-<qos>-pod<uid>.slice (systemd
// driver, dashes of the UID as underscores) or pod<uid> (cgroupfs driver);
// runtimes name a container's cri-containerd-<id>.scope, crio-<id>.scope,
// docker-<id>.scope (systemd) or <id> (cgroupfs).
var (
	podDir       = regexp.MustCompile(`^(?:kubepods(?:-[a-z]+)?-pod([0-9a-f_]{36})\.slice|pod([0-9a-f-]{36}))$`)
	containerDir = regexp.MustCompile(`^(?:(?:cri-containerd|crio|docker|cri-o)-)?([0-9a-f]{64})(?:\.scope)?$`)
)

// ParsePath reads a container out of a cgroup path (relative to the
// cgroup root); ok is false for a cgroup that is not a pod's container
// (the host's services, a pod's own slice).
func ParsePath(p string) (c Container, ok bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i := len(parts) - 1; i > 0; i-- {
		m := containerDir.FindStringSubmatch(parts[i])
		if m == nil {
			continue
		}
		pm := podDir.FindStringSubmatch(parts[i-1])
		if pm == nil {
			return Container{}, false
		}
		uid := pm[1]
		if uid == "" {
			uid = pm[2]
		}
		return Container{ID: m[1], PodUID: strings.ReplaceAll(uid, "_", "-")}, true
	}
	return Container{}, false
}

// Cgroups maps cgroup ids to containers by walking the cgroup hierarchy.
// A cgroup id is its directory's inode number; ids are not reused while
// the directory exists, and a container's cgroup lives as long as it.
type Cgroups struct {
	root string
	mu   sync.Mutex
	ids  map[uint64]cgroupEntry
}

type cgroupEntry struct {
	c  Container
	ok bool
}

// NewCgroups walks root (the cgroup v2 mount) lazily.
func NewCgroups(root string) *Cgroups {
	return &Cgroups{root: root, ids: map[uint64]cgroupEntry{}}
}

// maxCgroups bounds the table: past it, it is rebuilt from the tree.
const maxCgroups = 1 << 16

// Lookup returns the container of a cgroup id. A miss rescans the pods'
// part of the tree once (a container started since the last scan); a
// cgroup that is still unknown is remembered as not a container until the
// next rescan.
func (g *Cgroups) Lookup(id uint64) (Container, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.ids[id]; ok {
		return e.c, e.ok
	}
	g.rescan()
	e, found := g.ids[id]
	if !found {
		g.ids[id] = cgroupEntry{}
	}
	return e.c, e.ok
}

// Forget drops a cgroup (its container ended).
func (g *Cgroups) Forget(id uint64) {
	g.mu.Lock()
	delete(g.ids, id)
	g.mu.Unlock()
}

func (g *Cgroups) rescan() {
	if len(g.ids) > maxCgroups {
		clear(g.ids)
	}
	_ = filepath.WalkDir(g.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(g.root, p)
		depth := strings.Count(rel, "/")
		// Pods live under kubepods (kubepods.slice, or kubepods inside a
		// runtime's parent such as /kubelet.slice/kubelet-kubepods.slice);
		// the rest of the tree is skipped.
		if rel != "." && depth < 2 && !strings.Contains(rel, "kubepods") && !strings.Contains(rel, "kubelet") {
			return fs.SkipDir
		}
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			return nil
		}
		if _, known := g.ids[st.Ino]; known {
			return nil
		}
		c, ok := ParsePath(rel)
		g.ids[st.Ino] = cgroupEntry{c: c, ok: ok}
		if ok {
			return fs.SkipDir
		}
		return nil
	})
}

// PodRoots returns the ids of the cgroups the kubelet puts pods under
// (kubepods.slice or kubepods at the root, or one level down in a
// runtime's parent: /kubelet.slice/kubelet-kubepods.slice).
func PodRoots(root string) []uint64 {
	var ids []uint64
	for _, pattern := range []string{"kubepods", "kubepods.slice", "*/kubepods", "*/*kubepods.slice"} {
		dirs, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, d := range dirs {
			var st syscall.Stat_t
			if syscall.Stat(d, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
				ids = append(ids, st.Ino)
			}
		}
	}
	return ids
}
