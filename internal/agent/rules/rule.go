// Package rules is the node agent's detection: rules over the kernel
// events of containers (internal/agent/event), with the audit rules'
// metadata (MITRE ATT&CK techniques), alerts (detect.Alert, so the audit
// sinks, rate limiting and quarantine apply unchanged) and suppressions
// with a reason and an expiry.
//
// Each rule's doc comment names the event fields it reads and what makes
// it fire; each has a behaviour it fires on and a benign twin it must not
// fire on, both exercised in the package's tests with the real programs.
package rules

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

// Rule is one detection over one event of a container. A rule without
// Eval is judged by a stateful detector (NetworkPolicy intent, baselines)
// that reports through Engine.Emit, so exceptions, severities and
// disabling apply to it alike.
type Rule struct {
	detect.Meta
	Eval func(e *event.Event, p *Proc, o *Options) *detect.Hit
}

// Proc is what the engine remembers of a process from its exec.
type Proc struct {
	Exe  string
	Args []string
}

// Rules returns the catalogue, in a stable order.
func Rules() []Rule {
	return []Rule{
		terminalShell(),
		reverseShell(),
		packageManager(),
		compiler(),
		networkTool(),
		sensitiveFileRead(),
		tokenRead(),
		procEnvironRead(),
		writeBinaryDir(),
		setuidRoot(),
		namespaceChange(),
		mountInContainer(),
		ptraceAttach(),
		moduleLoad(),
		metadataConnect(),
		execDenied(),
		networkPolicyNotEnforced(),
		novelExec(),
		novelFileWrite(),
		novelPeer(),
	}
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Options tune the rules.
type Options struct {
	// Disabled rules do not run.
	Disabled []string
	// Severity overrides rules' severities.
	Severity map[string]check.Severity
	// Exceptions silence a rule for some workloads.
	Exceptions []Exception
	// SensitiveReaders are executables (paths or base names, globs) that
	// may read sensitive files and tokens (sensitive-file-read,
	// service-account-token-read).
	SensitiveReaders detect.Patterns
	// MetadataAddresses are the cloud metadata endpoints
	// (metadata-service-connect).
	MetadataAddresses []netip.Prefix
}

// DefaultOptions are the options without configuration.
func DefaultOptions() Options {
	return Options{MetadataAddresses: []netip.Prefix{
		netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure, OpenStack
		netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS over IPv6
		netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
		netip.MustParsePrefix("169.254.170.2/32"),   // ECS task credentials
	}}
}

// Exception silences a rule where every field that is set matches, until
// Expires (zero: no expiry). A reason is required.
type Exception struct {
	Rule        string
	Namespaces  detect.Patterns
	Workloads   detect.Patterns // kind/name, as alerts name them
	Images      detect.Patterns
	Executables detect.Patterns // paths or base names
	Reason      string
	Expires     time.Time
}

// Validate checks the options against the catalogue.
func (o *Options) Validate() error {
	for _, id := range o.Disabled {
		if _, ok := Lookup(id); !ok {
			return fmt.Errorf("disabled rule %q does not exist", id)
		}
	}
	for id, s := range o.Severity {
		if _, ok := Lookup(id); !ok {
			return fmt.Errorf("severity for rule %q, which does not exist", id)
		}
		if s <= check.SeverityUnknown || s > check.Critical {
			return fmt.Errorf("rule %s: invalid severity", id)
		}
	}
	for i, x := range o.Exceptions {
		if _, ok := Lookup(x.Rule); !ok {
			return fmt.Errorf("exception %d: rule %q does not exist", i+1, x.Rule)
		}
		if strings.TrimSpace(x.Reason) == "" {
			return fmt.Errorf("exception %d (rule %s): a reason is required", i+1, x.Rule)
		}
		if len(x.Namespaces)+len(x.Workloads)+len(x.Images)+len(x.Executables) == 0 {
			return fmt.Errorf("exception %d (rule %s): name namespaces, workloads, images or executables; an exception for everything is disabling the rule", i+1, x.Rule)
		}
	}
	return nil
}

func (x *Exception) matches(e *event.Event, p *Proc, now time.Time) bool {
	if !x.Expires.IsZero() && !now.Before(x.Expires) {
		return false
	}
	pod := e.Pod
	if len(x.Namespaces) > 0 && !x.Namespaces.Match(pod.Namespace) {
		return false
	}
	if len(x.Workloads) > 0 && !x.Workloads.Match(pod.Workload) {
		return false
	}
	if len(x.Images) > 0 && !x.Images.Match(pod.Image) {
		return false
	}
	if len(x.Executables) > 0 && !matchExe(x.Executables, exe(e, p)) {
		return false
	}
	return true
}

// matchExe matches an executable by path or base name.
func matchExe(p detect.Patterns, exe string) bool {
	return exe != "" && (p.Match(exe) || p.Match(path.Base(exe)))
}

// exe is the executable of the event's process: the exec's path, what the
// engine remembers, or the command name.
func exe(e *event.Event, p *Proc) string {
	if e.Kind == event.Exec {
		return e.Path
	}
	if p != nil {
		return p.Exe
	}
	return e.Comm
}

// Engine runs the enabled rules over one node's events. It is not safe
// for concurrent use.
type Engine struct {
	opts  Options
	rules []active
	procs map[uint32]*Proc
	// Excepted counts hits silenced by exceptions, by rule.
	Excepted map[string]uint64
}

type active struct {
	detect.Meta
	eval   func(e *event.Event, p *Proc, o *Options) *detect.Hit
	except []Exception
}

// maxProcs bounds the process table (exits remove entries; a missed exit
// is forgotten when the table is full).
const maxProcs = 1 << 16

// NewEngine validates the options and builds an engine.
func NewEngine(o Options) (*Engine, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{opts: o, procs: map[uint32]*Proc{}, Excepted: map[string]uint64{}}
	for _, r := range Rules() {
		if slices.Contains(o.Disabled, r.ID) {
			continue
		}
		a := active{Meta: r.Meta, eval: r.Eval}
		if s, ok := o.Severity[r.ID]; ok {
			a.Severity = s
		}
		for _, x := range o.Exceptions {
			if x.Rule == r.ID {
				a.except = append(a.except, x)
			}
		}
		e.rules = append(e.rules, a)
	}
	return e, nil
}

// Enabled lists the ids of the rules the engine runs.
func (e *Engine) Enabled() []string {
	ids := make([]string, len(e.rules))
	for i := range e.rules {
		ids[i] = e.rules[i].ID
	}
	return ids
}

// Process evaluates one attributed event and appends its alerts to dst.
// Events of processes outside containers (Pod nil) only feed the process
// table.
func (e *Engine) Process(ev *event.Event, dst []detect.Alert) []detect.Alert {
	switch ev.Kind {
	case event.Exec:
		if len(e.procs) >= maxProcs {
			clear(e.procs)
		}
		e.procs[ev.PID] = &Proc{Exe: ev.Path, Args: ev.Args}
	case event.Exit:
		defer delete(e.procs, ev.PID)
	}
	if ev.Pod == nil {
		return dst
	}
	p := e.procs[ev.PID]
	for i := range e.rules {
		r := &e.rules[i]
		if r.eval == nil {
			continue
		}
		dst = e.emit(r, r.eval(ev, p, &e.opts), ev, p, dst)
	}
	return dst
}

func (e *Engine) emit(r *active, h *detect.Hit, ev *event.Event, p *Proc, dst []detect.Alert) []detect.Alert {
	if h == nil {
		return dst
	}
	if r.excepted(ev, p) {
		e.Excepted[r.ID]++
		return dst
	}
	return append(dst, NewAlert(&r.Meta, h, ev, p))
}

// Emit reports a stateful detector's hit on ev for the rule id, unless
// the rule is disabled or excepted for ev.
func (e *Engine) Emit(id string, h *detect.Hit, ev *event.Event, dst []detect.Alert) []detect.Alert {
	for i := range e.rules {
		if e.rules[i].ID == id {
			return e.emit(&e.rules[i], h, ev, e.procs[ev.PID], dst)
		}
	}
	return dst
}

// Proc returns what the engine remembers of a process.
func (e *Engine) Proc(pid uint32) *Proc { return e.procs[pid] }

func (r *active) excepted(e *event.Event, p *Proc) bool {
	for i := range r.except {
		if r.except[i].matches(e, p, e.Time) {
			return true
		}
	}
	return false
}

// NewAlert builds the alert of a hit: the pod as the alert's object, the
// process with its command line redacted.
func NewAlert(m *detect.Meta, h *detect.Hit, e *event.Event, p *Proc) detect.Alert {
	a := detect.Alert{
		Time: e.Time, Rule: m.ID, Title: m.Title, Severity: m.Severity, MITRE: m.MITRE,
		Message: h.Message, Details: h.Details, Fix: m.Fix, Count: 1,
	}
	if h.Severity != check.SeverityUnknown {
		a.Severity = h.Severity
	}
	pr := &detect.Process{PID: e.PID, PPID: e.PPID, UID: e.UID, Comm: e.Comm, Executable: exe(e, p)}
	if e.Kind == event.Exec {
		pr.Args = detect.RedactCommand(e.Args)
	} else if p != nil {
		pr.Args = detect.RedactCommand(p.Args)
	}
	if pod := e.Pod; pod != nil {
		a.Node, a.Workload = pod.Node, pod.Workload
		pr.Container, pr.ContainerID, pr.Image, pr.ImageID = pod.Container, pod.ContainerID, pod.Image, pod.ImageID
		if pod.Name != "" {
			a.Object = &detect.Object{Resource: "pods", Namespace: pod.Namespace, Name: pod.Name}
		}
		if a.Workload == "" {
			a.Workload = "container/" + pod.ContainerID
		}
	}
	if e.Kind == event.Connect || e.Kind == event.Exit {
		pr.PID = 0
		if e.Flags&event.FlagProcessKnown != 0 {
			pr.PID = e.PID
		}
	}
	a.Process = pr
	return a
}

// hit builds a Hit from a message and key/value details (empty values
// dropped).
func hit(msg string, kv ...string) *detect.Hit {
	h := &detect.Hit{Message: msg}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if h.Details == nil {
			h.Details = map[string]string{}
		}
		h.Details[kv[i]] = kv[i+1]
	}
	return h
}

// Observe is Process, for the agent's detector chain.
func (e *Engine) Observe(ev *event.Event, dst []detect.Alert) []detect.Alert {
	return e.Process(ev, dst)
}
