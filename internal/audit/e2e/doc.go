// Package e2e tests kubeward's run-time detection end to end against a
// real kube-apiserver (internal/kubetest): the API server sends its audit
// events to `audit serve`'s receiver through its webhook backend, or writes
// and rotates a log that a follower reads, and the tests check that the
// alerts for what a client did arrive.
package e2e
