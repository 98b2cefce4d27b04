package kubetest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts cmd in its own process group, so that it and its
// children can be signalled together, and has the kernel kill it if the test
// process dies without running its cleanups (e.g. a go test -timeout panic).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
