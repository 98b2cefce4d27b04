package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	rbacchecks "github.com/kubeward/kubeward/internal/checks/rbac"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/rbacinv"
)

// rbacFlags are the input and output flags of every rbac subcommand. The
// cluster flags are registered one by one: -n is the request's namespace
// here, not a filter of what is read (RBAC needs every namespace).
type rbacFlags struct {
	files   []string
	input   inputFlags
	cluster clusterFlags
	out     outputFlag
}

func (f *rbacFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil, "manifest file, directory, chart or overlay to read (repeatable; \"-\" is standard input)")
	fl.BoolVar(&f.cluster.enabled, "cluster", false, "read RBAC from the cluster of the current kubeconfig context instead of files")
	fl.StringVar(&f.cluster.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.cluster.context, "context", "", "kubeconfig context to use")
	fl.DurationVar(&f.cluster.timeout, "request-timeout", 30_000_000_000, "timeout of each request to the API server")
	f.out.register(cmd, []string{"table", "json"}, "table", "")
	f.input.registerQuery(cmd)
}

// rbacModelCheck stands for the RBAC checks, which share one model: the
// kinds it reads are the kinds both loaders (files and cluster) read.
var rbacModelCheck = rbacchecks.SecretsRead

func (f *rbacFlags) load(ctx context.Context, s Streams, args []string) (*rbacinv.Model, error) {
	if err := f.out.parse("table"); err != nil {
		return nil, err
	}
	paths := append(append([]string(nil), f.files...), args...)
	var inv *inventory.Inventory
	if f.cluster.enabled {
		if len(paths) > 0 {
			return nil, usageErr("--cluster reads the cluster; do not name files")
		}
		f.cluster.allNamespaces = true
		loaded, err := f.cluster.load(ctx, rbacModelCheck.Inputs(), nil, s.Err)
		if err != nil {
			return nil, err
		}
		warnUnreadable(s.Err, loaded.Unreadable, "answers may miss what it grants")
		inv = loaded.Inventory
	} else {
		if len(paths) == 0 {
			return nil, usageErr("name manifests with -f PATH (or read the cluster with --cluster)")
		}
		loaded, err := f.input.query(s, paths, rbacModelCheck)
		if err != nil {
			return nil, err
		}
		inv = loaded
	}
	m := rbacinv.Build(inv)
	for _, p := range m.Problems() {
		if !strings.HasPrefix(p.Message, "defined more than once") {
			fmt.Fprintf(s.Err, "warning: %s\n", p)
		}
	}
	if cat, err := rbac.DefaultCatalog(); err == nil && !m.Cluster {
		for _, p := range m.UnknownNames(cat) {
			fmt.Fprintf(s.Err, "warning: %s\n", p)
		}
		unserved := m.UnservedGroups(cat)
		for _, g := range sortedGroupKeys(unserved) {
			fmt.Fprintf(s.Err, "note: API group %q (named by %s) is not served by Kubernetes %s; its rules take effect only where it is installed\n",
				g, unserved[g][0], "v1.37")
		}
	}
	return m, nil
}

func newRBACCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Answer who can do what, and how far an identity can escalate",
		Long: `Evaluate Roles, ClusterRoles (with aggregation) and bindings exactly as the API
server's RBAC authorizer does, for manifests (with the bootstrap roles of
Kubernetes ` + "v1.37" + ` added) or a live cluster. See docs/rbac.md.`,
	}
	cmd.AddCommand(newRBACWhoCanCmd(s), newRBACCanCmd(s), newRBACPathsCmd(s), newRBACSuggestCmd(s), newRBACUnusedCmd(s))
	return cmd
}

