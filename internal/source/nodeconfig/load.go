// Package nodeconfig loads what the control-plane and node checks read from
// a node: static pod manifests, the kubelet's configuration and command
// line, the files the API server's flags name, and (on a live node) the
// ownership and permissions of the files CIS 1.1 and 4.1 name.
//
// LoadDir reads a directory of copied files (kubeward scan --node-config);
// LoadNode reads a node's filesystem under a root (kubeward node).
package nodeconfig

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/nodeconfig"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// maxFile bounds what is read of any one file: node configuration files
// are small, and a directory may hold anything.
const maxFile = 8 << 20

// KubeadmDropIn is kubeadm's kubelet drop-in as the kubernetes/release
// packages install it (kubelet.service.d/10-kubeadm.conf). LoadDir assumes
// it when a directory holds kubeadm-flags.env but no kubelet unit.
const KubeadmDropIn = `[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`

// loader collects objects and remembers what it has read.
type loader struct {
	dec  *manifest.Decoder
	log  *diag.Log
	inv  *inventory.Inventory
	seen map[string]bool
}

func newLoader(dec *manifest.Decoder) *loader {
	d := *dec
	if d.Log == nil {
		d.Log = &diag.Log{}
	}
	// The loader itself reads Pods (to find the control plane's files) and
	// the kubelet's configuration (for its static pod path and client CA),
	// whatever the selected checks read.
	reads := d.Reads
	d.Reads = func(gk schema.GroupKind) bool {
		return gk == inventory.KindPod || gk == nodeconfig.KindKubeletConfiguration || reads == nil || reads(gk)
	}
	return &loader{dec: &d, log: d.Log, inv: inventory.NewInventory(), seen: map[string]bool{}}
}

// decode reads a YAML or JSON file into the inventory under a display name.
func (l *loader) decode(display string, data []byte) {
	if l.seen[display] {
		return
	}
	l.seen[display] = true
	l.dec.Decode(manifest.Input{Name: display, Data: data}, func(o *inventory.Object) {
		redactKeys(o)
		l.inv.Add(o)
	})
}

var kindEncryptionConfiguration = schema.GroupKind{Group: "apiserver.config.k8s.io", Kind: "EncryptionConfiguration"}

// redactKeys drops the key material of an EncryptionConfiguration as soon
// as it is read: no check needs it, and what is not in memory cannot leak.
func redactKeys(o *inventory.Object) {
	if o.GroupKind() != kindEncryptionConfiguration || o.Raw == nil {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if k == "secret" {
					t[k] = "REDACTED"
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(o.Raw.Object)
}

// readFile reads a regular file up to maxFile bytes.
func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, maxFile)
	}
	return data, nil
}

