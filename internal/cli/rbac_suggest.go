package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/source"
	"github.com/kubeward/kubeward/internal/audit/suggest"
	"github.com/kubeward/kubeward/internal/rbac"
)

// identityFlags name the identity of rbac suggest and rbac unused.
type identityFlags struct {
	user, serviceAccount string
}

func (f *identityFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.user, "user", "", "the user")
	cmd.Flags().StringVar(&f.serviceAccount, "serviceaccount", "", "the service account, as NAMESPACE:NAME")
}

// subject returns the identity, or nil when none was named.
func (f *identityFlags) subject() (*rbac.Subject, error) {
	switch {
	case f.user != "" && f.serviceAccount != "":
		return nil, usageErr("name --user or --serviceaccount, not both")
	case f.user != "":
		if ns, name, ok := rbac.SplitServiceAccountUsername(f.user); ok {
			return &rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
		}
		return &rbac.Subject{Kind: rbac.KindUser, Name: f.user}, nil
	case f.serviceAccount != "":
		ns, name, ok := strings.Cut(f.serviceAccount, ":")
		if !ok || ns == "" || name == "" || strings.Contains(name, ":") {
			return nil, usageErr("--serviceaccount %q: want NAMESPACE:NAME", f.serviceAccount)
		}
		return &rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns, Name: name}, nil
	}
	return nil, nil
}

