// Package event is what the node agent observes: one process, file or
// network event from the kernel, attributed to its pod. Its kinds and
// operations mirror the enums of internal/agent/bpf/c/kubeward.bpf.c.
package event

import (
	"net/netip"
	"strconv"
	"time"
)

// Kind is what happened.
type Kind uint32

// The kinds (KIND_ in the C source).
const (
	Exec       Kind = 1
	Exit       Kind = 2
	Open       Kind = 3
	Syscall    Kind = 4
	Connect    Kind = 5
	ExecDenied Kind = 6
	// KindMax bounds the kinds (the drops map's size).
	KindMax = 7
)

var kindNames = [KindMax]string{"", "exec", "exit", "open", "syscall", "connect", "exec-denied"}

func (k Kind) String() string {
	if k < KindMax && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind-" + strconv.Itoa(int(k))
}

// Op is the syscall of a Syscall event (OP_ in the C source) or the stage
// of a Connect event.
type Op uint32

// Syscall operations.
const (
	OpSetuid Op = iota + 1
	OpSetreuid
	OpSetresuid
	OpSetgid
	OpSetregid
	OpSetresgid
	OpCapset
	OpSetns
	OpUnshare
	OpMount
	OpPtrace
	OpInitModule
	OpFinitModule
)

var opNames = []string{"", "setuid", "setreuid", "setresuid", "setgid", "setregid", "setresgid", "capset",
	"setns", "unshare", "mount", "ptrace", "init_module", "finit_module"}

// SyscallName is the name of a Syscall event's op.
func (o Op) SyscallName() string {
	if int(o) < len(opNames) && o > 0 {
		return opNames[o]
	}
	return "op-" + strconv.Itoa(int(o))
}

// Connection stages.
const (
	ConnAttempt     Op = 1 // TCP SYN sent
	ConnEstablished Op = 2 // TCP handshake completed
	ConnDatagram    Op = 3 // UDP connect, send or receive
)

// Flags qualify an event (F_ in the C source).
type Flags uint32

const (
	FlagTTY          Flags = 1 << 0 // exec: a controlling terminal
	FlagStdinInet    Flags = 1 << 1 // exec: standard input is a network socket
	FlagStdoutInet   Flags = 1 << 2 // exec: standard output is a network socket
	FlagArgsCut      Flags = 1 << 3 // exec: arguments longer than the kernel side keeps
	FlagWrite        Flags = 1 << 4 // open: for writing
	FlagInbound      Flags = 1 << 5 // connect: the peer opened it
	FlagEnforced     Flags = 1 << 6 // exec denied: denied (else dry run)
	FlagProcessKnown Flags = 1 << 7 // pid, comm and credentials are the process's own
)

// Class is what a sensitive path is (the agent's path table gives each
// prefix a class; the kernel reports the class it matched).
type Class uint32

const (
	ClassServiceAccountToken Class = iota + 1
	ClassShadow                    // /etc/shadow, sudoers, PAM: credentials of the image's users
	ClassKubeletCredentials        // the kubelet's and the control plane's keys and kubeconfigs
	ClassProcEnviron               // /proc/<pid>/environ: other processes' secrets
	ClassBinaryDir                 // binary and library directories (writes)
	ClassEtc                       // /etc (writes)
	ClassContainerRuntime          // container runtime sockets
	ClassSSH                       // SSH keys and configuration
)

var classNames = []string{"", "service-account-token", "shadow", "kubelet-credentials", "proc-environ",
	"binary-dir", "etc", "container-runtime", "ssh"}

func (c Class) String() string {
	if int(c) < len(classNames) && c > 0 {
		return classNames[c]
	}
	return "class-" + strconv.Itoa(int(c))
}

// Event is one observation. Strings are bounded by the kernel side.
type Event struct {
	Time           time.Time
	Kind           Kind
	Op             Op
	Flags          Flags
	Cgroup         uint64 // cgroup v2 id
	PID, TID, PPID uint32
	UID, EUID      uint32
	// OldUID and OldEUID are the credentials before a Syscall event.
	OldUID, OldEUID uint32
	MntNS, NetNS    uint32
	Comm            string
	// Ret is the syscall's result, the exit status, or an open's Class.
	Ret int64
	// Arg: exec: [0] effective capabilities. syscall: its first four
	// arguments (capset: [2] effective, [3] permitted as asked).
	Arg [4]uint64
	// Path: the executable (exec), the file (open, exec denied), the
	// first string argument (syscall: mount's source, a module's
	// parameters).
	Path string
	// Str2: the second string argument (mount's target).
	Str2 string
	// Args are the exec's arguments as the process set them, unredacted:
	// redact before they leave the agent.
	Args []string

	Proto uint16 // 6 TCP, 17 UDP
	// Local and Remote are the two ends of a connection (Remote is the
	// peer, whichever side opened it).
	Local, Remote         netip.Addr
	LocalPort, RemotePort uint16

	// Attribution, filled by the agent.
	Pod *Pod
}

// Pod is who an event belongs to.
type Pod struct {
	Node, Namespace, Name, UID string
	Container, ContainerID     string
	Image, ImageID             string
	// Workload is the pod's top controller as kind/name (a Deployment
	// through its ReplicaSet), or the pod itself.
	Workload string
	Labels   map[string]string
	// ServiceAccount is the pod's service account name.
	ServiceAccount string
}

// Class of an open event.
func (e *Event) Class() Class { return Class(e.Ret) }

// Inbound reports whether the peer opened the connection.
func (e *Event) Inbound() bool { return e.Flags&FlagInbound != 0 }

// Peer is the remote end of a connection.
func (e *Event) Peer() netip.AddrPort { return netip.AddrPortFrom(e.Remote, e.RemotePort) }
