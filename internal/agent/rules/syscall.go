package rules

import (
	"strconv"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// environPID is the pid of /proc/<pid>/environ, or "".
func environPID(p string) string {
	const pre, post = "/proc/", "/environ"
	if len(p) <= len(pre)+len(post) || p[:len(pre)] != pre || p[len(p)-len(post):] != post {
		return ""
	}
	pid := p[len(pre) : len(p)-len(post)]
	if _, err := strconv.ParseUint(pid, 10, 32); err != nil {
		return ""
	}
	return pid
}

func succeeded(e *event.Event) bool { return e.Kind == event.Syscall && e.Ret >= 0 }

// setuidRoot reads set*uid syscall events: the user ids before and after.
// It fires when a process that was not root becomes root (effective or
// real uid 0): a setuid binary or an exploit. A root process dropping to
// an unprivileged user does not fire.
func setuidRoot() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "privilege-escalation-setuid", Title: "Process became root in a container", Severity: check.High,
			MITRE: []detect.Technique{tSetuid},
			Fires: "a successful setuid, setreuid or setresuid takes a process from a non-zero uid to uid or euid 0",
			Reads: []string{"syscall.name", "syscall.result", "process.uid", "process.euid"},
			Fix:   "run with allowPrivilegeEscalation: false (no_new_privs: setuid binaries stop working) and runAsNonRoot: true",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if !succeeded(e) || (e.Op != event.OpSetuid && e.Op != event.OpSetreuid && e.Op != event.OpSetresuid) {
				return nil
			}
			if e.OldEUID == 0 || (e.EUID != 0 && e.UID != 0) {
				return nil
			}
			return hit(e.Comm+" went from uid "+itoa(e.OldUID)+" (euid "+itoa(e.OldEUID)+") to uid "+itoa(e.UID)+" (euid "+itoa(e.EUID)+") with "+e.Op.SyscallName(),
				"syscall", e.Op.SyscallName())
		},
	}
}

// namespaceChange reads setns and unshare events: the result. It fires
// on a process in a container entering another namespace or creating new
// ones: the first step of most container escapes (nsenter into the host's
// namespaces), and never part of an application's normal work.
func namespaceChange() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "namespace-change", Title: "Namespace change in a container", Severity: check.High,
			MITRE: []detect.Technique{tEscapeToHost},
			Fires: "setns or unshare succeeds in a container",
			Reads: []string{"syscall.name", "syscall.result"},
			Fix:   "drop CAP_SYS_ADMIN, do not share the host's PID namespace (hostPID), keep the RuntimeDefault seccomp profile (it blocks both calls)",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if !succeeded(e) || (e.Op != event.OpSetns && e.Op != event.OpUnshare) {
				return nil
			}
			flags := e.Arg[0] // unshare(flags); setns(fd, nstype)
			if e.Op == event.OpSetns {
				flags = e.Arg[1]
			}
			return hit(e.Comm+" called "+e.Op.SyscallName()+" (flags 0x"+strconv.FormatUint(flags, 16)+")",
				"syscall", e.Op.SyscallName())
		},
	}
}

// mountInContainer reads mount events: the result, source and target. It
// fires on a successful mount in a container: with CAP_SYS_ADMIN a
// container can mount the host's disk or cgroup filesystem and escape.
func mountInContainer() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "mount-in-container", Title: "Mount in a container", Severity: check.High,
			MITRE: []detect.Technique{tEscapeToHost},
			Fires: "mount succeeds in a container",
			Reads: []string{"syscall.name", "syscall.result", "mount.source", "mount.target"},
			Fix:   "do not run privileged containers or grant CAP_SYS_ADMIN; keep the RuntimeDefault seccomp profile",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if !succeeded(e) || e.Op != event.OpMount {
				return nil
			}
			return hit(e.Comm+" mounted "+e.Path+" on "+e.Str2, "source", e.Path, "target", e.Str2)
		},
	}
}

// ptrace requests that attach to or write into another process.
const (
	ptracePokeText  = 4
	ptracePokeData  = 5
	ptraceReqAttach = 16
	ptraceSeize     = 0x4206
)

// ptraceAttach reads ptrace events: the request and the result. It fires
// on a successful PTRACE_ATTACH, PTRACE_SEIZE, POKETEXT or POKEDATA:
// injecting code into, or reading secrets from, another process.
// PTRACE_TRACEME (a debugger's child) does not fire.
func ptraceAttach() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "ptrace-attach", Title: "Process attached to another with ptrace", Severity: check.High,
			MITRE: []detect.Technique{tPtrace},
			Fires: "ptrace ATTACH, SEIZE, POKETEXT or POKEDATA succeeds in a container",
			Reads: []string{"syscall.name", "syscall.result", "ptrace.request", "ptrace.pid"},
			Fix:   "drop CAP_SYS_PTRACE, do not share process namespaces (shareProcessNamespace, hostPID), keep the RuntimeDefault seccomp profile",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if !succeeded(e) || e.Op != event.OpPtrace {
				return nil
			}
			switch e.Arg[0] {
			case ptraceReqAttach, ptraceSeize, ptracePokeText, ptracePokeData:
			default:
				return nil
			}
			return hit(e.Comm+" ptrace request "+strconv.FormatUint(e.Arg[0], 10)+" on pid "+strconv.FormatUint(e.Arg[1], 10),
				"request", strconv.FormatUint(e.Arg[0], 10), "target", strconv.FormatUint(e.Arg[1], 10))
		},
	}
}

// moduleLoad reads init_module and finit_module events. It fires on any
// attempt from a container, successful or not: a container has no
// business loading kernel code.
func moduleLoad() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "kernel-module-load", Title: "Kernel module load from a container", Severity: check.Critical,
			MITRE: []detect.Technique{tKernelModules, tEscapeToHost},
			Fires: "init_module or finit_module is called in a container",
			Reads: []string{"syscall.name", "syscall.result"},
			Fix:   "never grant CAP_SYS_MODULE or run privileged; investigate the pod",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.Syscall || (e.Op != event.OpInitModule && e.Op != event.OpFinitModule) {
				return nil
			}
			return hit(e.Comm+" called "+e.Op.SyscallName()+" (result "+strconv.FormatInt(e.Ret, 10)+")", "syscall", e.Op.SyscallName())
		},
	}
}

// metadataConnect reads connection events: the peer. It fires on a
// connection from a container to a cloud metadata endpoint
// (169.254.169.254 and MetadataAddresses): the node's cloud credentials
// are one request away. Other link-local peers do not fire.
func metadataConnect() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "metadata-service-connect", Title: "Connection to the cloud metadata service", Severity: check.High,
			MITRE: []detect.Technique{tMetadataAPI},
			Fires: "a container connects to 169.254.169.254 or another configured metadata address",
			Reads: []string{"connect.peer", "connect.direction"},
			Fix:   "block the metadata address with a NetworkPolicy egress rule (except for pods that need it); use workload identity and IMDSv2 with a hop limit of 1",
		},
		Eval: func(e *event.Event, _ *Proc, o *Options) *detect.Hit {
			if e.Kind != event.Connect || e.Inbound() || e.Op == event.ConnEstablished {
				return nil
			}
			for _, p := range o.MetadataAddresses {
				if p.Contains(e.Remote) {
					return hit("connection to the metadata service "+e.Peer().String(), "peer", e.Peer().String())
				}
			}
			return nil
		},
	}
}
