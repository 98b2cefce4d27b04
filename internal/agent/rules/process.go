package rules

import (
	"path"
	"strings"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

var shells = set("sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "busybox")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// base is an exec's program name: the executable's base name (the
// command name is cut at 15 bytes and set by the process).
func base(e *event.Event) string { return path.Base(e.Path) }

// terminalShell reads exec events: the executable and whether the process
// has a controlling terminal. It fires on a shell started with a terminal
// (kubectl exec -it, docker exec -it): a person typing in a container.
// Shells running scripts have no terminal and do not fire.
func terminalShell() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "terminal-shell-in-container", Title: "Interactive shell in a container", Severity: check.Medium,
			MITRE: []detect.Technique{tUnixShell, tContainerAdmin},
			Fires: "a shell (sh, bash, ash, dash, zsh, ksh, fish, csh, busybox) starts with a controlling terminal in a container",
			Reads: []string{"exec.executable", "exec.tty"},
			Fix:   "find who opened the session (audit: pods/exec); debug with ephemeral containers under RBAC, not shells in production pods",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.Exec || e.Flags&event.FlagTTY == 0 || !shells[base(e)] {
				return nil
			}
			return hit("interactive shell "+e.Path+" started in container "+containerName(e), "executable", e.Path)
		},
	}
}

// reverseShell reads exec events: the executable and whether standard
// input or output is a TCP/UDP socket. It fires on a shell whose input or
// output is a network connection: the shape of a reverse shell (bash -i
// >& /dev/tcp/host/port, nc -e /bin/sh). A shell reading a pipe or a file
// does not fire.
func reverseShell() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "reverse-shell", Title: "Shell with its input or output on a network connection", Severity: check.Critical,
			MITRE: []detect.Technique{tUnixShell, tNonAppPort},
			Fires: "a shell starts with standard input or output redirected to a network socket",
			Reads: []string{"exec.executable", "exec.stdin", "exec.stdout", "exec.peer"},
			Fix:   "quarantine the pod, find how the command was injected (the parent process, the application's logs) and rotate its credentials",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.Exec || e.Flags&(event.FlagStdinInet|event.FlagStdoutInet) == 0 || !shells[base(e)] {
				return nil
			}
			peer := ""
			if e.Remote.IsValid() {
				peer = e.Peer().String()
			}
			return hit("shell "+e.Path+" runs with its standard input or output on a network socket"+suffix(" to ", peer),
				"executable", e.Path, "peer", peer)
		},
	}
}

func suffix(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

var packageManagers = set("apt", "apt-get", "aptitude", "dpkg", "yum", "dnf", "microdnf", "rpm", "zypper", "apk",
	"pacman", "tdnf", "pip", "pip3", "npm", "yarn", "pnpm", "gem", "easy_install", "conda", "snap")

// packageManager reads exec events: the executable. It fires on a package
// manager run in a container: containers are immutable, so installing
// software at run time is drift (or an attacker fetching tools).
func packageManager() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "package-manager-in-container", Title: "Package manager run in a container", Severity: check.Medium,
			MITRE: []detect.Technique{tIngressTool},
			Fires: "apt, dpkg, yum, dnf, rpm, apk, zypper, pip, npm, gem and other package managers start in a container",
			Reads: []string{"exec.executable"},
			Fix:   "install packages when the image is built; run the image read-only (readOnlyRootFilesystem) so drift fails",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.Exec || !packageManagers[base(e)] {
				return nil
			}
			return hit("package manager "+e.Path+" run in container "+containerName(e), "executable", e.Path)
		},
	}
}

var compilers = set("gcc", "cc", "c++", "g++", "clang", "clang++", "tcc", "rustc", "cargo", "javac", "as", "ld", "ld.bfd", "ld.gold", "go")

// goBuilds are the go subcommands that compile.
var goBuilds = set("build", "run", "install", "test", "tool")

// compiler reads exec events: the executable (and go's subcommand). It
// fires on a compiler or linker run in a container: code built after
// delivery, outside the image's supply chain. `go version` and `go env`
// do not fire; `go build` and `go run` do.
func compiler() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "compiler-in-container", Title: "Compiler run in a container", Severity: check.Medium,
			MITRE: []detect.Technique{tCompileDelivery},
			Fires: "gcc, cc, clang, tcc, rustc, cargo, javac, as, ld, or go build/run/install starts in a container",
			Reads: []string{"exec.executable", "exec.args"},
			Fix:   "build in CI, not in running containers; use images without toolchains (distroless)",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			b := base(e)
			if e.Kind != event.Exec || !compilers[b] {
				return nil
			}
			if b == "go" && (len(e.Args) < 2 || !goBuilds[e.Args[1]]) {
				return nil
			}
			return hit("compiler "+e.Path+" run in container "+containerName(e), "executable", e.Path)
		},
	}
}

var networkTools = set("nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "nmap", "masscan", "socat", "tcpdump",
	"tshark", "dsniff", "arpspoof", "ettercap", "zmap", "hping3", "telnet")

// networkTool reads exec events: the executable. It fires on network
// scanners, sniffers and raw connection tools (nc, ncat, nmap, socat,
// tcpdump, telnet) in a container: discovery, or a hand-made tunnel.
func networkTool() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "network-tool-in-container", Title: "Network scanner or raw connection tool run in a container", Severity: check.High,
			MITRE: []detect.Technique{tServiceDiscovery, tLateralTool},
			Fires: "nc, ncat, nmap, masscan, socat, tcpdump, tshark, telnet and similar start in a container",
			Reads: []string{"exec.executable"},
			Fix:   "remove such tools from images; restrict egress with NetworkPolicies",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.Exec || !networkTools[base(e)] {
				return nil
			}
			return hit("network tool "+e.Path+" run in container "+containerName(e), "executable", e.Path)
		},
	}
}

// execDenied reads exec-denied events of the exec allowlist. It fires on
// every exec the allowlist reports: denied (enforce) or that it would
// have denied (dry run).
func execDenied() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "exec-not-allowed", Title: "Executable outside the workload's allowlist", Severity: check.High,
			MITRE: []detect.Technique{tUserExecution},
			Fires: "a process in a guarded container runs a binary its exec allowlist does not list",
			Reads: []string{"exec.executable", "allowlist.mode"},
			Fix:   "if the binary is legitimate, add it to the workload's exec allowlist; otherwise investigate the pod",
		},
		Eval: func(e *event.Event, _ *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.ExecDenied {
				return nil
			}
			mode := "dry run: would have been denied"
			if e.Flags&event.FlagEnforced != 0 {
				mode = "denied"
			}
			return hit("exec of "+e.Path+" outside the allowlist ("+mode+")", "executable", e.Path, "mode", mode)
		},
	}
}

func containerName(e *event.Event) string {
	if p := e.Pod; p != nil {
		if p.Name != "" {
			c := p.Namespace + "/" + p.Name
			if p.Container != "" {
				c += " (" + p.Container + ")"
			}
			return c
		}
		return strings.TrimSpace(p.ContainerID)
	}
	return ""
}
