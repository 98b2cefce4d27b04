package controlplane

import (
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
	kjson "sigs.k8s.io/json"
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
