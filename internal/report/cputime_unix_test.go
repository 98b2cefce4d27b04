//go:build unix

package report

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process has used, user and system:
// on a shared machine it says more about a renderer's cost than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
