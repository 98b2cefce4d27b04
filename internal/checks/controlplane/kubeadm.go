package controlplane

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
)

// A kubeadm ClusterConfiguration (kubeadm.k8s.io/v1beta3 or v1beta4) is read
// as the command lines kubeadm v1.37 generates from it: its own arguments
// for each component (k/k cmd/kubeadm/app/phases/controlplane/manifests.go
// getAPIServerCommand, getControllerManagerCommand, getSchedulerCommand;
// phases/etcd/local.go getEtcdCommand) replaced by the extraArgs of the
// same name. Only the flags the checks judge are generated; addresses and
// names that depend on the node are left out.

type kubeadmArg struct {
	name, value string
	at          *fieldpath.Path // nil for kubeadm's own arguments
}

// kubeadmSection is where a component's extraArgs live.
var kubeadmSection = map[*componentflags.Component]*fieldpath.Path{
	componentflags.APIServer:         fieldpath.New("apiServer"),
	componentflags.ControllerManager: fieldpath.New("controllerManager"),
	componentflags.Scheduler:         fieldpath.New("scheduler"),
	componentflags.Etcd:              fieldpath.New("etcd", "local"),
}

func kubeadmInstances(o *inventory.Object, comp *componentflags.Component) []*instance {
	section, ok := kubeadmSection[comp]
	if !ok || o.Raw == nil {
		return nil
	}
	root := o.Raw.Object
	external := mapAt(root, "etcd", "external")
	if comp == componentflags.Etcd && external != nil {
		return nil // kubeadm runs no etcd
	}
	pki, _ := root["certificatesDir"].(string)
	if pki == "" {
		pki = "/etc/kubernetes/pki"
	}
	defaults := kubeadmDefaults(comp, pki, external)
	extra := readExtraArgs(root, section)
	// Extra arguments replace every kubeadm argument of the same name.
	override := map[string]bool{}
	for _, e := range extra {
		override[e.name] = true
	}
	var merged []kubeadmArg
	for _, d := range defaults {
		if !override[d.name] {
			merged = append(merged, d)
		}
	}
	merged = append(merged, extra...)
	sort.SliceStable(merged, func(i, j int) bool { return merged[i].name < merged[j].name })
	argv := make([]string, len(merged))
	for i, a := range merged {
		argv[i] = "--" + a.name + "=" + a.value
	}
	extraPath := section.Child("extraArgs")
	in := &instance{
		comp:        comp,
		args:        componentflags.Parse(comp, argv, nil),
		name:        "kubeadm " + section.String(),
		missingPath: extraPath,
		note:        " (kubeadm does not set it)",
	}
	if comp != componentflags.Etcd { // kubeadm picks etcd's version itself
		in.release, _ = root["kubernetesVersion"].(string)
	}
	in.valuePath = func(oc componentflags.Occurrence) *fieldpath.Path {
		if oc.ValueArg >= 0 && oc.ValueArg < len(merged) && merged[oc.ValueArg].at != nil {
			return merged[oc.ValueArg].at
		}
		return extraPath
	}
	return []*instance{in}
}

func kubeadmDefaults(comp *componentflags.Component, pki string, external map[string]any) []kubeadmArg {
	p := func(f string) string { return path.Join(pki, f) }
	var args []kubeadmArg
	add := func(name, value string) { args = append(args, kubeadmArg{name: name, value: value}) }
	switch comp {
	case componentflags.APIServer:
		add("enable-admission-plugins", "NodeRestriction")
		add("service-account-key-file", p("sa.pub"))
		add("service-account-signing-key-file", p("sa.key"))
		add("client-ca-file", p("ca.crt"))
		add("tls-cert-file", p("apiserver.crt"))
		add("tls-private-key-file", p("apiserver.key"))
		add("kubelet-client-certificate", p("apiserver-kubelet-client.crt"))
		add("kubelet-client-key", p("apiserver-kubelet-client.key"))
		add("enable-bootstrap-token-auth", "true")
		add("authorization-mode", "Node,RBAC")
		if external != nil {
			ext := fieldpath.New("etcd", "external")
			from := func(name, value, field string) {
				args = append(args, kubeadmArg{name: name, value: value, at: ext.Child(field)})
			}
			if eps, ok := external["endpoints"].([]any); ok {
				var s []string
				for _, e := range eps {
					s = append(s, fmt.Sprint(e))
				}
				from("etcd-servers", strings.Join(s, ","), "endpoints")
			}
			ca, _ := external["caFile"].(string)
			cert, _ := external["certFile"].(string)
			key, _ := external["keyFile"].(string)
			if ca != "" {
				from("etcd-cafile", ca, "caFile")
			}
			if cert != "" && key != "" {
				from("etcd-certfile", cert, "certFile")
				from("etcd-keyfile", key, "keyFile")
			}
		} else {
			add("etcd-servers", "https://127.0.0.1:2379")
			add("etcd-cafile", p("etcd/ca.crt"))
			add("etcd-certfile", p("apiserver-etcd-client.crt"))
			add("etcd-keyfile", p("apiserver-etcd-client.key"))
		}
	case componentflags.ControllerManager:
		add("bind-address", "127.0.0.1")
		add("kubeconfig", "/etc/kubernetes/controller-manager.conf")
		add("root-ca-file", p("ca.crt"))
		add("service-account-private-key-file", p("sa.key"))
		add("use-service-account-credentials", "true")
	case componentflags.Scheduler:
		add("bind-address", "127.0.0.1")
		add("kubeconfig", "/etc/kubernetes/scheduler.conf")
	case componentflags.Etcd:
		// kubeadm listens on loopback and the node's address.
		add("listen-client-urls", "https://127.0.0.1:2379,https://NODE-IP:2379")
		add("listen-peer-urls", "https://NODE-IP:2380")
		add("data-dir", "/var/lib/etcd")
		add("cert-file", p("etcd/server.crt"))
		add("key-file", p("etcd/server.key"))
		add("trusted-ca-file", p("etcd/ca.crt"))
		add("client-cert-auth", "true")
		add("peer-cert-file", p("etcd/peer.crt"))
		add("peer-key-file", p("etcd/peer.key"))
		add("peer-trusted-ca-file", p("etcd/ca.crt"))
		add("peer-client-cert-auth", "true")
	}
	return args
}

// readExtraArgs reads extraArgs as a map (v1beta3) or a list of name/value
// pairs (v1beta4).
func readExtraArgs(root map[string]any, section *fieldpath.Path) []kubeadmArg {
	var node any = root
	for _, e := range section.Elems() {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[e.Name]
	}
	sec, ok := node.(map[string]any)
	if !ok {
		return nil
	}
	at := section.Child("extraArgs")
	var out []kubeadmArg
	switch ea := sec["extraArgs"].(type) {
	case map[string]any:
		names := make([]string, 0, len(ea))
		for n := range ea {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, kubeadmArg{name: n, value: scalar(ea[n]), at: at.Key(n)})
		}
	case []any:
		for i, it := range ea {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			n, _ := m["name"].(string)
			if n == "" {
				continue
			}
			out = append(out, kubeadmArg{name: n, value: scalar(m["value"]), at: at.Index(i).Child("value")})
		}
	}
	return out
}

func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		return fmt.Sprint(t)
	}
}

// mapAt walks nested maps.
func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}
