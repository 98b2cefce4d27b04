package cli

import (
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/nodeconfig"
	"github.com/spf13/cobra"
)

// nodeCategories are the checks of node configuration: kubeward node and
// scan --node-config run only these.
var nodeCategories = map[check.Category]bool{check.CategoryControlPlane: true, check.CategoryNode: true}

func nodeChecks(checks []*check.Check) []*check.Check {
	var out []*check.Check
	for _, c := range checks {
		if nodeCategories[c.Category] {
			out = append(out, c)
		}
	}
	return out
}

func newNodeCmd(s Streams) *cobra.Command {
	f := &scanFlags{}
	var root string
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Check the control plane and kubelet of the node kubeward runs on",
		Long: `Check the node kubeward runs on against the CIS Kubernetes Benchmark sections 1, 2,
3.2 and 4: the static pod manifests of the control plane (kube-apiserver,
kube-controller-manager, kube-scheduler, etcd) and the files their flags name
(encryption configuration, audit policy), the running kubelet's command line
(/proc) or its systemd unit, its KubeletConfiguration, and the ownership and
permissions of the manifests, kubeconfigs, PKI, etcd data, CNI and kubelet files.

Run it as root on each node (or in a privileged DaemonSet with the host's / mounted
and --root pointing at it). Missing files are skipped, as the benchmark says,
but a machine with neither a kubelet (a running process or a systemd unit) nor
a control-plane static pod is not a node: that is an error, never a pass.

Checks with nothing to judge on this node (no control plane on a worker, no
kubelet) are listed in the coverage section: a silent report is not a pass.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a coverage gap with
--fail-on-incomplete), 2 usage or input error (including a --root that is not
a node).`,
		Example: `  sudo kubeward node
  kubeward node --root /host -o json=node.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := f.prepare(cmd)
			if err != nil {
				return err
			}
			r.checks = nodeChecks(r.checks)
			return f.runNode(s, r, scan.ModeNode, func(dec *manifest.Decoder) (*inventory.Inventory, error) {
				return nodeconfig.LoadNode(root, dec)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&root, "root", "/", "the node's root filesystem (for a container with the host mounted)")
	f.out.register(cmd, report.Formats(), "table", "")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when an unsuppressed finding has this severity or higher: info, low, medium, high, critical or none")
	fl.StringSliceVar(&f.checks, "checks", nil, "run only these checks: ids, globs (file-*) or category:NAME")
	fl.StringSliceVar(&f.skip, "skip-checks", nil, "do not run these checks: ids, globs or category:NAME")
	fl.StringVar(&f.input.configPath, "config", "", "configuration file (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root)")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "list suppressed findings in the table output")
	f.registerCoverage(cmd)
	return cmd
}

// scanNodeConfig is kubeward scan --node-config DIR: the node checks over a
// directory of copied node files.
func (f *scanFlags) scanNodeConfig(s Streams, r *run, dir string) error {
	r.checks = nodeChecks(r.checks)
	return f.runNode(s, r, scan.ModeNodeConfig, func(dec *manifest.Decoder) (*inventory.Inventory, error) {
		return nodeconfig.LoadDir(dir, dec)
	})
}

// runNode loads node inputs and runs the checks on them.
func (f *scanFlags) runNode(s Streams, r *run, mode scan.Mode, load func(*manifest.Decoder) (*inventory.Inventory, error)) error {
	engine := scan.New(scan.Options{Checks: r.checks, CheckOptions: r.opts, Suppressions: r.suppress, Mode: mode, AcceptGaps: r.acceptGaps})
	inv, err := load(&manifest.Decoder{Reads: engine.Runner.ReadsContent, Log: engine.Log})
	if err != nil {
		return usageErr("%v", err)
	}
	return f.finish(s, r, engine.Inventory(inv))
}
