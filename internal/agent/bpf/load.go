// Package bpf loads kubeward's eBPF programs (c/kubeward.bpf.c, compiled by
// bpf2go and committed) into the running kernel, attaches them, and reads
// their events from one ring buffer. It knows the kernel side only: what
// the events mean is package event's business.
package bpf

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"github.com/kubeward/kubeward/internal/agent/event"
)

// Options configure Load.
type Options struct {
	// RingSize is the ring buffer's size in bytes: a power of two and a
	// multiple of the page size (default 8 MiB). Events that do not fit
	// are counted in Drops.
	RingSize int
	// UDPPeriod is how often one UDP flow (cgroup, peer, ports,
	// direction) is reported again (default 10s).
	UDPPeriod time.Duration
	// ExecGuard attaches the BPF LSM exec allowlist (bprm_check_security).
	// It judges only the cgroups given to Guard.
	ExecGuard bool
	// CgroupRoot is the cgroup v2 mount the UDP hooks attach to (default:
	// found in /proc/self/mountinfo).
	CgroupRoot string
}

// Probes are the loaded programs, their links and the ring buffer reader.
type Probes struct {
	coll  *ebpf.Collection
	maps  kubewardMaps
	links []link.Link
	rd    *ringbuf.Reader
	// Missing lists the events the kernel cannot deliver (a program it
	// refused to attach), with why. The agent reports them: a blind spot
	// is never silent.
	Missing []string
}

// Supported reports why the running kernel cannot load the programs, or
// nil: BTF, and the bpf syscall with the privileges it needs.
func Supported() error {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return fmt.Errorf("the kernel has no BTF (/sys/kernel/btf/vmlinux): %w", err)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return fmt.Errorf("bpf: %w", err)
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		return fmt.Errorf("bpf syscall refused (CAP_BPF and CAP_PERFMON needed): %w", err)
	}
	return m.Close()
}

// Load loads and attaches the programs.
func Load(o Options) (_ *Probes, err error) {
	if o.RingSize == 0 {
		o.RingSize = 8 << 20
	}
	if o.RingSize&(o.RingSize-1) != 0 || o.RingSize < os.Getpagesize() {
		return nil, fmt.Errorf("ring buffer size %d: a power of two of at least a page", o.RingSize)
	}
	if o.UDPPeriod == 0 {
		o.UDPPeriod = 10 * time.Second
	}
	if o.CgroupRoot == "" {
		if o.CgroupRoot, err = CgroupRoot(); err != nil {
			return nil, err
		}
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("bpf: %w", err)
	}
	spec, err := loadKubeward()
	if err != nil {
		return nil, fmt.Errorf("bpf: %w", err)
	}
	spec.Maps["events"].MaxEntries = uint32(o.RingSize)
	if err := spec.Variables["udp_period_ns"].Set(uint64(o.UDPPeriod)); err != nil {
		return nil, fmt.Errorf("bpf: %w", err)
	}
	if err := spec.Variables["wakeup_bytes"].Set(uint64(o.RingSize / 16)); err != nil {
		return nil, fmt.Errorf("bpf: %w", err)
	}
	if !o.ExecGuard {
		delete(spec.Programs, "exec_guard")
	}
	p := &Probes{}
	if p.coll, err = ebpf.NewCollection(spec); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("bpf: loading the programs: %+v", ve)
		}
		return nil, fmt.Errorf("bpf: loading the programs: %w", err)
	}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if err := p.coll.Assign(&p.maps); err != nil {
		return nil, fmt.Errorf("bpf: %w", err)
	}
	if err := p.attach(o); err != nil {
		return nil, err
	}
	if p.rd, err = ringbuf.NewReader(p.maps.Events); err != nil {
		return nil, fmt.Errorf("bpf: ring buffer: %w", err)
	}
	p.rd.SetDeadline(time.Now().Add(pollEvery))
	return p, nil
}

