package componentflags

import (
	"bytes"
	goflag "flag"
	"fmt"
	"io"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
)

// values are the interesting values the generator combines with flag names.
var fuzzValues = []string{"", "true", "false", "0", "1", "F", "x", "x,y", `"a,b",c`, `"unterminated`,
	"k=true", "kube:K=false,other:O=true", "A=1,B=f", "-", "--", "1h", "0x1f", "-3", "::1", "10.0.0.1",
	"http://a:1,https://b:2", "$(VAR)", "a=b=c", " spaced "}

// generate turns fuzz bytes into a command line for c: each pair of bytes
// chooses a flag (known, misspelt with "_", or unknown), a form
// (--name=value, --name value, --name, -name) and a value.
func generate(c *Component, data []byte) []string {
	names := make([]string, 0, len(c.flags)+2)
	for n := range c.flags {
		names = append(names, n)
	}
	slices.Sort(names)
	if c.Syntax == GoFlag {
		names = append(names, "unknown-flag")
	}
	var args []string
	for i := 0; i+1 < len(data); i += 2 {
		name := names[int(data[i])%len(names)]
		if data[i]&0x80 != 0 {
			name = strings.ReplaceAll(name, "-", "_")
		}
		val := fuzzValues[int(data[i+1])%len(fuzzValues)]
		switch (data[i] >> 5) & 3 {
		case 0:
			args = append(args, "--"+name+"="+val)
		case 1:
			args = append(args, "--"+name, val)
		case 2:
			args = append(args, "--"+name)
		default:
			switch {
			case data[i+1]&1 == 0 && c.Syntax == GoFlag:
				args = append(args, "-"+name+"="+val)
			case data[i+1]&1 == 0:
				args = append(args, "-v"+val) // the only shorthand
			default:
				args = append(args, val)
			}
		}
	}
	return args
}

