// Package node holds the checks of worker nodes: the kubelet's effective
// configuration (CIS Kubernetes Benchmark v1.12 section 4.2) and the
// ownership and permissions of control-plane and kubelet files (sections
// 1.1 and 4.1), read by kubeward node or kubeward scan --node-config.
package node

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/controlplane"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/nodeconfig"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kubelet is one kubelet's configuration as the kubelet itself composes it
// (k/k cmd/kubelet/app/server.go:216-241): without --config, the command
// line over the legacy flag defaults (anonymous auth on, AlwaysAllow, read-
// only port 10255); with --config, the file over the KubeletConfiguration
// v1beta1 defaults; then the drop-in files of --config-dir merged over that
// (mergeKubeletConfigurations: a JSON merge patch per file, in the order
// filepath.WalkDir visits them, with no defaulting after the merge); and
// the flags given over all of it.
type kubelet struct {
	cmd  *inventory.Object // KubeletCommandLine; nil for a configuration file alone
	argv []nodeconfig.Arg
	args *componentflags.Args
	// cfg is the KubeletConfiguration in force; nil without one.
	cfg *inventory.Object
	// configUnknown: --config names a file that is not in the scan, so
	// settings the flags do not give are unknown.
	configUnknown bool
	configPath    string
	// dropIns are the KubeletConfiguration files of --config-dir in the
	// order the kubelet merges them (a later file wins).
	dropIns []*inventory.Object
	// dropInsUnknown: --config-dir names a directory the scan did not
	// read, so any setting its flags do not give is unknown.
	dropInsUnknown bool
	// unknownRead is set when a judgement asked for a setting only that
	// missing file could give (on a per-check copy: kubelets are shared).
	unknownRead bool
}

// GapKubeletConfig: a kubelet's --config names a file the scan does not
// hold, so the settings its flags do not give are unknown.
const GapKubeletConfig = "kubelet-config"

// name says which kubelet, for messages.
func (k *kubelet) name() string {
	if k.cmd != nil {
		return "kubelet " + k.cmd.Source.File
	}
	return "kubelet configuration " + k.cfg.Source.File
}

// source is where a setting's effective value comes from.
type source struct {
	obj   *inventory.Object
	path  *fieldpath.Path
	text  string // "--read-only-port=10255 (/etc/default/kubelet:2)", "readOnlyPort: 10255", "readOnlyPort is not set (default 0)"
	isSet bool   // written somewhere (flag or file), not a default
}

// setting is one kubelet setting: its flag, its field in
// KubeletConfiguration, and the v1beta1 default the kubelet applies to the
// field when the file leaves it out (k/k pkg/kubelet/apis/config/v1beta1/defaults.go).
type setting struct {
	flag  string
	field []string
	// fileDefault is the value for an absent field, written as on the
	// command line; defaultOf, when set, maps a present value to the one the
	// kubelet uses (a zero duration becomes 4h, a negative PID limit -1).
	fileDefault string
	defaultOf   func(string) string
}

// get returns the effective value of a setting as a command-line string,
// and where it comes from. ok is false when it cannot be known.
func (k *kubelet) get(s setting) (string, source, bool) {
	if k.args != nil && s.flag != "" {
		if o, ok := k.args.Last(s.flag); ok {
			v := k.args.Get(s.flag)
			if f, _ := componentflags.Kubelet.Flag(s.flag); f != nil && f.Kind == componentflags.StringSlice {
				return strings.Join(v.List, ","), k.flagSource(s.flag, o), true
			}
			return v.Raw, k.flagSource(s.flag, o), true
		}
	}
	if len(s.field) > 0 {
		if o, raw, ok := k.fromDropIn(s.field); ok {
			// Merged after the file's defaulting: an explicit zero stays zero.
			return scalar(raw), source{obj: o, path: fieldpath.New(s.field...),
				text: fmt.Sprintf("%s: %s (%s)", strings.Join(s.field, "."), scalar(raw), o.Source.File), isSet: true}, true
		}
	}
	if (k.configUnknown || k.dropInsUnknown) && len(s.field) > 0 {
		k.unknownRead = true
		return "", source{}, false
	}
	if k.cfg != nil && len(s.field) > 0 {
		p := fieldpath.New(s.field...)
		raw, present := lookup(k.cfg.Raw.Object, s.field)
		if present {
			val := scalar(raw)
			if s.defaultOf != nil {
				val = s.defaultOf(val)
			}
			return val, source{obj: k.cfg, path: p, text: fmt.Sprintf("%s: %s", strings.Join(s.field, "."), scalar(raw)), isSet: true}, true
		}
		return s.fileDefault, source{obj: k.cfg, path: p, text: fmt.Sprintf("%s is not set (default %s)", strings.Join(s.field, "."), orNone(s.fileDefault))}, true
	}
	if k.args == nil || s.flag == "" {
		return "", source{}, false
	}
	v := k.args.Get(s.flag)
	return v.Raw, source{obj: k.cmd, path: fieldpath.New("args"),
		text: fmt.Sprintf("--%s is not set (default %s without --config)", s.flag, orNone(v.Raw))}, true
}

