package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kubeward/kubeward/internal/checks/network"
	"github.com/kubeward/kubeward/internal/loader"
	"github.com/kubeward/kubeward/internal/netpol"
	"github.com/kubeward/kubeward/internal/netpol/flows"
	"github.com/kubeward/kubeward/internal/netpol/gen"
	"github.com/kubeward/kubeward/internal/netpol/netpolinv"
	"github.com/kubeward/kubeward/internal/netpol/view"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/spf13/cobra"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// netpolFlags are the input flags of every netpol subcommand.
type netpolFlags struct {
	files   []string
	input   inputFlags
	cluster clusterFlags
}

func (f *netpolFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil, "manifest file, directory, chart or overlay to read (repeatable; \"-\" is standard input)")
	f.input.registerQuery(cmd)
	f.cluster.register(cmd)
}

// netpolModelCheck stands for the network checks, which share one engine
// input: the kinds it reads are the kinds both loaders (files and cluster)
// read.
var netpolModelCheck = network.DefaultDenyIngress

// load builds the engine's input from files or the cluster, through the
// same loaders as scan.
func (f *netpolFlags) load(ctx context.Context, s Streams, args []string) (*netpolinv.Model, error) {
	paths := append(append([]string(nil), f.files...), args...)
	if f.cluster.enabled {
		if len(paths) > 0 {
			return nil, usageErr("--cluster reads the cluster; do not name files")
		}
		loaded, err := f.cluster.load(ctx, netpolModelCheck.Inputs(), nil, s.Err)
		if err != nil {
			return nil, err
		}
		warnUnreadable(s.Err, loaded.Unreadable, "the matrix may miss pods or policies")
		return judgeable(netpolinv.Build(loaded.Inventory))
	}
	if len(paths) == 0 {
		return nil, usageErr("name manifests with -f PATH (or read the cluster with --cluster)")
	}
	keep, err := f.cluster.options().Filter()
	if err != nil {
		return nil, usageErr("%v", err)
	}
	inv, err := f.input.query(s, paths, netpolModelCheck)
	if err != nil {
		return nil, err
	}
	if keep != nil {
		// -n and -l keep of the files what they keep of a cluster.
		inv = inv.Filter(keep)
	}
	return judgeable(netpolinv.Build(inv))
}

// judgeable refuses a model without pods: every answer over it (an empty
// matrix, a proof of nothing) would be a pass on nothing.
func judgeable(m *netpolinv.Model) (*netpolinv.Model, error) {
	if len(m.Input.Pods) == 0 {
		return nil, &exitError{code: ExitError, err: fmt.Errorf("the input holds no workload (Pod, workload or pod template) in scope: nothing to judge")}
	}
	return m, nil
}

func reportProblems(w io.Writer, e *netpol.Engine) {
	for _, p := range e.Problems() {
		fmt.Fprintf(w, "warning: %s\n", p)
	}
	if u := e.UnknownNamespaces(); len(u) > 0 {
		fmt.Fprintf(w, "note: no Namespace object for %s: their namespaceSelector labels are unknown beyond kubernetes.io/metadata.name\n", strings.Join(u, ", "))
	}
}

func newNetpolCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Compute, explain and generate NetworkPolicy connectivity",
		Long: `Evaluate NetworkPolicies exactly as the networking.k8s.io/v1 specification says:
which workloads and address ranges can connect to which, on which ports, and
which policy and rule decide it. Pods come from Pods and from workload templates;
running pods are grouped into the workload that owns them. Every workload is
named namespace/Kind/name. -n, -l and -A keep of files what they keep of a
cluster. Peers of rules that select no workload of the input are listed, not
dropped. See docs/netpol.md.

-f reads files, directories, charts and overlays as scan does, with the same
rendering flags (docs/input.md): a path that does not exist or input (or a
cluster, or a -n/-l selection) without a pod to judge exits 2; other input errors are printed and, after the
answer, exit 2 too, since the answer may miss what they held.`,
	}
	cmd.AddCommand(newNetpolMatrixCmd(s), newNetpolExplainCmd(s), newNetpolGenerateCmd(s))
	return cmd
}