func newRBACWhoCanCmd(s Streams) *cobra.Command {
	f := &rbacFlags{}
	var namespace, name, group string
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[.GROUP][/SUBRESOURCE] | VERB /URL",
		Short: "List the subjects allowed a request, with the binding and rule that allow it",
		Long: `Every User, Group and ServiceAccount named in a binding that is allowed the
request, with each grant (binding, role, rule). Group system:masters is always
listed: the API server allows it everything before RBAC. Groups are not
expanded into members.`,
		Example: `  kubeward rbac who-can get secrets -n kube-system -f deploy/
  kubeward rbac who-can create pods/exec -n shop --cluster
  kubeward rbac who-can patch deployments.apps/scale --name web -n shop -f deploy/
  kubeward rbac who-can get /metrics --cluster -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := rbac.ParseRequest(args[0], args[1], name, namespace, group)
			if err != nil {
				return usageErr("%v", err)
			}
			m, err := f.load(cmd.Context(), s, nil)
			if err != nil {
				return err
			}
			res := m.WhoCan(a)
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, struct {
						Request  rbac.Attributes      `json:"request"`
						Subjects []rbac.SubjectGrants `json:"subjects"`
					}{a, res})
				}
				fmt.Fprintf(w, "Who can %s:\n", a)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SUBJECT\tBINDING\tROLE\tRULE")
				for _, sg := range res {
					for i, g := range sg.Grants {
						subj := sg.Subject.String()
						if i > 0 {
							subj = ""
						}
						if g.Binding.Kind == rbac.PrivilegedGroupKind {
							fmt.Fprintf(tw, "%s\t(authorizer)\t-\tsystem:masters may do everything\n", subj)
							continue
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d %s\n", subj, g.Binding, roleLabel(g), g.RuleIndex, rbac.RuleString(&g.Rule))
					}
				}
				return tw.Flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide, where only ClusterRoleBindings count)")
	cmd.Flags().StringVar(&name, "name", "", "name of the object (rules with resourceNames match only named requests)")
	cmd.Flags().StringVar(&group, "api-group", "", "API group of the resource (or write RESOURCE.GROUP)")
	return cmd
}

func roleLabel(g rbac.Grant) string {
	if g.From != "" {
		return g.Role.String() + " (from " + g.From + ")"
	}
	return g.Role.String()
}

func newRBACCanCmd(s Streams) *cobra.Command {
	f := &rbacFlags{}
	var namespace string
	var groups []string
	cmd := &cobra.Command{
		Use:   "can SUBJECT",
		Short: "List the effective permissions of a user, group or service account",
		Long: `SUBJECT is user:NAME (or just NAME), group:NAME, or sa:NAMESPACE/NAME
(system:serviceaccount:NS:NAME also works). A user gets system:authenticated,
a service account also system:serviceaccounts and system:serviceaccounts:NS,
as their authenticators give them; --group adds more groups. Each rule is shown
with the binding that grants it and where it applies.`,
		Example: `  kubeward rbac can sa:shop/web -f deploy/
  kubeward rbac can user:alice --group devs --cluster
  kubeward rbac can group:system:authenticated --cluster -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			subj, err := rbac.ParseSubject(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			m, err := f.load(cmd.Context(), s, nil)
			if err != nil {
				return err
			}
			u := rbac.UserInfoFor(subj, groups...)
			var grants []rbac.Grant
			if namespace != "" {
				grants = m.PermissionsIn(u, namespace)
			} else {
				grants = m.Permissions(u)
			}
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, struct {
						Subject rbac.Subject  `json:"subject"`
						User    rbac.UserInfo `json:"user"`
						Grants  []rbac.Grant  `json:"grants"`
					}{subj, u, grants})
				}
				fmt.Fprintf(w, "%s (user %q, groups %s) can:\n", subj, u.Name, strings.Join(u.Groups, ", "))
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "WHERE\tVERBS\tAPI GROUPS\tRESOURCES\tNAMES\tBINDING\tROLE")
				for _, g := range grants {
					where := "cluster-wide"
					if g.Namespace != "" {
						where = g.Namespace
					}
					if g.Binding.Kind == rbac.PrivilegedGroupKind {
						fmt.Fprintf(tw, "everywhere\t*\t*\t*\t\t(group system:masters)\t-\n")
						continue
					}
					r := g.Rule
					res, names := strings.Join(r.Resources, ","), strings.Join(r.ResourceNames, ",")
					if len(r.NonResourceURLs) > 0 {
						res = "URL " + strings.Join(r.NonResourceURLs, ",")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", where, strings.Join(r.Verbs, ","), strings.Join(coreGroup(r.APIGroups), ","), res, names, g.Binding, roleLabel(g))
				}
				return tw.Flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "only what applies to requests in this namespace")
	cmd.Flags().StringArrayVar(&groups, "group", nil, "an extra group of the subject (repeatable)")
	return cmd
}

