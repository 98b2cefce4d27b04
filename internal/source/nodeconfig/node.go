package nodeconfig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/nodeconfig"
	corev1 "k8s.io/api/core/v1"
)

// Node paths kubeward looks at, as kubeadm lays a node out and as
// kube-bench's cis-1.12 configuration names them.
var (
	unitPaths = []string{
		"/usr/lib/systemd/system/kubelet.service", "/lib/systemd/system/kubelet.service", "/etc/systemd/system/kubelet.service",
	}
	dropInDirs = []string{
		"/usr/lib/systemd/system/kubelet.service.d", "/lib/systemd/system/kubelet.service.d", "/etc/systemd/system/kubelet.service.d",
	}
	defaultManifests = "/etc/kubernetes/manifests"
	pkiDir           = "/etc/kubernetes/pki"
	adminConfs       = []string{"/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf"}
	proxyKubeconfigs = []string{"/etc/kubernetes/proxy.conf", "/var/lib/kube-proxy/kubeconfig.conf", "/etc/kubernetes/kube-proxy.conf"}
	cniDirs          = []string{"/etc/cni/net.d", "/var/lib/cni/networks"}
)

// LoadNode reads a node's filesystem under root (kubeward node): the
// running kubelet's command line (/proc), or its systemd unit when it does
// not run; its configuration file; the static pod manifests; the files the
// API server's flags name; and the ownership and mode of the files CIS 1.1
// and 4.1 name. Paths in findings are node paths (without root).
func LoadNode(root string, dec *manifest.Decoder) (*inventory.Inventory, error) {
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--root %s: not a directory", root)
	}
	n := &node{loader: newLoader(dec), root: root, files: map[string]*nodeconfig.FileInfo{}, ids: readIDs(root)}
	k := n.kubelet()
	manifests := defaultManifests
	var clientCA string
	if k != nil {
		args := componentflags.Parse(componentflags.Kubelet, k.values, nil)
		// The configuration in force: the file, then the drop-ins merged
		// over it in order (the checks compose it the same way).
		var cfgs []map[string]any
		if p := args.Get("config").Raw; p != "" {
			n.markFile(p, nodeconfig.RoleKubeletConfig)
			if data, err := readFile(n.host(p)); err == nil {
				n.decode(p, data)
				cfgs = append(cfgs, n.kubeletConfig(p))
			}
		}
		if d := args.Get("config-dir").Raw; d != "" {
			cfgs = append(cfgs, n.kubeletDropIns(d)...)
		}
		for _, cfg := range cfgs {
			if s, _ := cfg["staticPodPath"].(string); s != "" {
				manifests = s
			}
			if x509, ok := lookupMap(cfg, "authentication", "x509"); ok {
				if s, _ := x509["clientCAFile"].(string); s != "" {
					clientCA = s
				}
			}
		}
		if p := args.Get("pod-manifest-path").Raw; p != "" {
			manifests = p
		}
		if p := args.Get("client-ca-file").Raw; p != "" {
			clientCA = p
		}
		kubeconfig := args.Get("kubeconfig").Raw
		if kubeconfig == "" {
			kubeconfig = "/etc/kubernetes/kubelet.conf"
		}
		n.markFile(kubeconfig, nodeconfig.RoleKubeletKubeconfig)
		for _, u := range k.units {
			n.markFile(u, nodeconfig.RoleKubeletService)
		}
	}
	if clientCA != "" {
		n.markFile(clientCA, nodeconfig.RoleClientCA)
	}
	n.staticPods(manifests)
	for _, p := range adminConfs {
		n.markFile(p, nodeconfig.RoleAdminKubeconfig)
	}
	for _, p := range proxyKubeconfigs {
		n.markFile(p, nodeconfig.RoleProxyKubeconfig)
	}
	n.markTree(pkiDir, func(p string, dir bool) []nodeconfig.Role {
		roles := []nodeconfig.Role{nodeconfig.RolePKI}
		switch {
		case dir:
		case strings.HasSuffix(p, ".crt"):
			roles = append(roles, nodeconfig.RolePKICert)
		case strings.HasSuffix(p, ".key"):
			roles = append(roles, nodeconfig.RolePKIKey)
		}
		return roles
	})
	for _, d := range cniDirs {
		n.markTree(d, func(_ string, dir bool) []nodeconfig.Role {
			if dir {
				return nil
			}
			return []nodeconfig.Role{nodeconfig.RoleCNI}
		})
	}
	if k == nil && !n.controlPlane {
		// Without either there is nothing the node checks could judge but
		// the modes of files that happen to exist: a machine that is not a
		// node (or a --root that is not its filesystem) must not pass.
		return nil, fmt.Errorf("%s is not a Kubernetes node: no kubelet (a running process or a systemd unit) and no control-plane static pod manifest in %s; run kubeward node on a node, or point --root at its filesystem", root, manifests)
	}
	paths := make([]string, 0, len(n.files))
	for p := range n.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if fi := n.files[p]; len(fi.Roles) > 0 {
			n.inv.Add(nodeconfig.NewHostFile(*fi))
		}
	}
	n.inv.Sort()
	return n.inv, nil
}

