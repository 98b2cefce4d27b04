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
	"k8s.io/client-go/restmapper"

	rbacchecks "github.com/kubeward/kubeward/internal/checks/rbac"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/rbac"
	"github.com/kubeward/kubeward/internal/rbac/bootstrap"
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
	// catalog is what the input's API server serves, set by load: the
	// cluster's discovery with --cluster, else Kubernetes v1.37's.
	catalog *rbac.Catalog
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
	var discovered []*restmapper.APIGroupResources
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
		discovered = loaded.Discovery
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
	cat, err := rbac.DefaultCatalog()
	if err != nil {
		return nil, err
	}
	f.catalog = cat
	if f.cluster.enabled {
		// kubectl names resources from the cluster's own discovery:
		// custom resources and their short names included.
		cat.ServedBy("the cluster")
		for _, g := range discovered {
			for v, rs := range g.VersionedResources {
				for _, r := range rs {
					cat.AddServed(bootstrap.Resource{Group: g.Group.Name, Version: v, Name: r.Name, Kind: r.Kind, Namespaced: r.Namespaced,
						SingularName: r.SingularName, ShortNames: r.ShortNames})
				}
			}
		}
	}
	if !m.Cluster {
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
Kubernetes ` + "v1.37" + ` added) or a live cluster. See docs/rbac.md.

-f reads files, directories, charts and overlays as scan does, with the same
rendering flags (docs/input.md): a path that does not exist or input with
nothing to check exits 2; other input errors are printed and, after the
answer, exit 2 too, since the answer may miss what they held.`,
	}
	cmd.AddCommand(newRBACWhoCanCmd(s), newRBACCanCmd(s), newRBACPathsCmd(s), newRBACSuggestCmd(s), newRBACUnusedCmd(s))
	return cmd
}

func newRBACWhoCanCmd(s Streams) *cobra.Command {
	f := &rbacFlags{}
	var namespace, name, group string
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[.GROUP][/SUBRESOURCE] | VERB /URL",
		Short: "List the subjects allowed a request, with the binding and rule that allow it",
		Long: `Every User, Group and ServiceAccount named in a binding that is allowed the
request, with each grant (binding, role, rule). Group system:masters is always
listed: the API server allows it everything before RBAC. Groups are not
expanded into members.

-n asks about a request in that namespace (ClusterRoleBindings and the
namespace's RoleBindings count); without -n the request is cluster-wide (only
ClusterRoleBindings count). -A asks who can make the request in some
namespace, and lists where. A cluster-scoped resource (nodes,
persistentvolumes, clusterroles) is never requested in a namespace: -n and -A
are ignored for it, with a note. RESOURCE may be written as kubectl takes it
(deploy, Deployment, deployments.v1.apps all mean deployments.apps); after a
slash, what is no subresource of it is the object's name (secrets/db).