// readAudit reads audit logs into h, reporting malformed lines on stderr.
func readAudit(s Streams, files []string, h event.Handler) error {
	if len(files) == 0 {
		return usageErr("name the audit log with --audit FILE")
	}
	if err := source.Scan(files, s.In, event.NewDecoder(event.Limits{}), h); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

func newRBACSuggestCmd(s Streams) *cobra.Command {
	var id identityFlags
	var audits []string
	o := suggest.Options{}
	cmd := &cobra.Command{
		Use:   "suggest --audit FILE (--user NAME | --serviceaccount NS:NAME)",
		Short: "Write the least-privilege Roles and bindings that cover what an identity did",
		Long: `Read audit logs and write, as YAML, the Role per namespace and the ClusterRole
(with their bindings) that allow exactly the requests the identity was
authorized for: the same verbs, resources, subresources and non-resource URLs,
and resource names where RBAC can use them (not for create on a collection or
deletecollection, and not beyond --max-names names). Requests made by
impersonating someone become impersonate rules for the identity; requests the
default roles already allow every authenticated identity are left out unless
--include-implicit; denied requests are listed in the header, not granted
(unless the identity was allowed them later). A WebSocket exec, attach or
port-forward (a get of pods/exec, pods/attach, pods/portforward) also gets
create, which Kubernetes 1.35+ checks before connecting.

An empty log, or an identity with no event in it (a misspelt name), is an
error (exit 2), never an empty suggestion. The logs need at least the
Metadata level (deploy/audit/policy.yaml).`,
		Example: `  kubeward rbac suggest --audit /var/log/kubernetes/audit.log --serviceaccount ci:deployer > ci-deployer-rbac.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			subj, err := id.subject()
			if err != nil {
				return err
			}
			if subj == nil {
				return usageErr("name the identity with --user or --serviceaccount")
			}
			o.Subject = *subj
			c, err := suggest.NewCollector(o)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := readAudit(s, audits, c); err != nil {
				return err
			}
			r := c.Result()
			for _, m := range r.Malformed {
				fmt.Fprintf(s.Err, "warning: skipped %s\n", m)
			}
			// Fail closed: an identity that never appears (a misspelt name)
			// must not look like a suggestion; readAudit refused a log
			// without events.
			switch {
			case r.Mine == 0:
				hint := ""
				if r.Nearest != "" {
					hint = fmt.Sprintf("; did you mean %q?", r.Nearest)
				}
				return &exitError{code: ExitError, err: fmt.Errorf("%s made no request in the %d events read%s", o.Subject, r.Events, hint)}
			case r.Requests == 0:
				fmt.Fprintf(s.Err, "kubeward: no authorized request by %s beyond what every identity may do, in %d of its events; nothing to grant\n", o.Subject, r.Mine)
			}
			y, err := r.YAML()
			if err != nil {
				return err
			}
			_, err = s.Out.Write(y)
			return err
		},
	}
	id.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&audits, "audit", nil, "audit log to read (repeatable; JSON lines, EventLists, gzip; \"-\" is standard input)")
	fl.StringVar(&o.Name, "name", "", "name of the generated roles and bindings (default kubeward-suggested-IDENTITY)")
	fl.IntVar(&o.MaxNames, "max-names", 10, "most resourceNames in a rule; with more names the rule allows all")
	fl.BoolVar(&o.IncludeImplicit, "include-implicit", false, "also grant what the default roles give every authenticated identity")
	return cmd
}

func newRBACUnusedCmd(s Streams) *cobra.Command {
	f := &rbacFlags{}
	var id identityFlags
	var audits []string
	var includeSystem bool
	cmd := &cobra.Command{
		Use:   "unused --audit FILE (-f PATH... | --cluster)",
		Short: "List granted permissions that no request in the audit log used",
		Long: `Compare what bindings grant (from manifests or the live cluster) with the
requests of audit logs. Each request is credited to the grant the API server's
RBAC authorizer uses for it (the first that allows it), so the rules listed as
unused can be removed without denying any request of the log. A rule is
"partly used" when some of its verbs and resources were never used (rules
without wildcards or resource names only). A permission unused within the
log's time span (printed; events without timestamps are counted) may still be
needed later: read a span longer than the longest cycle (monthly jobs).
Requests of identities in group system:masters are allowed before RBAC and use
no grant: their grants are reported unused with a note saying so. Bootstrap
bindings and system: subjects are left out unless --include-system. A log
without any authorized request is an error (exit 2).`,
		Example: `  kubeward rbac unused --audit audit.log --cluster
  kubeward rbac unused --audit audit.log.gz -f deploy/ --serviceaccount ci:deployer -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			subj, err := id.subject()
			if err != nil {
				return err
			}
			u := suggest.NewUsage()
			if err := readAudit(s, audits, u); err != nil {
				return err
			}
			if u.Authorized() == 0 {
				// Every grant would look unused.
				return &exitError{code: ExitError, err: fmt.Errorf("no authorized request in %s: nothing to compare the grants with", strings.Join(audits, ", "))}
			}
			m, err := f.load(cmd.Context(), s, args)
			if err != nil {
				return err
			}
			rep := u.Unused(m.Model, suggest.UnusedOptions{Subject: subj, IncludeSystem: includeSystem})
			for _, mal := range rep.Malformed {
				fmt.Fprintf(s.Err, "warning: skipped %s\n", mal)
			}
			return f.out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, rep)
				}
				fmt.Fprintf(w, "%d authorized requests read, %s; %d grants unused or partly used:\n", rep.Events, rep.Span, len(rep.Grants))
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SUBJECT\tBINDING\tROLE\tRULE\tSTATUS\tNEVER USED")
				notes := map[string]bool{}
				for _, g := range rep.Grants {
					never := strings.Join(g.Unused, ", ")
					if g.Status == "unused" {
						never = "all of it"
					}
					status := g.Status
					if g.Note != "" {
						status += " (system:masters, see below)"
						notes[g.Note] = true
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", g.Subject, g.Binding, g.Role, rbac.RuleString(&g.Rule), status, never)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				for _, n := range slices.Sorted(maps.Keys(notes)) {
					fmt.Fprintf(w, "note: %s\n", n)
				}
				return nil
			})
		},
	}
	f.register(cmd)
	id.register(cmd)
	cmd.Flags().StringArrayVar(&audits, "audit", nil, "audit log to read (repeatable; JSON lines, EventLists, gzip)")
	cmd.Flags().BoolVar(&includeSystem, "include-system", false, "also report bootstrap bindings and system: subjects")
	return cmd
}
