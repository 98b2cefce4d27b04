package componentflags

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseKubeadmAPIServer(t *testing.T) {
	args := []string{
		"--advertise-address=10.0.0.1", "--allow-privileged=true",
		"--authorization-mode=Node,RBAC", "--client-ca-file=/etc/kubernetes/pki/ca.crt",
		"--enable-admission-plugins=NodeRestriction", "--etcd-servers=https://127.0.0.1:2379",
		"--service-account-key-file=/a.pub", "--service-account-key-file", "/b.pub",
		"--audit-log-path", "-",
	}
	a := Parse(APIServer, args, nil)
	if len(a.Problems) != 0 {
		t.Fatalf("problems: %v", a.Problems)
	}
	if got := a.Get("authorization-mode").List; !reflect.DeepEqual(got, []string{"Node", "RBAC"}) {
		t.Errorf("authorization-mode = %q", got)
	}
	if got := a.Get("service-account-key-file").List; !reflect.DeepEqual(got, []string{"/a.pub", "/b.pub"}) {
		t.Errorf("service-account-key-file = %q", got)
	}
	// A flag that takes a value takes the next token even when it is "-".
	if v := a.Get("audit-log-path"); v.Raw != "-" || v.Last.Arg != 9 || v.Last.ValueArg != 10 {
		t.Errorf("audit-log-path = %+v", v)
	}
	// Defaults apply to what is absent.
	if b, v, ok := a.Bool("anonymous-auth"); !b || v.Set || !ok {
		t.Errorf("anonymous-auth = %v set=%v ok=%v, want the default true", b, v.Set, ok)
	}
	if n, v, _ := a.Int("audit-log-maxage"); n != 366 || v.Set {
		t.Errorf("audit-log-maxage = %d", n)
	}
	// A flag outside the table is still read.
	if v := a.Get("advertise-address"); v.Raw != "10.0.0.1" || !v.Set {
		t.Errorf("advertise-address = %+v", v)
	}
}