// fromDropIn returns the value the last drop-in file that sets field
// gives it. A null is no value: the merge patch deletes a key the
// configuration, marshalled with its Go field names, does not have.
func (k *kubelet) fromDropIn(field []string) (*inventory.Object, any, bool) {
	for i := len(k.dropIns) - 1; i >= 0; i-- {
		if raw, ok := lookup(k.dropIns[i].Raw.Object, field); ok && raw != nil {
			return k.dropIns[i], raw, true
		}
	}
	return nil, nil, false
}

func (k *kubelet) flagSource(flag string, o componentflags.Occurrence) source {
	text := fmt.Sprintf("--%s=%s", flag, o.Value)
	if o.ValueArg >= 0 && o.ValueArg < len(k.argv) && k.argv[o.ValueArg].Origin != "" {
		text += " (" + k.argv[o.ValueArg].Origin + ")"
	}
	return source{obj: k.cmd, path: fieldpath.New("args").Index(o.Arg), text: text, isSet: true}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// lookup walks a decoded map.
func lookup(m map[string]any, field []string) (any, bool) {
	var cur any = m
	for _, f := range field {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[f]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []any:
		parts := make([]string, 0, len(t))
		for _, x := range t {
			parts = append(parts, scalar(x))
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(t)
	}
}

// The settings the checks read. Defaults: k/k
// pkg/kubelet/apis/config/v1beta1/defaults.go at v1.37.2 (line numbers in
// componentflags.Kubelet's sources); the flag defaults without --config are
// componentflags.Kubelet's.
var (
	sAnonymous     = setting{flag: "anonymous-auth", field: []string{"authentication", "anonymous", "enabled"}, fileDefault: "false"}
	sAuthnWebhook  = setting{flag: "authentication-token-webhook", field: []string{"authentication", "webhook", "enabled"}, fileDefault: "true"}
	sAuthzMode     = setting{flag: "authorization-mode", field: []string{"authorization", "mode"}, fileDefault: "Webhook", defaultOf: emptyTo("Webhook")}
	sClientCA      = setting{flag: "client-ca-file", field: []string{"authentication", "x509", "clientCAFile"}}
	sReadOnlyPort  = setting{flag: "read-only-port", field: []string{"readOnlyPort"}, fileDefault: "0"}
	sStreaming     = setting{flag: "streaming-connection-idle-timeout", field: []string{"streamingConnectionIdleTimeout"}, fileDefault: "4h0m0s", defaultOf: zeroDurationTo("4h0m0s")}
	sIPTables      = setting{flag: "make-iptables-util-chains", field: []string{"makeIPTablesUtilChains"}, fileDefault: "true"}
	sHostname      = setting{flag: "hostname-override"}
	sTLSCert       = setting{flag: "tls-cert-file", field: []string{"tlsCertFile"}}
	sTLSKey        = setting{flag: "tls-private-key-file", field: []string{"tlsPrivateKeyFile"}}
	sServerBoot    = setting{flag: "rotate-server-certificates", field: []string{"serverTLSBootstrap"}, fileDefault: "false"}
	sRotateCerts   = setting{flag: "rotate-certificates", field: []string{"rotateCertificates"}, fileDefault: "false"}
	sCiphers       = setting{flag: "tls-cipher-suites", field: []string{"tlsCipherSuites"}}
	sTLSMinVersion = setting{flag: "tls-min-version", field: []string{"tlsMinVersion"}}
	sPodPids       = setting{flag: "pod-max-pids", field: []string{"podPidsLimit"}, fileDefault: "-1", defaultOf: negativeTo("-1")}
	sSeccomp       = setting{flag: "seccomp-default", field: []string{"seccompDefault"}, fileDefault: "false"}
	sProtectKernel = setting{flag: "protect-kernel-defaults", field: []string{"protectKernelDefaults"}, fileDefault: "false"}
)

func emptyTo(d string) func(string) string {
	return func(v string) string {
		if v == "" {
			return d
		}
		return v
	}
}

// zeroDurationTo: the v1beta1 defaulter replaces a zero duration, so an
// explicit 0 in the file is the default too (defaults.go:133-134).
func zeroDurationTo(d string) func(string) string {
	return func(v string) string {
		if dur, err := time.ParseDuration(v); err == nil && dur == 0 || v == "" {
			return d
		}
		return v
	}
}

func negativeTo(d string) func(string) string {
	return func(v string) string {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n < 0 {
			return d
		}
		return v
	}
}

// boolOf reads a setting as a boolean.
func (k *kubelet) boolOf(s setting) (val bool, src source, ok bool) {
	raw, src, ok := k.get(s)
	if !ok {
		return false, src, false
	}
	b, err := strconv.ParseBool(raw)
	return b, src, err == nil
}

// gate returns a feature gate: the file's featureGates, overridden per
// gate by --feature-gates (k/k cmd/kubelet/app/server.go:442-448).
func (k *kubelet) gate(name string) (val, set bool, src source) {
	if k.args != nil {
		if v, ok, fv := k.args.Gate("feature-gates", name); ok {
			return v, true, k.flagSource("feature-gates", fv.Last)
		}
	}
	field := []string{"featureGates", name}
	cfg := k.cfg
	raw, ok := lookup(cfgObject(cfg), field)
	if o, r, found := k.fromDropIn(field); found {
		cfg, raw, ok = o, r, true
	}
	if ok {
		if b, err := strconv.ParseBool(scalar(raw)); err == nil {
			return b, true, source{obj: cfg, path: fieldpath.New("featureGates").Key(name), text: fmt.Sprintf("featureGates.%s: %v", name, b), isSet: true}
		}
	}
	return false, false, source{}
}

func cfgObject(o *inventory.Object) map[string]any {
	if o == nil || o.Raw == nil {
		return nil
	}
	return o.Raw.Object
}

// Kinds the kubelet checks read.
var kubeletKinds = []schema.GroupKind{nodeconfig.KindKubeletConfiguration, nodeconfig.KindKubeletCommandLine, nodeconfig.KindHostFile}

type kubeletsKey struct{}

// kubelets pairs command lines with the configuration files they name.
// A configuration file that no command line names is judged as a kubelet
// started with --config and no other flags.
func kubelets(ctx *check.Context, inv *inventory.Inventory) []*kubelet {
	return ctx.Memo(kubeletsKey{}, func() any {
		var out []*kubelet
		used := map[*inventory.Object]bool{}
		configs := inv.ByKind(nodeconfig.KindKubeletConfiguration)
		for _, o := range inv.ByKind(nodeconfig.KindKubeletCommandLine) {
			argv, ok := nodeconfig.KubeletArgs(o)
			if !ok {
				continue
			}
			values := make([]string, len(argv))
			for i, a := range argv {
				values[i] = a.Value
			}
			k := &kubelet{cmd: o, argv: argv, args: componentflags.Parse(componentflags.Kubelet, values, nil)}
			if p := strings.TrimSpace(k.args.Get("config").Raw); p != "" {
				k.configPath = p
				k.cfg = configFor(p, configs)
				k.configUnknown = k.cfg == nil
				if k.cfg != nil {
					used[k.cfg] = true
				}
			}
			if d := strings.TrimSpace(k.args.Get("config-dir").Raw); d != "" {
				var inDir []*inventory.Object
				k.dropIns, inDir = dropInsFor(d, configs)
				k.dropInsUnknown = len(k.dropIns) == 0 && !dirRead(d, inv)
				for _, o := range inDir {
					used[o] = true // the kubelet merges it, or ignores it: not a kubelet of its own
				}
			}
			out = append(out, k)
		}
		for _, c := range configs {
			if !used[c] && c.Raw != nil {
				out = append(out, &kubelet{cfg: c})
			}
		}
		return out
	}).([]*kubelet)
}

// configFor finds the configuration file a --config path names.
func configFor(p string, configs []*inventory.Object) *inventory.Object {
	var best *inventory.Object
	bestLen := 0
	for _, c := range configs {
		if n := controlplane.SuffixMatch(p, c.Source.File); n > bestLen && c.Raw != nil {
			best, bestLen = c, n
		}
	}
	return best
}

// dropInsFor finds the files of a --config-dir directory among the
// configurations read, in the kubelet's merge order: filepath.WalkDir's,
// which visits a directory's entries by name and descends into each
// directory where its name falls; only files named *.conf count. inDir
// is every configuration below dir, the ignored ones too.
func dropInsFor(dir string, configs []*inventory.Object) (dropIns, inDir []*inventory.Object) {
	type dropIn struct {
		o   *inventory.Object
		rel []string
	}
	var found []dropIn
	for _, c := range configs {
		rel, ok := under(dir, c.Source.File)
		if !ok {
			continue
		}
		inDir = append(inDir, c)
		if c.Raw != nil && path.Ext(c.Source.File) == ".conf" {
			found = append(found, dropIn{c, rel})
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return slices.Compare(found[i].rel, found[j].rel) < 0 })
	for _, d := range found {
		dropIns = append(dropIns, d.o)
	}
	return dropIns, inDir
}

// under returns the path elements of file below dir, a node path. A file
// read by kubeward node has the node path itself; a copy read by scan
// --node-config has it at the end of the copy's path (/copy/etc/kubernetes/
// kubelet.conf.d/10.conf is below /etc/kubernetes/kubelet.conf.d).
func under(dir, file string) ([]string, bool) {
	d := strings.Split(strings.Trim(path.Clean(dir), "/"), "/")
	f := strings.Split(strings.Trim(path.Clean(filepath.ToSlash(file)), "/"), "/")
	for i := len(f) - len(d) - 1; i >= 0; i-- {
		if slices.Equal(f[i:i+len(d)], d) {
			return f[i+len(d):], true
		}
	}
	return nil, false
}

// dirRead reports whether kubeward node read the drop-in directory (it
// records it as a HostFile), so finding no file in it means it has none.
func dirRead(dir string, inv *inventory.Inventory) bool {
	dir = path.Clean("/" + dir)
	for _, o := range inv.ByKind(nodeconfig.KindHostFile) {
		if fi, ok := nodeconfig.HostFileOf(o); ok && fi.Path == dir && fi.Has(nodeconfig.RoleKubeletConfigDir) {
			return true
		}
	}
	return false
}

// problem is what a kubelet check reports.
type problem struct {
	src      source
	message  string
	severity check.Severity
}

// kubeletSubject: a node or cluster scan without a kubelet command line or
// configuration has nothing for the kubelet checks to judge.
var kubeletSubject = &check.Subject{Gap: check.GapKubelet, Name: "kubelet", Present: func(ctx *check.Context, inv *inventory.Inventory) bool {
	return len(kubelets(ctx, inv)) > 0
}}

// kubeletCheck builds a registered check from a judgement of one kubelet.
func kubeletCheck(meta check.Meta, judge func(*kubelet) []problem) *check.Check {
	meta.Category = check.CategoryNode
	return &check.Check{
		Meta:    meta,
		Needs:   kubeletKinds,
		Subject: kubeletSubject,
		Inventory: func(ctx *check.Context, inv *inventory.Inventory) []check.Result {
			var out []check.Result
			for _, shared := range kubelets(ctx, inv) {
				k := *shared
				problems := judge(&k)
				for _, p := range problems {
					if p.src.obj == nil {
						continue
					}
					out = append(out, check.Result{Object: p.src.obj, Path: p.src.path, Message: k.name() + ": " + p.message, Severity: p.severity})
				}
				if len(problems) == 0 && k.unknownRead {
					msg := "the kubelet's --config names a KubeletConfiguration the scan does not hold, which decides every setting its flags do not give"
					if !k.configUnknown {
						msg = "the kubelet's --config-dir names a directory of drop-in KubeletConfigurations the scan does not hold, which can change every setting its flags do not give"
					}
					out = append(out, check.Result{Object: k.cmd, Path: fieldpath.New("args"), Undecided: GapKubeletConfig, Message: msg})
				}
			}
			return out
		},
	}
}

// boolMustBe reports a boolean setting that is not want.
func boolMustBe(s setting, want bool, consequence string) func(*kubelet) []problem {
	return func(k *kubelet) []problem {
		v, src, ok := k.boolOf(s)
		if !ok || v == want {
			return nil
		}
		return []problem{{src: src, message: src.text + ": " + consequence}}
	}
}

// reads lists a setting for the check metadata.
func reads(ss ...setting) []string {
	var out []string
	for _, s := range ss {
		r := "kubelet"
		if s.flag != "" {
			r += " --" + s.flag
		}
		if len(s.field) > 0 {
			r += " / KubeletConfiguration " + strings.Join(s.field, ".")
		}
		out = append(out, r)
	}
	return out
}
