package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kubeward/kubeward/internal/source/cluster"
	"github.com/spf13/cobra"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// clusterFlags select a live cluster the way kubectl does. Subcommands that
// can read a cluster (scan, rbac, netpol) share them.
type clusterFlags struct {
	enabled       bool
	kubeconfig    string
	context       string
	namespace     string
	allNamespaces bool
	selector      string
	timeout       time.Duration
}

func (c *clusterFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&c.enabled, "cluster", false, "read objects from the cluster of the current kubeconfig context instead of files")
	fl.StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config; in a pod, its service account)")
	fl.StringVar(&c.context, "context", "", "kubeconfig context to use")
	fl.StringVarP(&c.namespace, "namespace", "n", "", "only this namespace (cluster-scoped objects such as ClusterRoles are still read)")
	fl.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "all namespaces: the default; overrides -n, as in kubectl")
	fl.StringVarP(&c.selector, "selector", "l", "", "label selector for workloads, Services, Ingresses, ConfigMaps and Secrets")
	fl.DurationVar(&c.timeout, "request-timeout", 30*time.Second, "timeout of each request to the API server")
}

func (c *clusterFlags) options() cluster.Options {
	ns := c.namespace
	if c.allNamespaces {
		ns = "" // -A wins over -n, as in kubectl
	}
	return cluster.Options{Kubeconfig: c.kubeconfig, Context: c.context, Namespace: ns, LabelSelector: c.selector, Timeout: c.timeout}
}

// load lists the kinds from the cluster, showing progress on a terminal.
// Kinds in metaOnly are read through the metadata API.
func (c *clusterFlags) load(ctx context.Context, kinds []schema.GroupKind, metaOnly map[schema.GroupKind]bool, stderr io.Writer) (*cluster.Result, error) {
	cfg, name, err := cluster.Connect(c.options())
	if err != nil {
		return nil, usageErr("%v", err)
	}
	l := &cluster.Loader{Config: cfg, Context: name, Opts: c.options(), MetadataOnly: metaOnly}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		l.Progress = func(done, total int, what string) {
			if what == "" {
				fmt.Fprintf(stderr, "\r\033[K")
				return
			}
			fmt.Fprintf(stderr, "\r\033[Kreading %s (%d/%d kinds)", what, done+1, total)
		}
	}
	res, err := l.Load(ctx, kinds)
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	return res, nil
}