A get of pods/exec, pods/attach or pods/portforward (how WebSocket clients
connect) also needs create on it since Kubernetes 1.35: only subjects allowed
both are listed, with both grants.`,
		Example: `  kubeward rbac who-can get secrets -n kube-system -f deploy/
  kubeward rbac who-can create pods/exec -A --cluster
  kubeward rbac who-can patch deployments.apps/scale --name web -n shop -f deploy/
  kubeward rbac who-can get /metrics --cluster -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if allNamespaces && namespace != "" {
				return usageErr("name a namespace with -n or ask about all of them with -A, not both")
			}
			a, err := rbac.ParseRequest(args[0], args[1], name, namespace, group)
			if err != nil {
				return usageErr("%v", err)
			}
			m, err := f.load(cmd.Context(), s, nil)
			if err != nil {
				return err
			}
			if f.request(s, &a) {
				allNamespaces = false
			}
			var res []rbac.SubjectGrants
			header := fmt.Sprintf("Who can %s:", a)
			if allNamespaces {
				res = m.WhoCanDoAnywhere(a)
				a.Namespace = ""
				header = fmt.Sprintf("Who can %s in some namespace, and where:", strings.TrimSuffix(a.String(), " cluster-wide"))
			} else {
				res = m.WhoCanDo(a)
			}
			if rbac.NeedsCreateToo(a) {
				fmt.Fprintf(s.Err, "note: %s\n", rbac.ConnectNote)
			}
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, struct {
						Request       rbac.Attributes      `json:"request"`
						AllNamespaces bool                 `json:"allNamespaces,omitempty"`
						Subjects      []rbac.SubjectGrants `json:"subjects"`
					}{a, allNamespaces, res})
				}
				fmt.Fprintln(w, header)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SUBJECT\tWHERE\tBINDING\tROLE\tRULE")
				for _, sg := range res {
					for i, g := range sg.Grants {
						subj := sg.Subject.String()
						if i > 0 {
							subj = ""
						}
						if g.Binding.Kind == rbac.PrivilegedGroupKind {
							fmt.Fprintf(tw, "%s\teverywhere\t(authorizer)\t-\tsystem:masters may do everything\n", subj)
							continue
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", subj, grantWhere(g), g.Binding, roleLabel(g), ruleLabel(g))
					}
				}
				return tw.Flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide, where only ClusterRoleBindings count)")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "who can make the request in some namespace, and where")
	cmd.Flags().StringVar(&name, "name", "", "name of the object (rules with resourceNames match only named requests)")
	cmd.Flags().StringVar(&group, "api-group", "", "API group of the resource (or write RESOURCE.GROUP)")
	return cmd
}

// request names the resource of a request as kubectl does (a short or
// singular name, no group: see rbac.Catalog.Resolve), saying so when
// nothing serves such a resource, and drops the namespace of a request for
// a resource that has none (nodes, persistentvolumes), saying so. It
// reports whether the resource is cluster-scoped. It needs load's catalog.
func (f *rbacFlags) request(s Streams, a *rbac.Attributes) bool {
	resolved, note := f.catalog.Resolve(*a)
	if note != "" {
		fmt.Fprintf(s.Err, "note: %s\n", note)
	}
	*a = resolved
	if a.NonResource || !f.catalog.ClusterScoped(a.APIGroup, a.Resource) {
		return false
	}
	if a.Namespace != "" {
		fmt.Fprintf(s.Err, "note: %s is cluster-scoped: it is never requested in a namespace, so only ClusterRoleBindings grant it; -n ignored\n", a.Resource)
		a.Namespace = ""
	}
	return true
}

func grantWhere(g rbac.Grant) string {
	if g.Namespace == "" {
		return "cluster-wide"
	}
	return "namespace " + g.Namespace
}

func roleLabel(g rbac.Grant) string {
	if g.From != "" {
		return g.Role.String() + " (from " + g.From + ")"
	}
	return g.Role.String()
}

func ruleLabel(g rbac.Grant) string {
	s := fmt.Sprintf("%d %s", g.RuleIndex, rbac.RuleString(&g.Rule))
	if g.Restored {
		s += " " + rbac.RestoredNote
	}
	return s
}