type node struct {
	*loader
	root  string
	files map[string]*nodeconfig.FileInfo
	ids   ids
	// controlPlane is set once a static pod runs a control-plane component.
	controlPlane bool
}

// host maps a node path into the root.
func (n *node) host(p string) string {
	return filepath.Join(n.root, filepath.FromSlash(path.Clean("/"+p)))
}

// markFile records a file's ownership and mode for a role, if it exists.
func (n *node) markFile(p string, roles ...nodeconfig.Role) {
	p = path.Clean("/" + p)
	if fi, ok := n.files[p]; ok {
		for _, r := range roles {
			if !fi.Has(r) {
				fi.Roles = append(fi.Roles, r)
			}
		}
		return
	}
	st, err := os.Lstat(n.host(p))
	if err != nil {
		return // CIS: "if the file exists"
	}
	if st.Mode()&os.ModeSymlink != 0 {
		if st, err = os.Stat(n.host(p)); err != nil {
			return
		}
	}
	fi := &nodeconfig.FileInfo{Path: p, Roles: roles, Mode: uint32(st.Mode().Perm()), Dir: st.IsDir(), UID: -1, GID: -1}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		fi.UID, fi.GID = int(sys.Uid), int(sys.Gid)
		fi.User, fi.Group = n.ids.users[fi.UID], n.ids.groups[fi.GID]
	}
	n.files[p] = fi
}

// markTree records a directory and everything under it.
func (n *node) markTree(dir string, roles func(p string, dir bool) []nodeconfig.Role) {
	base := n.host(dir)
	_ = filepath.WalkDir(base, func(hp string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(n.root, hp)
		p := "/" + filepath.ToSlash(rel)
		if r := roles(p, d.IsDir()); len(r) > 0 {
			n.markFile(p, r...)
		}
		return nil
	})
}

// kubeletRun is the kubelet's command line and the unit files it came from.
type kubeletRun struct {
	values []string
	units  []string
}

// kubelet finds the running kubelet's command line in /proc, or builds it
// from the systemd unit; either way it becomes a KubeletCommandLine.
func (n *node) kubelet() *kubeletRun {
	run := &kubeletRun{}
	var unit nodeconfig.Unit
	var unitFiles []string
	for _, p := range unitPaths {
		if data, err := readFile(n.host(p)); err == nil {
			unit.Parse(p, data)
			unitFiles = append(unitFiles, p)
		}
	}
	var dropIns []string
	for _, d := range dropInDirs {
		entries, _ := os.ReadDir(n.host(d))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".conf") {
				dropIns = append(dropIns, path.Join(d, e.Name()))
			}
		}
	}
	sort.Slice(dropIns, func(i, j int) bool { return path.Base(dropIns[i]) < path.Base(dropIns[j]) })
	for _, p := range dropIns {
		if data, err := readFile(n.host(p)); err == nil {
			unit.Parse(p, data)
			unitFiles = append(unitFiles, p)
		}
	}
	run.units = unitFiles

	if pid, argv, ok := n.runningKubelet(); ok {
		args := make([]nodeconfig.Arg, len(argv))
		for i, a := range argv {
			args[i] = nodeconfig.Arg{Value: a, Origin: fmt.Sprintf("/proc/%d/cmdline", pid)}
			run.values = append(run.values, a)
		}
		n.inv.Add(nodeconfig.NewKubeletCommandLine("kubelet", args, nil, inventory.Source{File: fmt.Sprintf("/proc/%d/cmdline", pid)}))
		return run
	}
	if unit.ExecStart == nil {
		return nil
	}
	var envs [][]nodeconfig.Setting
	for _, ref := range unit.EnvironmentFiles {
		if data, err := readFile(n.host(ref.Path)); err == nil {
			envs = append(envs, nodeconfig.ParseEnvFile(ref.Path, data))
		}
	}
	prog, args, line, _ := unit.Expand(envs)
	if path.Base(prog) != "kubelet" {
		return nil
	}
	for _, a := range args {
		run.values = append(run.values, a.Value)
	}
	src := inventory.Source{File: unit.ExecStart.File, Line: line}
	n.inv.Add(nodeconfig.NewKubeletCommandLine("kubelet", args, positionsIn(src.File, args, line), src))
	return run
}

// runningKubelet reads /proc/*/cmdline for a process whose program is kubelet.
func (n *node) runningKubelet() (int, []string, bool) {
	entries, err := os.ReadDir(n.host("/proc"))
	if err != nil {
		return 0, nil, false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := readFile(n.host(fmt.Sprintf("/proc/%d/cmdline", pid)))
		if err != nil || len(data) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		if path.Base(argv[0]) == "kubelet" {
			return pid, argv[1:], true
		}
	}
	return 0, nil, false
}