// reference parses args with the real flag library the component uses and
// returns each known flag's effective value in the form effective() gives.
func reference(c *Component, args []string) (map[string]string, error) {
	out := map[string]string{}
	if c.Syntax == GoFlag {
		fs := goflag.NewFlagSet(c.Name, goflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		get := map[string]func() string{}
		for _, f := range c.flags {
			switch f.Kind {
			case Bool:
				b, _ := strconv.ParseBool(f.Default)
				p := fs.Bool(f.Name, b, "")
				get[f.Name] = func() string { return strconv.FormatBool(*p) }
			case Int:
				n, _ := strconv.ParseInt(f.Default, 0, 64)
				p := fs.Int64(f.Name, n, "")
				get[f.Name] = func() string { return strconv.FormatInt(*p, 10) }
			default:
				p := fs.String(f.Name, f.Default, "")
				get[f.Name] = func() string { return *p }
			}
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() > 0 {
			return nil, fmt.Errorf("positional %q", fs.Arg(0))
		}
		for n, g := range get {
			out[n] = g()
		}
		return out, nil
	}
	fs := pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	fs.Int32P("v", "v", 0, "")
	get := map[string]func() string{}
	for _, f := range c.flags {
		if f.Name == "v" {
			continue
		}
		switch f.Kind {
		case Bool:
			b, _ := strconv.ParseBool(f.Default)
			p := fs.Bool(f.Name, b, "")
			get[f.Name] = func() string { return strconv.FormatBool(*p) }
		case StringSlice:
			d, _ := readCSV(f.Default)
			p := fs.StringSlice(f.Name, d, "")
			get[f.Name] = func() string { return fmt.Sprint(*p) }
		case StringArray:
			var d []string
			if f.Default != "" {
				d = []string{f.Default}
			}
			p := fs.StringArray(f.Name, d, "")
			get[f.Name] = func() string { return fmt.Sprint(*p) }
		case Int:
			n, _ := strconv.ParseInt(f.Default, 0, 64)
			p := fs.Int64(f.Name, n, "")
			get[f.Name] = func() string { return strconv.FormatInt(*p, 10) }
		case Duration:
			d, _ := time.ParseDuration(f.Default)
			p := fs.Duration(f.Name, d, "")
			get[f.Name] = func() string { return p.String() }
		case IP:
			p := fs.IP(f.Name, net.ParseIP(f.Default), "")
			get[f.Name] = func() string { return p.String() }
		case MapStringBool:
			m := map[string]bool{}
			fs.Var(cliflag.NewMapStringBool(&m), f.Name, "")
			get[f.Name] = func() string { return fmt.Sprint(m) }
		case FeatureGates:
			mm := map[string][]string{}
			fs.Var(cliflag.NewColonSeparatedMultimapStringStringAllowDefaultEmptyKey(&mm), f.Name, "")
			get[f.Name] = func() string {
				gates := map[string]bool{}
				for _, comp := range []string{"", "kube"} {
					for _, kv := range mm[comp] {
						k, v, _ := strings.Cut(kv, "=")
						b, _ := strconv.ParseBool(strings.TrimSpace(v))
						gates[strings.TrimSpace(k)] = b
					}
				}
				return fmt.Sprint(gates)
			}
		default:
			p := fs.String(f.Name, f.Default, "")
			get[f.Name] = func() string { return *p }
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("positional %q", fs.Arg(0))
	}
	for n, g := range get {
		out[n] = g()
	}
	return out, nil
}

// effective renders Parse's effective value of a flag like reference does.
func effective(a *Args, f *Flag) string {
	v := a.Get(f.Name)
	switch f.Kind {
	case Bool:
		b, _ := strconv.ParseBool(v.Raw)
		return strconv.FormatBool(b)
	case StringSlice, StringArray:
		return fmt.Sprint(v.List)
	case Int:
		n, _ := strconv.ParseInt(v.Raw, 0, 64)
		return strconv.FormatInt(n, 10)
	case Duration:
		d, _ := time.ParseDuration(v.Raw)
		return d.String()
	case IP:
		return net.ParseIP(strings.TrimSpace(v.Raw)).String()
	case MapStringBool, FeatureGates:
		return fmt.Sprint(v.Gates)
	}
	return v.Raw
}

// FuzzParseAgainstFlagLibraries compares Parse with pflag and Go's flag
// package on generated command lines: when the library accepts the command
// line, Parse reports no problem and the same effective value for every
// flag; when the library refuses it, Parse reports a problem.
func FuzzParseAgainstFlagLibraries(f *testing.F) {
	f.Add([]byte{0, 1, 33, 2, 65, 3, 97, 4, 130, 5})
	f.Add([]byte{7, 9, 7, 10, 40, 11, 12, 20})
	f.Add(bytes.Repeat([]byte{3, 5, 35, 6}, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []*Component{APIServer, ControllerManager, Scheduler, Etcd, Kubelet} {
			args := generate(c, data)
			if c.Syntax == GoFlag && slices.ContainsFunc(args, func(a string) bool {
				n := strings.TrimLeft(a, "-")
				n, _, _ = strings.Cut(n, "=")
				_, known := c.flags[n]
				return strings.HasPrefix(a, "-") && !known && a != "-" && a != "--"
			}) {
				continue // Go's flag refuses unknown flags; Parse reads on
			}
			want, refErr := reference(c, args)
			got := Parse(c, args, nil)
			if refErr != nil {
				if len(got.Problems) == 0 {
					t.Fatalf("%s %q: the flag library refuses it (%v) but Parse reports no problem", c.Name, args, refErr)
				}
				continue
			}
			if len(got.Problems) > 0 {
				if c.Syntax == PFlag && onlyLateProblems(got.Problems) {
					continue // values pflag stores unchecked and the component validates later
				}
				t.Fatalf("%s %q: the flag library accepts it but Parse reports %q", c.Name, args, got.Problems)
			}
			for _, fl := range c.flags {
				if fl.Name == "v" {
					continue
				}
				if e := effective(got, fl); e != want[fl.Name] {
					t.Fatalf("%s %q: --%s = %s, flag library says %s", c.Name, args, fl.Name, e, want[fl.Name])
				}
			}
		}
	})
}

// onlyLateProblems reports whether every problem is one pflag does not see
// because the flag type stores the string and the component checks it
// later (feature gates).
func onlyLateProblems(ps []string) bool {
	for _, p := range ps {
		if !strings.Contains(p, "--feature-gates") {
			return false
		}
	}
	return true
}

// FuzzParseRaw feeds arbitrary tokens: Parse must not panic, and every
// occurrence must point at the token that holds it.
func FuzzParseRaw(f *testing.F) {
	f.Add("--anonymous-auth=false\x00--authorization-mode\x00Node,RBAC\x00--\x00x")
	f.Add("-client-cert-auth\x00--data-dir\x00/var/lib/etcd")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		for _, c := range []*Component{APIServer, Etcd, Kubelet} {
			a := Parse(c, args, map[string]string{"ETCD_AUTO_TLS": s})
			for _, n := range a.Names() {
				for _, o := range a.All(n) {
					if o.Arg == -1 {
						continue
					}
					if o.Arg < 0 || o.Arg >= len(args) || o.ValueArg < o.Arg || o.ValueArg >= len(args) {
						t.Fatalf("%s: occurrence %+v out of range of %d args", n, o, len(args))
					}
					if o.ValueArg != o.Arg && args[o.ValueArg] != o.Value {
						t.Fatalf("%s: value %q is not token %q", n, o.Value, args[o.ValueArg])
					}
				}
				_ = a.Get(n)
			}
			for _, fl := range c.Flags() {
				_ = a.Get(fl.Name)
			}
		}
		for _, cmd := range SplitShell(s) {
			if len(cmd) == 0 {
				t.Fatal("empty command")
			}
		}
		_, _ = Find("etcd", args)
		// Without references, expansion only turns "$$" into "$".
		if !strings.Contains(s, "$(") {
			if got, want := ExpandVars(s, map[string]string{"A": "b"}), strings.ReplaceAll(s, "$$", "$"); got != want {
				t.Fatalf("ExpandVars(%q) = %q, want %q", s, got, want)
			}
		}
	})
}

func TestReferenceAgreesOnExamples(t *testing.T) {
	// The differential harness itself must see differences: a known
	// disagreement (a bool flag given a separate value) is refused by pflag.
	if _, err := reference(APIServer, []string{"--profiling", "false"}); err == nil {
		t.Fatal("pflag accepted a positional argument")
	}
	want, err := reference(APIServer, []string{"--authorization-mode=Node", "--authorization-mode", "RBAC"})
	if err != nil {
		t.Fatal(err)
	}
	if want["authorization-mode"] != "[Node RBAC]" || !reflect.DeepEqual(effective(Parse(APIServer, []string{"--authorization-mode=Node", "--authorization-mode", "RBAC"}, nil), mustFlag(APIServer, "authorization-mode")), want["authorization-mode"]) {
		t.Fatalf("reference %q", want["authorization-mode"])
	}
}

func mustFlag(c *Component, name string) *Flag {
	f, ok := c.Flag(name)
	if !ok {
		panic(name)
	}
	return f
}
