package componentflags

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/kubetest"
)

// helpEntry is one flag as a binary's --help describes it.
type helpEntry struct {
	typ, def string
	hasDef   bool
}

var (
	pflagLine = regexp.MustCompile(`^\s+(?:-\w, )?--([a-z0-9-]+)(?: (\w+))?\s{2,}(.*)$`)
	pflagDef  = regexp.MustCompile(`\(default (.*)\)\s*$`)
	etcdLine  = regexp.MustCompile(`^  --([a-z0-9-]+) '(.*)'\s*$`)
)

// parsePFlagHelp reads pflag's FlagUsages: "--name type   usage (default X)",
// with the usage wrapped onto continuation lines.
func parsePFlagHelp(out string) map[string]helpEntry {
	entries := map[string]helpEntry{}
	var name string
	var desc strings.Builder
	var typ string
	flush := func() {
		if name == "" {
			return
		}
		e := helpEntry{typ: typ}
		if m := pflagDef.FindStringSubmatch(strings.TrimSpace(desc.String())); m != nil {
			e.def, e.hasDef = m[1], true
		}
		entries[name] = e
		name = ""
	}
	for _, line := range strings.Split(out, "\n") {
		if m := pflagLine.FindStringSubmatch(line); m != nil {
			flush()
			name, typ = m[1], m[2]
			desc.Reset()
			desc.WriteString(m[3])
			continue
		}
		if name != "" && strings.HasPrefix(line, "        ") {
			desc.WriteString(" " + strings.TrimSpace(line))
			continue
		}
		flush()
	}
	flush()
	return entries
}

var pflagKinds = map[string]Kind{
	"": Bool, "string": String, "strings": StringSlice, "stringArray": StringArray,
	"int": Int, "int32": Int, "int64": Int, "duration": Duration, "ip": IP,
	"mapStringBool": MapStringBool, "colonSeparatedMultimapStringString": FeatureGates,
	"Level": Int, // klog's -v
}

// pflagDefault is how pflag prints a default in the help: nothing for the
// zero value, quotes around strings, brackets around lists.
func pflagDefault(f *Flag) (string, bool) {
	switch f.Kind {
	case Bool:
		return f.Default, f.Default == "true"
	case Int:
		return f.Default, f.Default != "0"
	case String:
		return strconv.Quote(f.Default), f.Default != ""
	case StringSlice, StringArray:
		return "[" + f.Default + "]", f.Default != ""
	case Duration, IP:
		return f.Default, f.Default != "" && f.Default != "0s"
	}
	return f.Default, f.Default != ""
}

// TestTablesMatchBinaries runs the real kube-apiserver, kube-controller-manager
// and etcd with --help and compares each flag kubeward knows: same type, same
// default. Where the table's default is a behaviour rather than the flag's
// default value (an empty --authorization-mode means AlwaysAllow), the flag's
// own default is still what the binary prints.
func TestTablesMatchBinaries(t *testing.T) {
	bins := kubetest.Binaries(t)
	for _, tc := range []struct {
		comp *Component
		bin  string
	}{{APIServer, bins.APIServer}, {ControllerManager, bins.ControllerManager}, {Etcd, bins.Etcd}} {
		t.Run(tc.comp.Name, func(t *testing.T) {
			out, err := exec.Command(tc.bin, "--help").CombinedOutput()
			if err != nil && len(out) == 0 {
				t.Fatalf("%s --help: %v", tc.bin, err)
			}
			if tc.comp.Syntax == GoFlag {
				defs := map[string]string{}
				for _, line := range strings.Split(string(out), "\n") {
					if m := etcdLine.FindStringSubmatch(line); m != nil {
						defs[m[1]] = m[2]
					}
				}
				if len(defs) < 50 {
					t.Fatalf("read only %d flags from etcd --help", len(defs))
				}
				if !strings.Contains(string(out), "etcd --config-file") {
					t.Error("etcd --help no longer documents --config-file")
				}
				for _, f := range tc.comp.Flags() {
					if f.Name == "config-file" {
						continue // documented in the usage line, without a default
					}
					d, ok := defs[f.Name]
					if !ok {
						t.Errorf("etcd has no --%s", f.Name)
					} else if d != f.Default {
						t.Errorf("etcd --%s: help default %q, table %q", f.Name, d, f.Default)
					}
				}
				return
			}
			help := parsePFlagHelp(string(out))
			if len(help) < 50 {
				t.Fatalf("read only %d flags from %s --help", len(help), tc.comp.Name)
			}
			for _, f := range tc.comp.Flags() {
				e, ok := help[f.Name]
				if !ok {
					t.Errorf("%s has no --%s", tc.comp.Name, f.Name)
					continue
				}
				if k, known := pflagKinds[e.typ]; !known || k != f.Kind {
					t.Errorf("%s --%s: help type %q, table %s", tc.comp.Name, f.Name, e.typ, f.Kind)
				}
				want, has := pflagDefault(f)
				if has != e.hasDef || has && want != e.def {
					t.Errorf("%s --%s: help default %q (shown %v), table %q (shown %v)", tc.comp.Name, f.Name, e.def, e.hasDef, want, has)
				}
			}
		})
	}
}