func newNetpolMatrixCmd(s Streams) *cobra.Command {
	f := &netpolFlags{}
	var out outputFlag
	var namespace string
	var restricted bool
	cmd := &cobra.Command{
		Use:   "matrix [-f PATH]... | --cluster",
		Short: "Show which workloads and address ranges may connect, on which ports",
		Example: `  kubeward netpol matrix -f deploy/
  kubeward netpol matrix -f deploy/ -o dot | dot -Tsvg > netpol.svg
  kubeward netpol matrix --cluster --restricted-only -o mermaid`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.parse("table"); err != nil {
				return err
			}
			m, err := f.load(cmd.Context(), s, args)
			if err != nil {
				return err
			}
			e := netpol.New(m.Input)
			reportProblems(s.Err, e)
			matrix, vo := e.Matrix(), view.Options{RestrictedOnly: restricted, Namespace: namespace}
			return out.write(s, func(format string, w io.Writer) error {
				render := map[string]func(io.Writer, *netpol.Engine, *netpol.Matrix, view.Options) error{
					"table": view.Table, "json": view.JSON, "dot": view.DOT, "mermaid": view.Mermaid,
				}[format]
				return render(w, e, matrix, vo)
			})
		},
	}
	f.register(cmd)
	out.register(cmd, []string{"table", "json", "dot", "mermaid"}, "table", "dot is Graphviz")
	cmd.Flags().BoolVar(&restricted, "restricted-only", false, "show only pairs that some policy governs")
	cmd.Flags().StringVar(&namespace, "in", "", "show only pairs with an end in this namespace")
	return cmd
}

func newNetpolExplainCmd(s Streams) *cobra.Command {
	f := &netpolFlags{}
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "explain SRC DST PORT[/PROTO] [-f PATH]... | --cluster",
		Short: "Say whether a connection is allowed and which policies and rules decide",
		Long: `SRC and DST are workloads (namespace/name, namespace/Kind/name, or a name unique
across namespaces) or IP addresses. PORT is a number, PROTO is TCP (default), UDP or SCTP.

Exit codes: 0 allowed, 1 denied, 2 usage or input error.`,
		Example: `  kubeward netpol explain shop/web shop/api 8080 -f deploy/
  kubeward netpol explain shop/api 169.254.169.254 80/TCP -f deploy/`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.parse("table"); err != nil {
				return err
			}
			ps, err := netpol.ParsePortSpec(args[2])
			if err != nil || ps.Name != "" || ps.Lo != ps.Hi {
				return usageErr("PORT must be one port number with an optional /TCP, /UDP or /SCTP: %q", args[2])
			}
			m, err := f.load(cmd.Context(), s, nil)
			if err != nil {
				return err
			}
			e := netpol.New(m.Input)
			reportProblems(s.Err, e)
			src, err := e.ResolveEndpoint(args[0])
			if err != nil {
				return usageErr("source: %v", err)
			}
			dst, err := e.ResolveEndpoint(args[1])
			if err != nil {
				return usageErr("destination: %v", err)
			}
			if !src.IsPod() && !dst.IsPod() {
				return usageErr("at least one end must be a workload: NetworkPolicy governs pods only")
			}
			d := e.Explain(src, dst, ps.Lo, ps.Protocol)
			err = out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return view.ExplainJSON(w, &d)
				}
				return view.Explain(w, &d)
			})
			if err != nil {
				return err
			}
			if !d.Allowed {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	f.register(cmd)
	out.register(cmd, []string{"table", "json"}, "table", "")
	return cmd
}

