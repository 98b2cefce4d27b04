// Package cluster loads a live cluster's objects into the inventory, the
// way kubectl finds and talks to the cluster, listing only what the selected
// checks read and recording what the identity was not allowed to read.
package cluster

import (
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options select the cluster and the scope of a scan.
type Options struct {
	Kubeconfig    string // --kubeconfig; empty: $KUBECONFIG, ~/.kube/config, in-cluster
	Context       string // --context
	Namespace     string // -n; empty: all namespaces
	LabelSelector string // -l, applied to namespaced workload kinds
	Timeout       time.Duration
	PageSize      int64
}

// Connect resolves the client configuration as kubectl does and returns it
// with the name of the context used ("in-cluster" inside a pod).
func Connect(o Options) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, "", fmt.Errorf("no cluster configured: set --kubeconfig or KUBECONFIG, or run inside a pod")
		}
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := o.Context
	if name == "" {
		if raw, err := cc.RawConfig(); err == nil && raw.CurrentContext != "" {
			name = raw.CurrentContext
		} else {
			name = "in-cluster"
		}
	}
	cfg = rest.CopyConfig(cfg)
	if o.Timeout > 0 {
		cfg.Timeout = o.Timeout
	} else {
		cfg.Timeout = 30 * time.Second
	}
	// A scan lists many kinds; the default 5 queries per second would make
	// it crawl. Priority and fairness on the server still protects it.
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = "kubeward"
	return cfg, name, nil
}
