package workload

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// sshPorts are the ports SSH servers listen on: 22, and 2222 where the
// server runs without the right to bind below 1024.
var sshPorts = map[int32]bool{22: true, 2222: true}

// sshDaemon matches an SSH server's executable in a command line.
var sshDaemon = regexp.MustCompile(`(^|[/\s"'])(sshd|dropbear)(\s|$|["';&|])`)

// SSHServer reports workloads that serve SSH: a container that declares
// port 22 or 2222, runs sshd or dropbear, or a Service that sends port 22 or
// 2222 to the workload.
//
// Reads: spec.containers[*].ports, command and args (init containers too);
// spec.selector, spec.ports[*].port and targetPort of the Services of the
// workload's namespace.
// Allows: UDP ports; Services without a selector (they select no pod).
// One finding per container port or command; a Service is reported only
// for workloads that show no SSH port of their own.
var SSHServer = &check.Check{
	Meta: check.Meta{
		ID:       "ssh-server",
		Title:    "Workload serves SSH",
		Severity: check.Medium,
		Category: check.CategoryWorkload,
		Rationale: "An SSH server in a container is a second way in that bypasses the Kubernetes API, its " +
			"authentication, RBAC and audit log: stolen or guessed credentials give a shell, and long-lived " +
			"keys baked into images are found in registries. kubectl exec already gives audited access where it is needed.",
		Fix: "Remove the SSH server from the image and use kubectl exec (or kubectl debug) with RBAC; if the " +
			"service must speak SSH (a Git server), restrict who can reach it with a NetworkPolicy and keep its keys in a Secret.",
		Reads: []string{"spec.containers[*].ports", "spec.containers[*].command", "spec.containers[*].args",
			"Service spec.selector", "Service spec.ports[*].port", "Service spec.ports[*].targetPort"},
		Refs: []check.Reference{
			check.NSA("Network separation and hardening"),
			check.MITRE("T1021.004", "Remote Services: SSH"),
		},
		Peers: []check.Peer{
			check.KubeLinter("ssh-port"),
			check.Kubescape("C-0042").Differs("kubescape matches Services whose selector equals the pod labels exactly; kubeward matches selectors as Kubernetes does (a subset), and also reads container ports and commands"),
		},
	},
	Inventory:      sshServer,
	NamespaceLocal: true,
	Needs:          append([]schema.GroupKind{inventory.KindService}, inventory.WorkloadKinds...),
}

func init() { check.Register(SSHServer) }

func sshServer(_ *check.Context, inv *inventory.Inventory) []check.Result {
	var out []check.Result
	for _, p := range inv.Pods() {
		n := len(out)
		for _, c := range p.Containers() {
			if !designed(c) {
				continue
			}
			for j, port := range c.Ports {
				if sshPorts[port.ContainerPort] && port.Protocol != corev1.ProtocolUDP && port.Protocol != corev1.ProtocolSCTP {
					out = append(out, check.Result{Object: p.Object, Pod: p, Path: c.Path.Child("ports").Index(j).Child("containerPort"),
						Message: fmt.Sprintf("container %q declares port %d, the SSH port", c.Name, port.ContainerPort)})
				}
			}
			if path, daemon := sshCommand(c); path != nil {
				out = append(out, check.Result{Object: p.Object, Pod: p, Path: path,
					Message: fmt.Sprintf("container %q runs %s, an SSH server", c.Name, daemon)})
			}
		}
		if len(out) > n {
			continue
		}
		for _, so := range inv.ServicesSelecting(p) {
			if port, ok := sshServicePort(so.Typed.(*corev1.Service), p); ok {
				out = append(out, check.Result{Object: p.Object, Pod: p, Path: p.MetaPath.Child("labels"),
					Message: fmt.Sprintf("Service %s sends port %s, an SSH port, to these pods", so.Name, port)})
				break
			}
		}
	}
	return out
}

// sshCommand finds sshd or dropbear in the container's command or args.
func sshCommand(c inventory.Container) (*fieldpath.Path, string) {
	for _, f := range []struct {
		name string
		argv []string
	}{{"command", c.Command}, {"args", c.Args}} {
		for i, a := range f.argv {
			if m := sshDaemon.FindStringSubmatch(a); m != nil {
				return c.Path.Child(f.name).Index(i), m[2]
			}
		}
	}
	return nil, ""
}

// sshServicePort returns the Service port that reaches an SSH port of the
// pod: a port or numeric target port of 22 or 2222, or a named target port
// that names such a container port.
func sshServicePort(s *corev1.Service, p *inventory.Pod) (string, bool) {
	for _, sp := range s.Spec.Ports {
		if sp.Protocol == corev1.ProtocolUDP || sp.Protocol == corev1.ProtocolSCTP {
			continue
		}
		if sshPorts[sp.Port] {
			return fmt.Sprint(sp.Port), true
		}
		if sp.TargetPort.StrVal == "" && sshPorts[sp.TargetPort.IntVal] {
			return fmt.Sprintf("%d (target port %d)", sp.Port, sp.TargetPort.IntVal), true
		}
		if name := sp.TargetPort.StrVal; name != "" {
			for _, c := range p.Containers() {
				for _, cp := range c.Ports {
					if strings.EqualFold(cp.Name, name) && sshPorts[cp.ContainerPort] {
						return fmt.Sprintf("%d (target port %s)", sp.Port, name), true
					}
				}
			}
		}
	}
	return "", false
}