func newRBACCanCmd(s Streams) *cobra.Command {
	f := &rbacFlags{}
	var namespace, name, group string
	var groups []string
	cmd := &cobra.Command{
		Use:   "can SUBJECT [VERB RESOURCE[.GROUP][/SUBRESOURCE] | VERB /URL]",
		Short: "Answer whether a subject may make a request, or list its permissions",
		Long: `SUBJECT is user:NAME (or just NAME), group:NAME, or sa:NAMESPACE/NAME
(system:serviceaccount:NS:NAME also works). A user gets system:authenticated,
a service account also system:serviceaccounts and system:serviceaccounts:NS,
as their authenticators give them; --group adds more groups.

RESOURCE may be written as kubectl takes it: plural, singular, short name or
kind, with or without the group, or RESOURCE.VERSION.GROUP (deploy,
Deployment and deployments.v1.apps all ask about deployments.apps). After a
slash comes a subresource (pods/exec); what is no subresource of it is the
object's name, as in kubectl's TYPE/NAME (secrets/db).

With VERB and RESOURCE, answers one question as kubectl auth can-i --as does:
"yes" with the grant that decides it (exit 0), or "no" (exit 1). -n is the
namespace of the request (default cluster-wide), --name the object's name. A
get of pods/exec, pods/attach or pods/portforward (a WebSocket connection)
also needs create on it since Kubernetes 1.35, and is answered so.

Without them, lists every rule the subject holds, with the binding that
grants it and where it applies (-n: only what applies in that namespace).`,
		Example: `  kubeward rbac can sa:shop/web get secrets -n shop -f deploy/
  kubeward rbac can user:alice create pods/exec -n shop --cluster
  kubeward rbac can sa:shop/web -f deploy/
  kubeward rbac can group:system:authenticated --cluster -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 && len(args) != 3 {
				return usageErr("want SUBJECT, or SUBJECT VERB RESOURCE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			subj, err := rbac.ParseSubject(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			var req *rbac.Attributes
			if len(args) == 3 {
				a, err := rbac.ParseRequest(args[1], args[2], name, namespace, group)
				if err != nil {
					return usageErr("%v", err)
				}
				req = &a
			} else if name != "" || group != "" {
				return usageErr("--name and --api-group need VERB RESOURCE")
			}
			m, err := f.load(cmd.Context(), s, nil)
			if err != nil {
				return err
			}
			u := rbac.UserInfoFor(subj, groups...)
			if req != nil {
				f.request(s, req)
				return answerCan(s, &f.out, subj, u, *req, m.CanDo(u, *req))
			}
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
				return writePermissions(w, f.catalog, subj, u, grants)
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request; without VERB RESOURCE, only what applies in this namespace")
	cmd.Flags().StringVar(&name, "name", "", "name of the object of the request")
	cmd.Flags().StringVar(&group, "api-group", "", "API group of the resource (or write RESOURCE.GROUP)")
	cmd.Flags().StringArrayVar(&groups, "group", nil, "an extra group of the subject (repeatable)")
	return cmd
}

// writePermissions is the table of rbac can SUBJECT: each rule with where
// it applies and what grants it; a rule given by a RoleBinding shows only
// what a RoleBinding can give.
func writePermissions(w io.Writer, cat *rbac.Catalog, subj rbac.Subject, u rbac.UserInfo, grants []rbac.Grant) error {
	fmt.Fprintf(w, "%s (user %q, groups %s) can:\n", subj, u.Name, strings.Join(u.Groups, ", "))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHERE\tVERBS\tAPI GROUPS\tRESOURCES\tNAMES\tBINDING\tROLE")
	idle := 0
	for _, g := range grants {
		if g.Binding.Kind == rbac.PrivilegedGroupKind {
			fmt.Fprintf(tw, "everywhere\t*\t*\t*\t\t(group system:masters)\t-\n")
			continue
		}
		r := g.Rule
		if g.Namespace != "" && len(r.NonResourceURLs) == 0 {
			in, ok := cat.InNamespace(&r)
			if !ok {
				idle++ // only cluster-scoped resources: a RoleBinding grants none of them
				continue
			}
			r = in
		}
		res, names := strings.Join(r.Resources, ","), strings.Join(r.ResourceNames, ",")
		if len(r.NonResourceURLs) > 0 {
			res = "URL " + strings.Join(r.NonResourceURLs, ",")
		}
		role := roleLabel(g)
		if g.Restored {
			role += " " + rbac.RestoredNote
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", grantWhere(g), strings.Join(r.Verbs, ","), strings.Join(coreGroup(r.APIGroups), ","), res, names, g.Binding, role)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if idle > 0 {
		fmt.Fprintf(w, "(%d rule(s) given by RoleBindings name only cluster-scoped resources, which a RoleBinding never grants; not listed)\n", idle)
	}
	return nil
}

// answerCan prints a yes/no answer and exits 0 for yes, 1 for no.
func answerCan(s Streams, out *outputFlag, subj rbac.Subject, u rbac.UserInfo, a rbac.Attributes, d rbac.Decision) error {
	if err := out.write(s, func(format string, w io.Writer) error {
		if format == "json" {
			return writeJSON(w, struct {
				Subject rbac.Subject    `json:"subject"`
				User    rbac.UserInfo   `json:"user"`
				Request rbac.Attributes `json:"request"`
				rbac.Decision
			}{subj, u, a, d})
		}
		if d.Allowed {
			fmt.Fprintln(w, "yes")
			fmt.Fprintf(w, "  %s may %s\n  allowed by %s\n", subj, a, decidingGrant(*d.Grant))
			if d.Also != nil {
				fmt.Fprintf(w, "  and, as the API server also checks create (Kubernetes 1.35+), by %s\n", decidingGrant(*d.Also))
			}
			return nil
		}
		fmt.Fprintln(w, "no")
		why := "no binding of " + subj.String() + " (or of its groups " + strings.Join(u.Groups, ", ") + ") allows it"
		if d.Reason != "" {
			why = d.Reason
		}
		_, err := fmt.Fprintf(w, "  %s may not %s: %s\n", subj, a, why)
		return err
	}); err != nil {
		return err
	}
	if !d.Allowed {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func decidingGrant(g rbac.Grant) string {
	if g.Binding.Kind == rbac.PrivilegedGroupKind {
		return g.String()
	}
	return fmt.Sprintf("%s -> %s rule %s", g.Binding, roleLabel(g), ruleLabel(g))
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
	var all, system bool
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
escalate, CSR approval for the kube-apiserver-client signer.

The input's own subjects come first; Kubernetes' own components (the
controllers' service accounts in kube-system, system: users and groups such as
system:kube-controller-manager and system:masters), which hold such rights by
design, are folded into one line unless --system.`,
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
			// The input's own subjects first, shortest paths first; then
			// Kubernetes' own components, which hold such rights by design,
			// folded into one line of the table unless asked for.
			sort.SliceStable(paths, func(i, j int) bool {
				if paths[i].BuiltIn != paths[j].BuiltIn {
					return !paths[i].BuiltIn
				}
				return len(paths[i].Steps) < len(paths[j].Steps)
			})
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, struct {
						Paths     []rbac.Path `json:"paths"`
						Reachable []rbac.Step `json:"reachable,omitempty"`
					}{paths, reach})
				}
				var builtIn []string
				own := 0
				for _, p := range paths {
					if p.BuiltIn && subj == nil && !system {
						builtIn = append(builtIn, p.Subject.String())
						continue
					}
					if !p.BuiltIn {
						own++
					}
					writePath(w, p)
				}
				switch {
				case len(paths) == 0 && subj != nil:
					fmt.Fprintf(w, "%s has no path to cluster-admin equivalence.\n", subj)
				case own == 0 && subj == nil:
					fmt.Fprintln(w, "No subject of the input has a path to cluster-admin equivalence.")
				}
				if len(builtIn) > 0 {
					fmt.Fprintf(w, "\n%d of Kubernetes' own components also have one, by design (--system shows their paths): %s\n",
						len(builtIn), foldList(builtIn, 6))
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
	cmd.Flags().BoolVar(&system, "system", false, "also show the paths of Kubernetes' own components (controllers, system: users and groups)")
	return cmd
}

func writePath(w io.Writer, p rbac.Path) {
	fmt.Fprintf(w, "%s -> cluster-admin in %d step(s):\n", p.Subject, len(p.Steps))
	for i, st := range p.Steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, st.Sentence())
		for _, g := range st.Grants {
			fmt.Fprintf(w, "       allowed by %s\n", g)
		}
	}
}

// foldList joins up to n items and counts the rest.
func foldList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
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