func newNetpolGenerateCmd(s Streams) *cobra.Command {
	f := &netpolFlags{}
	var connections string
	var fromFlows []string
	var out outputFlag
	fo := flows.Options{}
	cmd := &cobra.Command{
		Use:   "generate (--connections FILE [-f PATH]... | --cluster) | --from-flows FILE...",
		Short: "Write default-deny and least-privilege NetworkPolicies, proven by the engine",
		Long: `With --connections: write a default deny (ingress and egress) and DNS egress to
kube-dns for every namespace in scope, and the allow policies of the declared
connections. The engine then evaluates the written policies alone over the
workloads and checks that they allow exactly the declared connections plus DNS;
the proof goes to standard error. The connection file format is described in
docs/netpol.md. Exit codes: 0 written and proven exact, 1 written but not exact
(see the proof), 2 usage or input error.

With --from-flows: write, from the flow logs the node agent records (see
kubeward agent), one policy per observed workload that allows exactly what it was seen
doing, as rbac suggest does from audit logs. The policy selects the workload's
pods by the labels all its observed pods share, less the ones controllers add
(pod-template-hash, controller-revision-hash...); policyTypes are Ingress and
Egress, so a direction without observed flows is denied. Ingress and egress
rules name peer workloads by namespaceSelector (kubernetes.io/metadata.name)
and podSelector, and addresses outside the pods as ipBlocks (/32 and /128, or
coarser with --external-prefix-v4/-v6), with the observed ports. A workload
that resolved names (port 53) gets DNS egress to kube-dns. Workloads of
kube-system, kube-public and kube-node-lease get no policy. Flows to a
Service's address are allowed from the inbound records of its pods: run the
agent on every node. A log without flow records is an error (exit 2); a
malformed line is reported at its line number and, after the policies, exits 2.`,
		Example: `  kubeward netpol generate --connections connections.yaml -f deploy/ > netpol.yaml
  kubeward netpol generate --from-flows node-a.flows.jsonl --from-flows node-b.flows.jsonl.gz -o yaml=netpol.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.parse("yaml"); err != nil {
				return err
			}
			if len(fromFlows) > 0 {
				if connections != "" || f.cluster.enabled || len(f.files)+len(args) > 0 {
					return usageErr("--from-flows reads flow logs only: do not name --connections, manifests or --cluster")
				}
				return generateFromFlows(s, &out, fromFlows, fo)
			}
			if connections == "" {
				return usageErr("--connections FILE or --from-flows FILE is required")
			}
			data, err := source.ReadFile(connections, loader.DefaultMaxFileBytes)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			spec, err := gen.Parse(data)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			m, err := f.load(cmd.Context(), s, args)
			if err != nil {
				return err
			}
			res, err := gen.Generate(m.Input, spec)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if err := writePolicies(s, &out, res.Policies); err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(s.Err, "warning: %s\n", w)
			}
			proof, err := gen.Prove(m.Input, spec, res)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			for _, a := range proof.Assumed {
				fmt.Fprintf(s.Err, "proof assumes %s\n", a)
			}
			if proof.Exact {
				fmt.Fprintf(s.Err, "proof: the %d policies allow exactly the declared connections plus DNS (%d pairs checked)\n", len(res.Policies), proof.Pairs)
				return nil
			}
			for _, g := range proof.Missing {
				fmt.Fprintf(s.Err, "proof: missing %s\n", g)
			}
			for _, g := range proof.Extra {
				fmt.Fprintf(s.Err, "proof: extra %s (selectors also match other pods; give them distinct labels)\n", g)
			}
			return &exitError{code: ExitFindings, err: fmt.Errorf("generated policies are not exact: %d missing, %d extra", len(proof.Missing), len(proof.Extra))}
		},
	}
	f.register(cmd)
	out.register(cmd, []string{"yaml"}, "yaml", "")
	fl := cmd.Flags()
	fl.StringVar(&connections, "connections", "", "the declared connections (see docs/netpol.md)")
	fl.StringArrayVar(&fromFlows, "from-flows", nil, "flow log of the node agent (kubeward agent) to generate from (repeatable; JSON lines, gzip or not; \"-\" is standard input)")
	fl.IntVar(&fo.IPv4Bits, "external-prefix-v4", 32, "with --from-flows: prefix length of the ipBlock of each IPv4 address outside the pods (24 allows the address's /24)")
	fl.IntVar(&fo.IPv6Bits, "external-prefix-v6", 128, "with --from-flows: prefix length of the ipBlock of each IPv6 address outside the pods")
	return cmd
}

// generateFromFlows writes the policies of the observed flows.
func generateFromFlows(s Streams, out *outputFlag, files []string, o flows.Options) error {
	g, err := flows.NewGenerator(o)
	if err != nil {
		return usageErr("%v", err)
	}
	problems := 0
	err = flows.ReadFiles(files, s.In, g.Add, func(p flows.Problem) {
		problems++
		fmt.Fprintf(s.Err, "warning: skipped %s\n", p)
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	res := g.Result()
	for _, w := range res.Warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
	}
	if len(res.Policies) == 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("the %d flow records name no workload that a policy can select (outside kube-system, kube-public and kube-node-lease, with labels): nothing to write", g.Records())}
	}
	if err := writePolicies(s, out, res.Policies); err != nil {
		return err
	}
	fmt.Fprintf(s.Err, "%d policies from %d flow records\n", len(res.Policies), g.Records())
	if problems > 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("%d malformed lines skipped: the policies may deny the flows they held", problems)}
	}
	return nil
}

// writePolicies writes policies as a YAML stream.
func writePolicies(s Streams, out *outputFlag, policies []*networkingv1.NetworkPolicy) error {
	return out.write(s, func(_ string, w io.Writer) error {
		for i, p := range policies {
			if i > 0 {
				if _, err := io.WriteString(w, "---\n"); err != nil {
					return err
				}
			}
			b, err := yaml.Marshal(p)
			if err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}