// LoadDir reads a directory of node files for kubeward scan --node-config:
// YAML and JSON files (static pod manifests, KubeletConfiguration,
// EncryptionConfiguration, audit Policy, kubeadm ClusterConfiguration), the
// kubelet's systemd unit and drop-ins, and the environment files they name
// (kubeadm-flags.env, /etc/default/kubelet). Paths in findings are the
// files' paths under dir as given.
func LoadDir(dir string, dec *manifest.Decoder) (*inventory.Inventory, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--node-config: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--node-config: %s is not a directory", dir)
	}
	l := newLoader(dec)
	type unitFile struct {
		display string
		data    []byte
	}
	var units []unitFile
	others := map[string][]byte{} // display path -> contents, for environment files
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			l.log.Skip(p, err.Error())
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := readFile(p)
		if err != nil {
			l.log.Skip(p, err.Error())
			return nil
		}
		display := filepath.ToSlash(p)
		switch ext := strings.ToLower(path.Ext(p)); {
		case isUnit(p, data):
			units = append(units, unitFile{display, data})
		case ext == ".yaml" || ext == ".yml" || ext == ".json" || ext == ".conf" && looksLikeYAML(data):
			l.decode(display, data)
		default:
			others[display] = data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The unit comes first, then drop-ins by file name (systemd's order).
	sort.SliceStable(units, func(i, j int) bool {
		ai, aj := strings.HasSuffix(units[i].display, ".service"), strings.HasSuffix(units[j].display, ".service")
		if ai != aj {
			return ai
		}
		return path.Base(units[i].display) < path.Base(units[j].display)
	})
	var unit nodeconfig.Unit
	assumed := false
	for _, u := range units {
		unit.Parse(u.display, u.data)
	}
	if unit.ExecStart == nil {
		for p := range others {
			if path.Base(p) == "kubeadm-flags.env" {
				unit.Parse("kubeadm's 10-kubeadm.conf (assumed)", []byte(KubeadmDropIn))
				assumed = true
				break
			}
		}
	}
	if unit.ExecStart != nil {
		var envs [][]nodeconfig.Setting
		for _, ref := range unit.EnvironmentFiles {
			if p, data, ok := bySuffix(others, ref.Path); ok {
				envs = append(envs, nodeconfig.ParseEnvFile(p, data))
			}
		}
		prog, args, line, _ := unit.Expand(envs)
		if path.Base(prog) == "kubelet" {
			src := inventory.Source{File: unit.ExecStart.File, Line: line}
			if assumed {
				// Point at the environment file that was found instead.
				for p := range others {
					if path.Base(p) == "kubeadm-flags.env" {
						src.File, src.Line, line = p, 1, 1
					}
				}
			}
			l.inv.Add(nodeconfig.NewKubeletCommandLine("kubelet", args, positionsIn(src.File, args, line), src))
		}
	}
	if !l.holdsNodeConfig() {
		return nil, fmt.Errorf("--node-config: %s holds no node configuration: no static pod manifest, kubelet or API server configuration file, kubelet unit or kubeadm-flags.env", dir)
	}
	l.inv.Sort()
	return l.inv, nil
}

// holdsNodeConfig reports whether anything read is of a kind the node
// checks judge (a Deployment copied by mistake is not).
func (l *loader) holdsNodeConfig() bool {
	for _, o := range l.inv.All() {
		if l.dec.Reads(o.GroupKind()) {
			return true
		}
	}
	return false
}

// positionsIn places each argument at its line when it is written in file,
// else at the ExecStart line that expands it.
func positionsIn(file string, args []nodeconfig.Arg, execLine int) []inventory.Position {
	out := make([]inventory.Position, len(args))
	for i, a := range args {
		out[i] = inventory.Position{Line: execLine, Column: 1}
		if f, line, ok := strings.Cut(a.Origin, ":"); ok && f == file {
			var n int
			if _, err := fmt.Sscanf(line, "%d", &n); err == nil {
				out[i].Line = n
			}
		}
	}
	return out
}

// isUnit reports whether a file is a systemd unit or drop-in of the kubelet.
func isUnit(p string, data []byte) bool {
	ext := path.Ext(p)
	return (ext == ".service" || ext == ".conf") && bytes.Contains(data, []byte("[Service]"))
}

func looksLikeYAML(data []byte) bool {
	return bytes.Contains(data, []byte("apiVersion:")) || bytes.Contains(data, []byte(`"apiVersion"`))
}

// bySuffix finds the file a node path names among copied files.
func bySuffix(files map[string][]byte, nodePath string) (string, []byte, bool) {
	best, bestLen := "", 0
	want := strings.Split(strings.Trim(path.Clean(nodePath), "/"), "/")
	for p := range files {
		have := strings.Split(strings.Trim(p, "/"), "/")
		n := 0
		for n < len(want) && n < len(have) && want[len(want)-1-n] == have[len(have)-1-n] {
			n++
		}
		if n > bestLen || n == bestLen && n > 0 && p < best {
			best, bestLen = p, n
		}
	}
	if bestLen == 0 {
		return "", nil, false
	}
	return best, files[best], true
}
