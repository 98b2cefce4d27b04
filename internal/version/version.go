// Package version reports the build of kubeward.
package version

import "runtime/debug"

// Version is set at link time (-ldflags "-X github.com/kubeward/kubeward/internal/version.Version=v1.2.3");
// otherwise it comes from the module's build information.
var Version = ""

// String returns the version, "(devel)" for a plain go build.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
