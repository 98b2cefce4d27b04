package kubetest

import (
	"os/exec"
	"syscall"
)

// killGroup signals cmd's process group (see setProcessGroup).
func killGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, sig)
}
