package admission

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's growth target for the webhook. It
// keeps little live heap (pooled runners, one object per review), so
// collecting at 200% growth instead of Go's 100% costs a few MiB and cuts
// the CPU per review by about 15% and the p99 under load (docs/PERFORMANCE.md).
const GCPercent = 200

// TuneGC applies GCPercent unless GOGC is set in the environment.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}