func coreGroup(gs []string) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		if g == "" {
			g = `""`
		}
		out[i] = g
	}
	return out
}

func newRBACPathsCmd(s Streams) *cobra.Command {
	f := &rbacFlags{}
	var all bool
	cmd := &cobra.Command{
		Use:   "paths [SUBJECT]",
		Short: "Show escalation paths to cluster-admin equivalence",
		Long: `Without SUBJECT: every subject of a binding (and every known service account)
that can become cluster-admin equivalent, with its shortest path. With SUBJECT:
its path, and with --all every identity it can act as. Each step names the
binding and rule that allow it. Steps: creating or changing pods and pod
controllers (run as any service account of the namespace), exec/attach/
ephemeral containers (the accounts of running pods), nodes/proxy, minting
tokens, reading token Secrets, creating token Secrets, impersonation, bind and
escalate, CSR approval for the kube-apiserver-client signer.`,
		Example: `  kubeward rbac paths -f deploy/
  kubeward rbac paths user:alice --cluster
  kubeward rbac paths sa:ci/deployer --all -f deploy/ -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var subj *rbac.Subject
			if len(args) == 1 {
				sb, err := rbac.ParseSubject(args[0])
				if err != nil {
					return usageErr("%v", err)
				}
				subj = &sb
			}
			m, err := f.load(cmd.Context(), s, nil)
			if err != nil {
				return err
			}
			g := m.Escalation()
			var paths []rbac.Path
			var reach []rbac.Step
			if subj == nil {
				paths = g.AdminPaths()
			} else {
				if p := g.PathToAdmin(*subj); p != nil {
					paths = append(paths, *p)
				}
				if all {
					reach = g.Reachable(*subj)
				}
			}
			sort.SliceStable(paths, func(i, j int) bool { return len(paths[i].Steps) < len(paths[j].Steps) })
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, struct {
						Paths     []rbac.Path `json:"paths"`
						Reachable []rbac.Step `json:"reachable,omitempty"`
					}{paths, reach})
				}
				if len(paths) == 0 {
					if subj != nil {
						fmt.Fprintf(w, "%s has no path to cluster-admin equivalence.\n", subj)
					} else {
						fmt.Fprintln(w, "No subject has a path to cluster-admin equivalence.")
					}
				}
				for _, p := range paths {
					writePath(w, p)
				}
				if len(reach) > 0 {
					fmt.Fprintf(w, "\n%s can act as:\n", subj)
					for _, st := range reach {
						fmt.Fprintf(w, "  %s  (%s %s, by %s)\n", st.To, st.From, st.Action, grantList(st.Grants))
					}
				}
				return nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "with SUBJECT: also list every identity it can act as")
	return cmd
}

func writePath(w io.Writer, p rbac.Path) {
	fmt.Fprintf(w, "%s -> cluster-admin in %d step(s):\n", p.Subject, len(p.Steps))
	for i, st := range p.Steps {
		to := st.To.String()
		if st.To == rbac.AdminTarget {
			to = "cluster-admin equivalent"
		}
		fmt.Fprintf(w, "  %d. %s %s %s\n", i+1, st.From, st.Action, to)
		for _, g := range st.Grants {
			fmt.Fprintf(w, "       allowed by %s\n", g)
		}
	}
}

func grantList(gs []rbac.Grant) string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Binding.String())
	}
	return strings.Join(out, ", ")
}

// warnUnreadable writes one warning per kind the identity could not list,
// in a stable order: the loader's reason ("forbidden to list secrets
// cluster-wide") and what it means for the answer.
func warnUnreadable(w io.Writer, unreadable map[schema.GroupKind]string, consequence string) {
	reasons := make([]string, 0, len(unreadable))
	for _, why := range unreadable {
		reasons = append(reasons, why)
	}
	sort.Strings(reasons)
	for _, why := range reasons {
		fmt.Fprintf(w, "warning: %s: %s\n", why, consequence)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func sortedGroupKeys(m map[string][]rbac.ObjectRef) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
