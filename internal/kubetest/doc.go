// Package kubetest runs a real etcd, kube-apiserver and (optionally)
// kube-controller-manager and kube-scheduler for tests, built from the upstream sources pinned
// in the repository's test/ module. See docs/TESTING.md.
//
// Typical use:
//
//	func TestSomething(t *testing.T) {
//		c := kubetest.Start(t, kubetest.Options{})   // skips under -short
//		cs := c.Client()                            // admin clientset
//		alice := kubernetes.NewForConfigOrDie(c.UserConfig("alice", "dev"))
//		...
//	}
//
// The package does not import k8s.io/kubernetes: it runs the binaries that
// Binaries builds (once, cached across runs, under a file lock shared by
// parallel test processes).
package kubetest
