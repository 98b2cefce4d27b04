//go:build unix && !linux

package kubetest

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts cmd in its own process group, so that it and its
// children can be signalled together.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