func TestParseSemantics(t *testing.T) {
	tests := []struct {
		name     string
		comp     *Component
		args     []string
		env      map[string]string
		flag     string
		want     string // fmt of Raw, List or Gates
		problems int
	}{
		{"bool without value is true", APIServer, []string{"--profiling"}, nil, "profiling", "true", 0},
		{"bool =false", APIServer, []string{"--profiling=false"}, nil, "profiling", "false", 0},
		{"bool accepts strconv forms", APIServer, []string{"--profiling=F"}, nil, "profiling", "F", 0},
		{"bool does not take the next token", APIServer, []string{"--profiling", "false"}, nil, "profiling", "true", 1},
		{"invalid bool is a problem", APIServer, []string{"--profiling=nope"}, nil, "profiling", "nope", 1},
		{"last scalar wins", APIServer, []string{"--profiling=false", "--profiling=true"}, nil, "profiling", "true", 0},
		{"underscores normalise", APIServer, []string{"--anonymous_auth=false"}, nil, "anonymous-auth", "false", 0},
		{"slices append across occurrences", APIServer, []string{"--enable-admission-plugins=A,B", "--enable-admission-plugins=C"}, nil, "enable-admission-plugins", "[A B C]", 0},
		{"slices are CSV", APIServer, []string{`--tls-cipher-suites="X,Y",Z`}, nil, "tls-cipher-suites", "[X,Y Z]", 0},
		{"empty slice", APIServer, []string{"--enable-admission-plugins="}, nil, "enable-admission-plugins", "[]", 0},
		{"bad CSV is a problem", APIServer, []string{`--tls-cipher-suites="X`}, nil, "tls-cipher-suites", "[]", 1},
		{"int base prefix", APIServer, []string{"--audit-log-maxage=0x10"}, nil, "audit-log-maxage", "0x10", 0},
		{"int invalid", APIServer, []string{"--audit-log-maxage=ten"}, nil, "audit-log-maxage", "ten", 1},
		{"missing value", APIServer, []string{"--audit-log-path"}, nil, "audit-log-path", "", 1},
		{"double dash ends flags", APIServer, []string{"--", "--profiling=false"}, nil, "profiling", "true", 1},
		{"shorthand -v with value", APIServer, []string{"-v", "2", "--profiling=false"}, nil, "profiling", "false", 0},
		{"single-dash long flag is refused by pflag", APIServer, []string{"-profiling=false"}, nil, "profiling", "true", 1},
		{"feature gates merge, other components ignored", APIServer,
			[]string{"--feature-gates=kube:A=true,wardle:B=false", "--feature-gates", "C=false"}, nil, "feature-gates", "map[A:true C:false]", 0},
		{"kubelet gates", Kubelet, []string{"--feature-gates=RotateKubeletServerCertificate=false"}, nil, "feature-gates", "map[RotateKubeletServerCertificate:false]", 0},
		// MapStringBool has no components: the key is "kube:A" (then an unknown gate).
		{"kubelet gates have no components", Kubelet, []string{"--feature-gates=kube:A=true"}, nil, "feature-gates", "map[kube:A:true]", 0},
		{"ip flag", ControllerManager, []string{"--bind-address=not-an-ip"}, nil, "bind-address", "not-an-ip", 1},
		{"duration", Kubelet, []string{"--streaming-connection-idle-timeout=0"}, nil, "streaming-connection-idle-timeout", "0", 0},
		{"go flag: one dash", Etcd, []string{"-client-cert-auth"}, nil, "client-cert-auth", "true", 0},
		{"go flag: stops at first non-flag", Etcd, []string{"x", "--client-cert-auth"}, nil, "client-cert-auth", "false", 1},
		{"go flag: env fallback", Etcd, nil, map[string]string{"ETCD_CLIENT_CERT_AUTH": "true"}, "client-cert-auth", "true", 0},
		{"go flag: command line beats env", Etcd, []string{"--client-cert-auth=false"}, map[string]string{"ETCD_CLIENT_CERT_AUTH": "true"}, "client-cert-auth", "false", 0},
		{"comma list: last wins, split", Etcd, []string{"--listen-client-urls=http://a:1", "--listen-client-urls=https://b:2,https://c:3"}, nil, "listen-client-urls", "[https://b:2 https://c:3]", 0},
		{"comma list default", Etcd, nil, nil, "listen-client-urls", "[http://localhost:2379]", 0},
		{"unknown flag takes a plain next token", APIServer, []string{"--v", "2", "--profiling=false"}, nil, "profiling", "false", 0},
		{"unknown flag before a flag is boolean", APIServer, []string{"--some-switch", "--profiling=false"}, nil, "profiling", "false", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Parse(tt.comp, tt.args, tt.env)
			v := a.Get(tt.flag)
			f, _ := tt.comp.Flag(tt.flag)
			var got string
			switch f.Kind {
			case StringSlice, StringArray, CommaList:
				got = fmt.Sprint(v.List)
				if v.List == nil {
					got = "[]"
				}
			case MapStringBool, FeatureGates:
				got = fmt.Sprint(v.Gates)
			default:
				got = v.Raw
			}
			if got != tt.want {
				t.Errorf("%s = %s, want %s", tt.flag, got, tt.want)
			}
			if len(a.Problems) != tt.problems {
				t.Errorf("problems = %q, want %d", a.Problems, tt.problems)
			}
		})
	}
}

