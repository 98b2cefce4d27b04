// Package features answers the feature gates the copied defaulters read,
// with their defaults in the kube-apiserver of the copied version (the
// defaulting of a cluster that sets no --feature-gates).
package features

import "k8s.io/component-base/featuregate"

// Enabled reports a gate's default; a gate the defaulters do not read is
// off.
func Enabled(f featuregate.Feature) bool { return defaults[f] }

// Defaults returns every gate the defaulters read and its default.
func Defaults() map[featuregate.Feature]bool {
	out := make(map[featuregate.Feature]bool, len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	return out
}