func (p *Probes) attach(o Options) error {
	pr := p.coll.Programs
	must := func(what string, l link.Link, err error) error {
		if err != nil {
			return fmt.Errorf("bpf: attaching %s: %w", what, err)
		}
		p.links = append(p.links, l)
		return nil
	}
	for _, t := range []struct {
		name string
		prog *ebpf.Program
	}{{"exec", pr["on_exec"]}, {"exit", pr["on_exit"]}, {"tcp state", pr["on_tcp_state"]}} {
		l, err := link.AttachTracing(link.TracingOptions{Program: t.prog})
		if err := must(t.name, l, err); err != nil {
			return err
		}
	}
	tracefs := "/sys/kernel/tracing"
	if _, err := os.Stat(filepath.Join(tracefs, "events/syscalls/sys_exit_openat")); err != nil {
		return fmt.Errorf("bpf: no syscall tracepoints: mount tracefs on %s (mount -t tracefs nodev %[1]s): %w", tracefs, err)
	}
	// open and creat exist on x86 only; openat and openat2 everywhere.
	for _, name := range []string{"openat", "openat2", "open", "creat"} {
		if _, err := os.Stat(filepath.Join(tracefs, "events/syscalls/sys_exit_"+name)); err != nil {
			continue
		}
		l, err := link.Tracepoint("syscalls", "sys_exit_"+name, pr["exit_"+name], nil)
		if err := must("sys_exit_"+name, l, err); err != nil {
			return err
		}
	}
	// A syscall the kernel lacks (init_module without CONFIG_MODULES) has
	// no tracepoint: a blind spot, reported, for what cannot happen anyway.
	for _, name := range []string{"setuid", "setreuid", "setresuid", "setgid", "setregid", "setresgid",
		"capset", "setns", "unshare", "mount", "ptrace", "init_module", "finit_module"} {
		if _, err := os.Stat(filepath.Join(tracefs, "events/syscalls/sys_exit_"+name)); err != nil {
			p.Missing = append(p.Missing, name+": the kernel has no tracepoint for it")
			continue
		}
		// The exit first: an entry without its exit would fill pending.
		l, err := link.Tracepoint("syscalls", "sys_exit_"+name, pr["exit_"+name], nil)
		if err := must("sys_exit_"+name, l, err); err != nil {
			return err
		}
		l, err = link.Tracepoint("syscalls", "sys_enter_"+name, pr["enter_"+name], nil)
		if err := must("sys_enter_"+name, l, err); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		at   ebpf.AttachType
		prog *ebpf.Program
	}{
		{ebpf.AttachCGroupInet4Connect, pr["udp_connect4"]}, {ebpf.AttachCGroupInet6Connect, pr["udp_connect6"]},
		{ebpf.AttachCGroupUDP4Sendmsg, pr["udp_sendmsg4"]}, {ebpf.AttachCGroupUDP6Sendmsg, pr["udp_sendmsg6"]},
		{ebpf.AttachCGroupUDP4Recvmsg, pr["udp_recvmsg4"]}, {ebpf.AttachCGroupUDP6Recvmsg, pr["udp_recvmsg6"]},
	} {
		l, err := link.AttachCgroup(link.CgroupOptions{Path: o.CgroupRoot, Attach: c.at, Program: c.prog})
		if err := must("UDP hook "+c.at.String()+" on "+o.CgroupRoot, l, err); err != nil {
			return err
		}
	}
	if o.ExecGuard {
		l, err := link.AttachLSM(link.LSMOptions{Program: pr["exec_guard"]})
		if err := must("BPF LSM exec guard (is bpf in the lsm= boot list?)", l, err); err != nil {
			return err
		}
	}
	return nil
}

// CgroupRoot finds the cgroup v2 mount: /sys/fs/cgroup on a unified host,
// /sys/fs/cgroup/unified on a hybrid one.
func CgroupRoot() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("finding the cgroup v2 mount: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options... - fstype source
		fields := strings.Fields(sc.Text())
		for i, w := range fields {
			if w == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("finding the cgroup v2 mount: %w", err)
	}
	return "", errors.New("no cgroup v2 hierarchy is mounted")
}

// pollEvery is how often Read looks for events the kernel did not wake it
// for: it wakes the reader only each sixteenth of the ring filled (see
// submit in c/kubeward.bpf.c), so at low rates an event waits at most this
// long.
const pollEvery = 50 * time.Millisecond

// Read blocks until the next event and returns its bytes, valid until the
// next call. It returns ErrClosed once Close was called. It is called from
// one goroutine.
func (p *Probes) Read(rec *ringbuf.Record) error {
	for {
		err := p.rd.ReadInto(rec)
		if err == nil {
			return nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The ring was drained up to the poll's deadline: wait
			// until the next.
			p.rd.SetDeadline(time.Now().Add(pollEvery))
			continue
		}
		if errors.Is(err, os.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("bpf: reading events: %w", err)
	}
}

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("bpf: probes closed")

// Drops returns the events lost because the ring buffer was full, by kind
// (the KIND_ values), summed over CPUs.
func (p *Probes) Drops() ([event.KindMax]uint64, error) {
	var out [event.KindMax]uint64
	for k := uint32(1); k < event.KindMax; k++ {
		var per []uint64
		if err := p.maps.Drops.Lookup(k, &per); err != nil {
			return out, fmt.Errorf("bpf: reading drops: %w", err)
		}
		for _, n := range per {
			out[k] += n
		}
	}
	return out, nil
}

// Close detaches the programs and frees them.
func (p *Probes) Close() error {
	var errs []error
	if p.rd != nil {
		errs = append(errs, p.rd.Close())
	}
	for _, l := range p.links {
		errs = append(errs, l.Close())
	}
	if p.coll != nil {
		p.coll.Close()
	}
	errs = append(errs, p.maps.Close())
	return errors.Join(errs...)
}
