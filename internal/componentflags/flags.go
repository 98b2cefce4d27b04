// Package componentflags reads the command lines of Kubernetes components
// (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kubelet)
// exactly as the components' own flag libraries do, and knows the default
// each component uses for the flags kubeward judges, so that a check can
// judge the effective setting: a missing --profiling on kube-apiserver means
// profiling is on.
//
// The parser follows github.com/spf13/pflag (the Kubernetes components) or
// Go's standard flag package (etcd): "--name=value", "--name value",
// boolean flags that take no separate value, "--" ending the flags, repeated
// flags (the last wins for scalars, lists append), comma lists read as CSV,
// and the "_"-to-"-" name normalisation of k8s.io/component-base. It never
// fails: what the component itself would reject is reported as a problem and
// the rest of the command line is still read.
package componentflags

import (
	"encoding/csv"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Kind is how a flag's value is read, as the component's flag type does.
type Kind int

const (
	// String: the last occurrence wins (pflag string, Go flag string).
	String Kind = iota
	// Bool: "--name" means true, "--name=false" false; a separate token is
	// never its value (pflag NoOptDefVal "true", Go flag IsBoolFlag).
	Bool
	// StringSlice: a comma-separated list read as one CSV record; the first
	// occurrence replaces the default, later ones append (pflag strings).
	StringSlice
	// StringArray: each occurrence is one value, appended; no comma split
	// (pflag stringArray).
	StringArray
	// Int: a base-prefixed integer (pflag int, int32, int64: strconv.ParseInt
	// with base 0).
	Int
	// Duration: time.ParseDuration.
	Duration
	// IP: net.ParseIP of the trimmed value (pflag ip).
	IP
	// MapStringBool: "k=v,k2=v2"; the first occurrence clears the default,
	// later ones merge (k8s.io/component-base/cli/flag MapStringBool; the
	// kubelet's --feature-gates).
	MapStringBool
	// FeatureGates: "[component:]k=v,..." pairs; pairs without a component
	// belong to "kube"; later occurrences merge
	// (ColonSeparatedMultimapStringString; the control plane's
	// --feature-gates since the component-globals registry).
	FeatureGates
	// CommaList: one string the component splits on commas itself (etcd's
	// URL lists); the last occurrence wins.
	CommaList
)

var kindNames = [...]string{"string", "bool", "strings", "stringArray", "int", "duration", "ip", "mapStringBool", "featureGates", "commaList"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Syntax is the flag library a component uses.
type Syntax int

const (
	// PFlag is github.com/spf13/pflag with k8s.io/component-base's
	// WordSepNormalizeFunc: long flags need two dashes, "_" in a name reads
	// as "-", and a single dash introduces shorthands.
	PFlag Syntax = iota
	// GoFlag is Go's flag package: one or two dashes, and the first
	// non-flag argument ends the flags.
	GoFlag
)

// Flag describes one flag of a component.
type Flag struct {
	Name string
	Kind Kind
	// Default is the value the component uses when the flag is absent,
	// written as it would be on the command line ("" for none).
	Default string
	// Source says where the default was read, for the next person to check
	// it against a newer release.
	Source string
}

// Component is a program and the flags kubeward knows of it.
type Component struct {
	Name   string // the binary name: kube-apiserver, etcd, ...
	Syntax Syntax
	// EnvPrefix, when set, makes a flag that is absent from the command line
	// fall back to the environment variable PREFIX_NAME (etcd's ETCD_*).
	EnvPrefix string
	flags     map[string]*Flag
}

// NewComponent builds a component from its flag table.
func NewComponent(name string, syntax Syntax, envPrefix string, flags []Flag) *Component {
	c := &Component{Name: name, Syntax: syntax, EnvPrefix: envPrefix, flags: map[string]*Flag{}}
	if syntax == PFlag {
		// Every Kubernetes component has klog's -v/--v (int32).
		c.flags["v"] = &Flag{Name: "v", Kind: Int, Default: "0", Source: "k8s.io/component-base logs/api/v1 (klog verbosity)"}
	}
	for i := range flags {
		f := flags[i]
		c.flags[f.Name] = &f
	}
	return c
}

// Flag returns what the component's table says about a flag.
func (c *Component) Flag(name string) (*Flag, bool) {
	f, ok := c.flags[name]
	return f, ok
}

// Flags returns the flag table, in no particular order.
func (c *Component) Flags() []*Flag {
	out := make([]*Flag, 0, len(c.flags))
	for _, f := range c.flags {
		out = append(out, f)
	}
	return out
}

// Occurrence is one appearance of a flag.
type Occurrence struct {
	// Arg is the index of the token that names the flag; -1 when the value
	// came from the environment.
	Arg int
	// ValueArg is the index of the token that holds the value: Arg for
	// "--name=value" and for a bare boolean, Arg+1 for "--name value".
	ValueArg int
	Value    string
	// Env names the environment variable the value came from.
	Env string
}

// Args is a parsed command line.
type Args struct {
	comp *Component
	occ  map[string][]Occurrence
	// Positional are the arguments that are not flags or flag values; every
	// Kubernetes component rejects them.
	Positional []string
	// Problems are what the component would refuse at start-up.
	Problems []string
}

// Parse reads args (without the program name). env, when not nil, holds the
// process environment for components with an EnvPrefix.
func Parse(c *Component, args []string, env map[string]string) *Args {
	a := &Args{comp: c, occ: map[string][]Occurrence{}}
	for i := 0; i < len(args); i++ {
		tok := args[i]
		if tok == "--" {
			a.Positional = append(a.Positional, args[i+1:]...)
			break
		}
		if len(tok) < 2 || tok[0] != '-' {
			if c.Syntax == GoFlag {
				// Go's flag package stops at the first non-flag argument.
				a.Positional = append(a.Positional, args[i:]...)
				break
			}
			a.Positional = append(a.Positional, tok)
			continue
		}
		var body string
		switch {
		case strings.HasPrefix(tok, "--"):
			body = tok[2:]
		case c.Syntax == GoFlag:
			body = tok[1:]
		default:
			i = a.shorthand(args, i)
			continue
		}
		if body == "" || body[0] == '-' || body[0] == '=' {
			a.problem("bad flag syntax: %s", tok)
			continue
		}
		if body == "help" || strings.HasPrefix(body, "help=") {
			a.problem("%s prints the help and exits", tok)
			continue
		}
		name, value, hasValue := strings.Cut(body, "=")
		if c.Syntax == PFlag {
			name = strings.ReplaceAll(name, "_", "-")
		}
		f, known := c.flags[name]
		oc := Occurrence{Arg: i, ValueArg: i, Value: value}
		switch {
		case hasValue:
		case known && f.Kind == Bool:
			oc.Value = "true"
		case i+1 < len(args) && (known || !strings.HasPrefix(args[i+1], "-")):
			// A flag that takes a value takes the next token, whatever it
			// looks like. For a flag kubeward does not know, the next token
			// is its value unless it is a flag itself: the components accept
			// no positional arguments, so a valid command line leaves no
			// other reading (pflag's stripUnknownFlagValue reads it so too).
			i++
			oc.ValueArg, oc.Value = i, args[i]
		case known:
			a.problem("flag needs an argument: --%s", name)
			continue
		default:
			oc.Value = "true" // an unknown flag used as a boolean
		}
		a.occ[name] = append(a.occ[name], oc)
	}
	if len(a.Positional) > 0 {
		a.problem("unexpected argument %q: %s takes no arguments (a boolean flag takes its value as --name=value)", a.Positional[0], c.Name)
	}
	if c.EnvPrefix != "" && env != nil {
		for name := range c.flags {
			if _, set := a.occ[name]; set {
				continue
			}
			key := EnvName(c.EnvPrefix, name)
			if v, ok := env[key]; ok {
				a.occ[name] = []Occurrence{{Arg: -1, ValueArg: -1, Value: v, Env: key}}
			}
		}
	}
	for name, occ := range a.occ {
		if f, ok := c.flags[name]; ok {
			a.validate(f, occ)
		}
	}
	return a
}

// EnvName is the environment variable a flag reads with a prefix:
// ETCD_CLIENT_CERT_AUTH for --client-cert-auth (etcd's flags.FlagToEnv).
func EnvName(prefix, name string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// shorthand reads a pflag shorthand group. The Kubernetes components
// define only -v (klog's verbosity, with a value: -v=2, -v2, -v 2) and -h.
func (a *Args) shorthand(args []string, i int) int {
	tok := args[i]
	switch {
	case tok == "-h" || strings.HasPrefix(tok, "-h"):
		a.problem("%s prints the help and exits", tok)
	case tok == "-v":
		if i+1 >= len(args) {
			a.problem("flag needs an argument: -v")
			return i
		}
		a.occ["v"] = append(a.occ["v"], Occurrence{Arg: i, ValueArg: i + 1, Value: args[i+1]})
		return i + 1
	case strings.HasPrefix(tok, "-v"):
		a.occ["v"] = append(a.occ["v"], Occurrence{Arg: i, ValueArg: i, Value: strings.TrimPrefix(tok[2:], "=")})
	default:
		a.problem("unknown shorthand flag in %s (long flags need two dashes)", tok)
	}
	return i
}

func (a *Args) problem(format string, args ...any) {
	if len(a.Problems) < 32 {
		a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
	}
}

// validate records values the component would refuse.
func (a *Args) validate(f *Flag, occ []Occurrence) {
	for _, o := range occ {
		if err := check(f.Kind, o.Value); err != nil {
			a.problem("invalid value for --%s: %v", f.Name, err)
		}
	}
}

func check(k Kind, v string) error {
	switch k {
	case Bool:
		_, err := strconv.ParseBool(v)
		return err
	case Int:
		_, err := strconv.ParseInt(v, 0, 64)
		return err
	case Duration:
		_, err := time.ParseDuration(v)
		return err
	case IP:
		// pflag's ip flag ignores an empty value (the previous one stays).
		if v != "" && net.ParseIP(strings.TrimSpace(v)) == nil {
			return fmt.Errorf("%q is not an IP address", v)
		}
	case StringSlice:
		_, err := readCSV(v)
		return err
	case MapStringBool, FeatureGates:
		_, err := gatePairs(k, v)
		return err
	}
	return nil
}

// readCSV reads one CSV record as pflag's stringSlice does.
func readCSV(v string) ([]string, error) {
	if v == "" {
		return []string{}, nil
	}
	if !strings.ContainsAny(v, "\"\r\n") {
		// Without quotes or line ends a record is its comma-separated
		// fields; this skips the CSV reader's 4 KiB buffer for the
		// common value.
		return strings.Split(v, ","), nil
	}
	r := csv.NewReader(strings.NewReader(v))
	rec, err := r.Read()
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// gatePairs reads feature-gate pairs of the "kube" component.
func gatePairs(k Kind, v string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, pair := range strings.Split(v, ",") {
		if pair == "" {
			continue
		}
		if k == FeatureGates {
			comp, rest, hasComp := strings.Cut(pair, ":")
			if hasComp {
				if c := strings.TrimSpace(comp); c != "" && c != "kube" {
					continue // a gate of another component
				}
				pair = rest
			}
		}
		key, val, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("malformed pair %q, expect key=bool", pair)
		}
		b, err := strconv.ParseBool(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("invalid value of %s: %s", strings.TrimSpace(key), strings.TrimSpace(val))
		}
		out[strings.TrimSpace(key)] = b
	}
	return out, nil
}

// Component returns the component the arguments were parsed for.
func (a *Args) Component() *Component { return a.comp }

// Has reports whether the flag was given (or came from the environment).
func (a *Args) Has(name string) bool { return len(a.occ[name]) > 0 }

// Last returns the flag's last occurrence.
func (a *Args) Last(name string) (Occurrence, bool) {
	occ := a.occ[name]
	if len(occ) == 0 {
		return Occurrence{}, false
	}
	return occ[len(occ)-1], true
}

// All returns every occurrence of the flag, in order.
func (a *Args) All(name string) []Occurrence { return a.occ[name] }

// Names returns the names of the flags given, in no particular order.
func (a *Args) Names() []string {
	out := make([]string, 0, len(a.occ))
	for n := range a.occ {
		out = append(out, n)
	}
	return out
}

// Value is a flag's effective value.
type Value struct {
	// Set is true when the flag was given; the value is then the one the
	// component reads, otherwise its default.
	Set bool
	// Last is the occurrence that decided the value (for lists and maps, the
	// last one that contributed).
	Last Occurrence
	Raw  string // scalar value as written (last occurrence or default)
	// List is the effective list of StringSlice, StringArray and CommaList
	// flags.
	List []string
	// Gates is the effective map of MapStringBool and FeatureGates flags.
	Gates map[string]bool
	// Valid is false when the component would refuse the value.
	Valid bool
}

// Get returns the effective value of a flag the component table knows.
// Flags outside the table return their last raw value.
func (a *Args) Get(name string) Value {
	f, known := a.comp.flags[name]
	occ := a.occ[name]
	v := Value{Valid: true}
	if len(occ) > 0 {
		v.Set, v.Last, v.Raw = true, occ[len(occ)-1], occ[len(occ)-1].Value
	} else if known {
		v.Raw = f.Default
	}
	if !known {
		return v
	}
	kind := f.Kind
	switch kind {
	case StringSlice, StringArray, CommaList:
		var vals []string
		if !v.Set {
			vals = []string{f.Default}
		} else {
			for _, o := range occ {
				vals = append(vals, o.Value)
			}
			if kind == CommaList {
				vals = vals[len(vals)-1:]
			}
		}
		for _, s := range vals {
			switch kind {
			case StringArray:
				if v.Set || s != "" {
					v.List = append(v.List, s)
				}
			case StringSlice:
				rec, err := readCSV(s)
				if err != nil {
					v.Valid = false
				}
				v.List = append(v.List, rec...)
			default:
				for _, p := range strings.Split(s, ",") {
					if p = strings.TrimSpace(p); p != "" {
						v.List = append(v.List, p)
					}
				}
			}
		}
	case MapStringBool, FeatureGates:
		v.Gates = map[string]bool{}
		vals := []string{f.Default}
		if v.Set {
			vals = vals[:0]
			for _, o := range occ {
				vals = append(vals, o.Value)
			}
		}
		for _, s := range vals {
			m, err := gatePairs(kind, s)
			if err != nil {
				v.Valid = false
			}
			for k, b := range m {
				v.Gates[k] = b
			}
		}
	case IP:
		v.Raw = f.Default
		for _, o := range occ {
			if o.Value != "" {
				v.Raw, v.Last = o.Value, o
			}
		}
		v.Valid = check(kind, v.Raw) == nil
	default:
		if check(kind, v.Raw) != nil {
			v.Valid = false
		}
	}
	return v
}

// Bool returns the effective value of a Bool flag; ok is false when the
// value is not a boolean (the component would not start).
func (a *Args) Bool(name string) (val bool, v Value, ok bool) {
	v = a.Get(name)
	b, err := strconv.ParseBool(v.Raw)
	return b, v, err == nil
}

// Int returns the effective value of an Int flag.
func (a *Args) Int(name string) (val int64, v Value, ok bool) {
	v = a.Get(name)
	n, err := strconv.ParseInt(v.Raw, 0, 64)
	return n, v, err == nil
}

// Duration returns the effective value of a Duration flag.
func (a *Args) Duration(name string) (val time.Duration, v Value, ok bool) {
	v = a.Get(name)
	d, err := time.ParseDuration(v.Raw)
	return d, v, err == nil
}

// Gate returns whether a feature gate is set explicitly on the gates flag
// (default "feature-gates"), and its value.
func (a *Args) Gate(flag, gate string) (val, set bool, v Value) {
	v = a.Get(flag)
	val, set = v.Gates[gate]
	return val, set, v
}