// kubeletDropIns reads the kubelet's --config-dir as the kubelet does
// (filepath.WalkDir, files named *.conf) and returns their
// configurations in that order. Each is a kubelet configuration file for
// CIS 4.1.9 and 4.1.10; the directory is recorded so the checks know it
// was read, even empty.
func (n *node) kubeletDropIns(dir string) []map[string]any {
	n.markFile(dir, nodeconfig.RoleKubeletConfigDir)
	var out []map[string]any
	n.markTree(dir, func(p string, isDir bool) []nodeconfig.Role {
		if isDir || path.Ext(p) != ".conf" {
			return nil
		}
		if data, err := readFile(n.host(p)); err == nil {
			n.decode(p, data)
			if cfg := n.kubeletConfig(p); cfg != nil {
				out = append(out, cfg)
			}
		}
		return []nodeconfig.Role{nodeconfig.RoleKubeletConfig}
	})
	return out
}

// kubeletConfig returns the decoded KubeletConfiguration read from p.
func (n *node) kubeletConfig(p string) map[string]any {
	for _, o := range n.inv.ByKind(nodeconfig.KindKubeletConfiguration) {
		if o.Source.File == p && o.Raw != nil {
			return o.Raw.Object
		}
	}
	return nil
}

func lookupMap(m map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// staticPods reads the manifest directory, records each manifest's file
// for its component, and reads the files the control plane's flags name.
func (n *node) staticPods(dir string) {
	entries, err := os.ReadDir(n.host(dir))
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		p := path.Join(dir, name)
		data, err := readFile(n.host(p))
		if err != nil {
			n.log.Skip(p, err.Error())
			continue
		}
		before := len(n.inv.All())
		n.decode(p, data)
		for _, o := range n.inv.All()[before:] {
			pod, ok := o.Typed.(*corev1.Pod)
			if !ok {
				continue
			}
			for _, c := range pod.Spec.Containers {
				n.component(p, c)
			}
		}
	}
}

var manifestRoles = map[string]nodeconfig.Role{
	"kube-apiserver":          nodeconfig.RoleAPIServerManifest,
	"kube-controller-manager": nodeconfig.RoleControllerManagerManifest,
	"kube-scheduler":          nodeconfig.RoleSchedulerManifest,
	"etcd":                    nodeconfig.RoleEtcdManifest,
}

// component handles one static pod container: the manifest's role, and the
// files its flags name.
func (n *node) component(manifestPath string, c corev1.Container) {
	argv := append(append([]string(nil), c.Command...), c.Args...)
	for bin, role := range manifestRoles {
		inv, ok := componentflags.Find(bin, argv)
		if !ok {
			continue
		}
		n.markFile(manifestPath, role)
		n.controlPlane = true
		comp, _ := componentflags.ByName(bin)
		args := componentflags.Parse(comp, inv.Args, envOf(c))
		switch bin {
		case "kube-apiserver":
			for _, f := range []string{"encryption-provider-config", "audit-policy-file"} {
				if p := args.Get(f).Raw; p != "" {
					if data, err := readFile(n.host(p)); err == nil {
						n.decode(p, data)
					}
				}
			}
		case "kube-scheduler":
			// With --config the scheduler takes its settings (profiling
			// among them) from that KubeSchedulerConfiguration.
			if p := args.Get("config").Raw; p != "" {
				if data, err := readFile(n.host(p)); err == nil {
					n.decode(p, data)
				}
			}
			if p := args.Get("kubeconfig").Raw; p != "" {
				n.markFile(p, nodeconfig.RoleSchedulerKubeconfig)
			} else {
				n.markFile("/etc/kubernetes/scheduler.conf", nodeconfig.RoleSchedulerKubeconfig)
			}
		case "kube-controller-manager":
			if p := args.Get("kubeconfig").Raw; p != "" {
				n.markFile(p, nodeconfig.RoleControllerManagerKubecfg)
			} else {
				n.markFile("/etc/kubernetes/controller-manager.conf", nodeconfig.RoleControllerManagerKubecfg)
			}
		case "etcd":
			dataDir := args.Get("data-dir").Raw
			if dataDir == "" || strings.Contains(dataDir, "${name}") {
				dataDir = "/var/lib/etcd"
			}
			n.markFile(dataDir, nodeconfig.RoleEtcdDataDir)
			if fi := n.files[path.Clean("/"+dataDir)]; fi != nil {
				fi.AlsoAllowedUser = "etcd"
			}
		}
	}
}

func envOf(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

// ids maps numeric owners to names from the node's /etc/passwd and /etc/group.
type ids struct{ users, groups map[int]string }

func readIDs(root string) ids {
	read := func(p string) map[int]string {
		out := map[int]string{}
		data, err := readFile(filepath.Join(root, p))
		if err != nil {
			return out
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f := strings.Split(sc.Text(), ":")
			if len(f) < 3 {
				continue
			}
			if id, err := strconv.Atoi(f[2]); err == nil {
				if _, dup := out[id]; !dup {
					out[id] = f[0]
				}
			}
		}
		return out
	}
	return ids{users: read("etc/passwd"), groups: read("etc/group")}
}
