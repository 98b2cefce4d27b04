package controlplane

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Configuration files the API server reads (an EncryptionConfiguration, an
// audit Policy) are judged wherever they appear in a scan, and tied to the
// API servers whose flags name them, so a finding can say which server it
// affects. A flag's path is absolute on the node; a scanned file's path is
// relative to the scan root (or absolute, for kubeward node): they match
// when the scanned path is a suffix of the flag's path by whole elements.

// usedBy names the API servers in the inventory whose flag points at the
// object's file, for messages: ` (used by kube-apiserver in Pod
// kube-system/kube-apiserver)`.
func usedBy(ctx *check.Context, inv *inventory.Inventory, o *inventory.Object, flag string) string {
	var users []string
	for _, w := range objectsOf(inv) {
		for _, in := range instances(ctx, w, apiserver) {
			p := strings.TrimSpace(in.args.Get(flag).Raw)
			if p != "" && sameFile(p, o.Source.File) {
				users = append(users, w.Ref.String())
			}
		}
	}
	if len(users) == 0 {
		return ""
	}
	return fmt.Sprintf(" (--%s of %s)", flag, strings.Join(users, ", "))
}

// sameFile reports whether a scanned file is the file a flag names: one
// path, by whole elements, ends the other (a scan root's relative path, or
// a copy of the node's tree under a directory).
func sameFile(flagPath, scanned string) bool {
	return SuffixMatch(flagPath, scanned) > 0
}

// SuffixMatch returns how many trailing path elements a node path and a
// scanned file's path share, when the shorter path is entirely a suffix of
// the longer; 0 otherwise. The node checks pair kubelets with their
// configuration files by it.
func SuffixMatch(nodePath, scanned string) int {
	if scanned == "" || scanned == "-" || nodePath == "" {
		return 0
	}
	f := elems(path.Clean(nodePath))
	s := elems(path.Clean(filepath.ToSlash(scanned)))
	n := min(len(f), len(s))
	if n == 0 {
		return 0
	}
	for i := 1; i <= n; i++ {
		if f[len(f)-i] != s[len(s)-i] {
			return 0
		}
	}
	return n
}

func elems(p string) []string {
	var out []string
	for _, e := range strings.Split(p, "/") {
		if e != "" && e != "." && e != ".." {
			out = append(out, e)
		}
	}
	return out
}

// decodeRaw converts an unstructured object into a typed configuration,
// with field names matched case-sensitively as the API server does.
func decodeRaw(o *inventory.Object, into any) error {
	if o.Raw == nil {
		return fmt.Errorf("no contents")
	}
	data, err := json.Marshal(o.Raw.Object)
	if err != nil {
		return err
	}
	return kjson.UnmarshalCaseSensitivePreserveInts(data, into)
}

// Gaps of API server configuration files the scan does not hold.
const (
	GapEncryptionConfig = "encryption-config"
	GapAuditPolicy      = "audit-policy"
)

// unheldFiles reports the API servers whose flag names a file of kind
// that the scan does not hold: what the file says is unknown, which is a
// coverage gap (a cluster scan never holds node files), not a pass.
func unheldFiles(ctx *check.Context, inv *inventory.Inventory, flag string, kind schema.GroupKind, gap, what string) []check.Result {
	var out []check.Result
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, apiserver) {
			p := strings.TrimSpace(in.args.Get(flag).Raw)
			if p == "" {
				continue
			}
			held := false
			for _, f := range inv.ByKind(kind) {
				held = held || sameFile(p, f.Source.File)
			}
			if !held {
				out = append(out, check.Result{Object: o, Path: in.at(flag), Undecided: gap,
					Message: fmt.Sprintf("kube-apiserver --%s names %s the scan does not hold (a file on the control-plane node): "+
						"run `kubeward node` there, or scan the file with --node-config", flag, what)})
			}
		}
	}
	return out
}

