package rules

import (
	"path"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/check"
)

// sensitiveFileRead reads open events: the path's class and the process.
// It fires on a read of /etc/shadow, sudoers, PAM configuration, SSH keys,
// or the kubelet's or control plane's credentials by a process not in
// SensitiveReaders. Opens for writing are other rules' business.
func sensitiveFileRead() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "sensitive-file-read", Title: "Sensitive file read in a container", Severity: check.High,
			MITRE: []detect.Technique{tCredsInFiles, tShadow},
			Fires: "a process reads /etc/shadow, /etc/gshadow, sudoers, PAM configuration, SSH keys, /etc/kubernetes or the kubelet's credentials",
			Reads: []string{"open.path", "open.class", "process.executable"},
			Fix:   "find why the process reads credentials; if it must (an SSH server, a login service), list it in sensitiveReaders",
		},
		Eval: func(e *event.Event, p *Proc, o *Options) *detect.Hit {
			if e.Kind != event.Open || e.Flags&event.FlagWrite != 0 {
				return nil
			}
			switch e.Class() {
			case event.ClassShadow, event.ClassSSH, event.ClassKubeletCredentials:
			default:
				return nil
			}
			if matchExe(o.SensitiveReaders, exe(e, p)) {
				return nil
			}
			return hit(exe(e, p)+" read "+e.Path, "path", e.Path, "class", e.Class().String())
		},
	}
}

var tokenTools = set("cat", "head", "tail", "less", "more", "base64", "cp", "mv", "dd", "grep", "egrep", "awk", "sed",
	"strings", "xxd", "od", "hexdump", "tar", "curl", "wget", "kubectl", "jq", "vi", "vim", "nano", "sh", "bash", "ash", "dash", "zsh")

// tokenRead reads open events: the path's class and the process. It fires
// on the pod's service-account token read by a shell, a file utility, an
// editor, curl, wget or kubectl: a person or a script stealing the
// workload's identity. The application reading its own token (a client
// library) does not fire.
func tokenRead() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "service-account-token-read", Title: "Service-account token read by a shell or utility", Severity: check.High,
			MITRE: []detect.Technique{tContainerAPI, tStealToken},
			Fires: "cat, head, base64, cp, grep, curl, wget, kubectl, an editor or a shell opens the pod's service-account token",
			Reads: []string{"open.path", "open.class", "process.executable"},
			Fix:   "set automountServiceAccountToken: false where the pod does not call the API; find who ran the command",
		},
		Eval: func(e *event.Event, p *Proc, o *Options) *detect.Hit {
			if e.Kind != event.Open || e.Class() != event.ClassServiceAccountToken || e.Flags&event.FlagWrite != 0 {
				return nil
			}
			x := exe(e, p)
			if !tokenTools[path.Base(x)] && !tokenTools[e.Comm] || matchExe(o.SensitiveReaders, x) {
				return nil
			}
			return hit(x+" read the service-account token "+e.Path, "path", e.Path)
		},
	}
}

// procEnvironRead reads open events of /proc/<pid>/environ: the path and
// the process. It fires when a process reads another process's
// environment, where Kubernetes puts secrets (env valueFrom secretKeyRef).
// A process reading its own (/proc/self/environ resolves to its pid) does
// not fire.
func procEnvironRead() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "proc-environ-read", Title: "Another process's environment read", Severity: check.Medium,
			MITRE: []detect.Technique{tCredsInFiles},
			Fires: "a process opens /proc/<pid>/environ of another process",
			Reads: []string{"open.path", "process.pid"},
			Fix:   "mount secrets as files, not environment variables; find why the process reads others' environments",
		},
		Eval: func(e *event.Event, p *Proc, o *Options) *detect.Hit {
			if e.Kind != event.Open || e.Class() != event.ClassProcEnviron || e.Flags&event.FlagWrite != 0 {
				return nil
			}
			if pid := environPID(e.Path); pid == "" || pid == itoa(e.PID) || pid == itoa(e.TID) || matchExe(o.SensitiveReaders, exe(e, p)) {
				return nil
			}
			return hit(exe(e, p)+" read "+e.Path, "path", e.Path)
		},
	}
}

// writeBinaryDir reads open events for writing: the path's class. It
// fires on a file opened for writing below /bin, /sbin, /usr/bin,
// /usr/sbin, /usr/local/bin or /usr/local/sbin by anything but a package
// manager (which package-manager-in-container reports): a binary
// replaced or planted. Writes elsewhere (/tmp) do not fire.
func writeBinaryDir() Rule {
	return Rule{
		Meta: detect.Meta{
			ID: "write-below-binary-dir", Title: "Write below a binary directory", Severity: check.High,
			MITRE: []detect.Technique{tHostBinary},
			Fires: "a file below /bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin or /usr/local/sbin is opened for writing",
			Reads: []string{"open.path", "open.write", "process.executable"},
			Fix:   "run containers with readOnlyRootFilesystem: true; find what wrote the file",
		},
		Eval: func(e *event.Event, p *Proc, _ *Options) *detect.Hit {
			if e.Kind != event.Open || e.Class() != event.ClassBinaryDir || e.Flags&event.FlagWrite == 0 {
				return nil
			}
			x := exe(e, p)
			if packageManagers[path.Base(x)] {
				return nil
			}
			return hit(x+" opened "+e.Path+" for writing", "path", e.Path)
		},
	}
}