func TestEnvOccurrence(t *testing.T) {
	a := Parse(Etcd, nil, map[string]string{"ETCD_AUTO_TLS": "true"})
	o, ok := a.Last("auto-tls")
	if !ok || o.Arg != -1 || o.Env != "ETCD_AUTO_TLS" {
		t.Fatalf("occurrence = %+v %v", o, ok)
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		argv  []string
		found bool
		args  string
		from  string
		shell bool
	}{
		{[]string{"kube-apiserver", "--a=1"}, true, "[--a=1]", "[1]", false},
		{[]string{"/usr/local/bin/kube-apiserver"}, true, "[]", "[]", false},
		{[]string{"/go-runner", "--log-file=/x.log", "--", "/usr/local/bin/kube-apiserver", "--b"}, true, "[--b]", "[4]", false},
		{[]string{"/bin/sh", "-c", "exec kube-apiserver --a='x y' \\\n --b=\"$HOME\" # comment\necho done"}, true, "[--a=x y --b=$HOME]", "[2 2]", true},
		{[]string{"sh", "-ec", "set -x; FOO=1 kube-apiserver --c && true"}, true, "[--c]", "[2]", true},
		{[]string{"sh", "-c", "echo kube-apiserver"}, false, "", "", false},
		{[]string{"kube-apiserver-proxy", "--a"}, false, "", "", false},
		{nil, false, "", "", false},
	}
	for _, tt := range tests {
		inv, ok := Find("kube-apiserver", tt.argv)
		if ok != tt.found {
			t.Errorf("%q: found = %v", tt.argv, ok)
			continue
		}
		if !ok {
			continue
		}
		if fmt.Sprint(inv.Args) != tt.args || fmt.Sprint(inv.From) != tt.from || inv.Shell != tt.shell {
			t.Errorf("%q: got %q from %v shell %v, want %s from %s", tt.argv, inv.Args, inv.From, inv.Shell, tt.args, tt.from)
		}
	}
}

func TestSplitShell(t *testing.T) {
	got := SplitShell(`a 'b c' "d \"e\" \$f" g\ h; i | j && k || l & m` + "\n" + `n # o p` + "\n" + `'unterminated`)
	want := "[[a b c d \"e\" $f g h] [i] [j] [k] [l] [m] [n] [unterminated]]"
	if fmt.Sprint(got) != want {
		t.Errorf("SplitShell = %q\nwant %s", got, want)
	}
}

func TestExpandVars(t *testing.T) {
	env := map[string]string{"POD_IP": "10.1.2.3", "E": ""}
	tests := map[string]string{
		"--advertise-address=$(POD_IP)": "--advertise-address=10.1.2.3",
		"$(MISSING)":                    "$(MISSING)",
		"$$(POD_IP)":                    "$(POD_IP)",
		"$(E)x":                         "x",
		"a$b":                           "a$b",
		"$(unclosed":                    "$(unclosed",
		"$(unclosed$$":                  "$(unclosed$",
		"end$":                          "end$",
		"$()":                           "$()",
	}
	for in, want := range tests {
		if got := ExpandVars(in, env); got != want {
			t.Errorf("ExpandVars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("ETCD", "peer-client-cert-auth"); got != "ETCD_PEER_CLIENT_CERT_AUTH" {
		t.Error(got)
	}
}

func TestTablesAreWellFormed(t *testing.T) {
	for _, c := range []*Component{APIServer, ControllerManager, Scheduler, Etcd, Kubelet, KubeProxy} {
		for _, f := range c.Flags() {
			if f.Source == "" {
				t.Errorf("%s --%s: no source for its default", c.Name, f.Name)
			}
			if strings.Contains(f.Name, "_") || strings.HasPrefix(f.Name, "-") {
				t.Errorf("%s: bad flag name %q", c.Name, f.Name)
			}
			if f.Kind != String && f.Kind != StringArray && f.Kind != CommaList && f.Default != "" || f.Kind == Bool {
				if err := check(f.Kind, f.Default); err != nil {
					t.Errorf("%s --%s: default %q is not a valid %s: %v", c.Name, f.Name, f.Default, f.Kind, err)
				}
			}
		}
	}
}

func BenchmarkParseAPIServer(b *testing.B) {
	args := []string{
		"--advertise-address=10.0.0.10", "--allow-privileged=true", "--authorization-mode=Node,RBAC",
		"--client-ca-file=/etc/kubernetes/pki/ca.crt", "--enable-admission-plugins=NodeRestriction",
		"--enable-bootstrap-token-auth=true", "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
		"--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt", "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
		"--etcd-servers=https://127.0.0.1:2379", "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
		"--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
		"--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt", "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
		"--requestheader-allowed-names=front-proxy-client", "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-", "--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User", "--secure-port=6443", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=/etc/kubernetes/pki/sa.pub", "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
		"--service-cluster-ip-range=10.96.0.0/12", "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt", "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
	}
	for b.Loop() {
		a := Parse(APIServer, args, nil)
		_ = a.Get("authorization-mode")
	}
}