// componentConfig is the configuration file a component's --config names,
// as the scan holds it: a scanned file whose path ends like the flag's
// (kubeward node, scan --node-config, a repository), or a key of a
// ConfigMap the component's pod mounts at that path (a cluster scan).
type componentConfig struct {
	obj  *inventory.Object
	path *fieldpath.Path // the whole file: the object's root, or data[KEY]
	name string          // for messages
	json []byte          // the file's contents as JSON
}

// field is where a field of the file is: in a file object its own path; in
// a ConfigMap the key holding the file (a YAML string has no deeper path).
func (c *componentConfig) field(name string) *fieldpath.Path {
	if c.obj.GroupKind() == inventory.KindConfigMap {
		return c.path
	}
	return fieldpath.New(name)
}

// configOf finds the file of kind that in's --config names; ok is false when
// the scan holds none.
func configOf(ctx *check.Context, inv *inventory.Inventory, in *instance, kind schema.GroupKind) (*componentConfig, bool) {
	p := strings.TrimSpace(in.args.Get("config").Raw)
	if p == "" {
		return nil, false
	}
	var best *inventory.Object
	bestLen := 0
	for _, o := range inv.ByKind(kind) {
		if n := SuffixMatch(p, o.Source.File); n > bestLen && o.Raw != nil {
			best, bestLen = o, n
		}
	}
	if best != nil {
		data, err := json.Marshal(best.Raw.Object)
		if err == nil {
			return &componentConfig{obj: best, path: fieldpath.New(), name: kind.Kind + " " + best.Source.File, json: data}, true
		}
	}
	return mountedConfigMap(ctx, inv, in, p)
}

// mountedConfigMap resolves a path in a container to a key of a ConfigMap
// volume mounted over it, as the kubelet projects it: the key named by the
// path under the mount, or mapped by items.
func mountedConfigMap(ctx *check.Context, inv *inventory.Inventory, in *instance, p string) (*componentConfig, bool) {
	if in.pod == nil || in.container == nil {
		return nil, false
	}
	for _, m := range in.container.VolumeMounts {
		rel, ok := strings.CutPrefix(path.Clean(p), path.Clean(m.MountPath)+"/")
		if !ok {
			continue
		}
		if m.SubPath != "" {
			rel = path.Join(m.SubPath, rel)
		}
		for _, v := range in.pod.Spec.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			key := rel
			if len(v.ConfigMap.Items) > 0 {
				key = ""
				for _, it := range v.ConfigMap.Items {
					if path.Clean(it.Path) == rel {
						key = it.Key
					}
				}
			}
			o := inv.Get(inventory.KindConfigMap, in.pod.Namespace(), v.ConfigMap.Name)
			if o == nil || key == "" {
				continue
			}
			j, ok := configMapKeyJSON(ctx, o, key)
			if !ok {
				continue
			}
			return &componentConfig{obj: o, path: fieldpath.New("data").Key(key),
				name: fmt.Sprintf("ConfigMap %s/%s data[%s]", o.Namespace, o.Name, key), json: j}, true
		}
	}
	return nil, false
}

type configMapKey struct {
	o   *inventory.Object
	key string
}

// configMapKeyJSON converts the YAML of a ConfigMap key to JSON once per
// run: kube-proxy's subject, its check and the --config of each pod that
// mounts the key all read the same file. ok is false when o is no
// ConfigMap, lacks the key or holds no YAML there.
func configMapKeyJSON(ctx *check.Context, o *inventory.Object, key string) ([]byte, bool) {
	j := ctx.Memo(configMapKey{o, key}, func() any {
		cm, ok := o.Typed.(*corev1.ConfigMap)
		if !ok {
			return []byte(nil)
		}
		data, ok := cm.Data[key]
		if !ok {
			return []byte(nil)
		}
		j, err := yaml.YAMLToJSON([]byte(data))
		if err != nil {
			return []byte(nil)
		}
		return j
	}).([]byte)
	return j, j != nil
}
