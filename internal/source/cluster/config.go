// Package cluster loads a live cluster's objects into the inventory, the
// way kubectl finds and talks to the cluster, listing only what the selected
// checks read and recording what the identity was not allowed to read.
package cluster

import (
	"fmt"
	"slices"
	"time"

	"github.com/kubeward/kubeward/internal/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

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

// Selectable reports whether the label selector (-l) applies to a kind: the
// workloads and what they use. The others (RBAC, policies, namespaces,
// nodes) are the context checks need to judge the selected ones, read whole.
func Selectable(gk schema.GroupKind) bool {
	switch gk {
	case inventory.KindConfigMap, inventory.KindSecret, inventory.KindService, inventory.KindIngress:
		return true
	}
	return slices.Contains(inventory.WorkloadKinds, gk)
}

// Filter keeps of objects read from files what a cluster read with these
// options would list, so that -n and -l mean the same for files as for a
// cluster: -n keeps the namespaced objects of that namespace (one without a
// namespace is in "default", where kubectl would apply it) and every
// cluster-scoped object; -l keeps the objects of Selectable kinds whose
// labels match. It returns nil when the options keep everything.
func (o Options) Filter() (func(*inventory.Object) bool, error) {
	if o.Namespace == "" && o.LabelSelector == "" {
		return nil, nil
	}
	sel := labels.Everything()
	if o.LabelSelector != "" {
		var err error
		if sel, err = labels.Parse(o.LabelSelector); err != nil {
			return nil, fmt.Errorf("-l %q: %w", o.LabelSelector, err)
		}
	}
	return func(obj *inventory.Object) bool {
		if o.Namespace != "" && obj.Namespaced() {
			ns := obj.Namespace
			if ns == "" {
				ns = metav1.NamespaceDefault
			}
			if ns != o.Namespace {
				return false
			}
		}
		return !Selectable(obj.GroupKind()) || sel.Matches(labels.Set(obj.Meta.Labels))
	}, nil
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
