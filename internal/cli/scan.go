package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kubeward/kubeward/internal/baseline"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/apiversion"
	"github.com/kubeward/kubeward/internal/checks/image"
	pssChecks "github.com/kubeward/kubeward/internal/checks/pss"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/policy/custom"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/version"
	"github.com/spf13/cobra"
)

// scanFlags are the flags shared by every kind of scan.
type scanFlags struct {
	out            outputFlag
	failOn         string
	severity       string
	baseline       string
	checks, skip   []string
	frameworks     []string
	pssLevel       string
	pssVersion     string
	input          inputFlags
	showSuppressed bool
	failIncomplete bool
	gateVendored   bool
	ignoreGaps     []string
	sarifOmit      bool
	vulnDB         vulnDBFlags // --vuln-db (images_vulns.go)
	cluster        clusterFlags
	customChecks   []string
	nodeConfig     string // --node-config DIR (node.go)
	images         imageFlags
	// platform chooses the image of a multi-platform index whose packages
	// are judged (images check --platform; zero: linux/amd64).
	platform v1.Platform
}

func (f *scanFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.out.register(cmd, report.Formats(), "table", "")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when an unsuppressed finding has this severity or higher: info, low, medium, high, critical or none")
	fl.StringVar(&f.severity, "severity", "", "list only findings of this severity or higher in table, compact, markdown and html outputs (they all still count, and --fail-on still gates on them): info, low, medium, high or critical")
	fl.StringVar(&f.baseline, "baseline", "", "JSON report of an earlier scan (-o json=FILE, written without --baseline): report and gate only findings it does not hold, matched by fingerprint (docs/ci.md)")
	fl.StringSliceVar(&f.checks, "checks", nil, "run only these checks: ids, globs (pss-*) or category:NAME")
	fl.StringSliceVar(&f.skip, "skip-checks", nil, "do not run these checks: ids, globs or category:NAME")
	fl.StringSliceVar(&f.frameworks, "framework", nil, "run the checks of a compliance framework and report a result per control with a score: "+strings.Join(framework.IDs(), ", ")+" (repeatable; docs/frameworks.md)")
	fl.StringVar(&f.pssLevel, "pss-level", "", "Pod Security Standards level to evaluate: baseline or restricted (default baseline)")
	fl.StringVar(&f.pssVersion, "pss-version", "", "Pod Security Standards version: latest or v1.N (default latest)")
	f.input.register(cmd)
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "list suppressed findings in the table output")
	fl.BoolVar(&f.sarifOmit, "sarif-omit-suppressed", false, "leave suppressed findings out of SARIF (GitHub code scanning ignores SARIF suppressions and would open alerts for them)")
	f.vulnDB.register(cmd)
	f.registerCoverage(cmd)
	f.cluster.register(cmd)
	fl.StringArrayVar(&f.customChecks, "custom-checks", nil, "file or directory of custom CEL checks to run with the built-in ones (repeatable; see docs/policy.md)")
	f.images.register(cmd, "images", false, "read the images' registries: resolve tags, verify signatures and attestations under images.policies, match packages against the OSV database (--vuln-db); with --cluster also the digests pods run (see docs/images.md); without it, image checks that need a registry report that they did not run")
	fl.StringVar(&f.nodeConfig, "node-config", "", "scan a directory of node files (static pod manifests, KubeletConfiguration, kubelet unit and kubeadm-flags.env, encryption and audit configuration) with the control-plane and node checks")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(check.Severities(), "none"), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("severity", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return check.Severities(), cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.RegisterFlagCompletionFunc("framework", completeFrameworks)
	_ = cmd.RegisterFlagCompletionFunc("pss-level", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"baseline", "restricted"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// registerCoverage adds the flags of the coverage gate.
func (f *scanFlags) registerCoverage(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.failIncomplete, "fail-on-incomplete", false, "exit 1 when the coverage report has a gap nobody accepted: a kind the identity could not read, or a check with nothing to judge (see the coverage section)")
	fl.BoolVar(&f.gateVendored, "gate-vendored", false, "count findings in vendored code (a chart's charts/ dependencies, paths.vendored of the configuration) in the gate; they are listed apart either way")
	fl.StringArrayVar(&f.ignoreGaps, "ignore-gap", nil, "accept a known coverage gap, GAP=REASON (GAP as the coverage report names it: podtemplates, secrets, control-plane, ...); it is still reported but does not fail --fail-on-incomplete (repeatable)")
}

// run is a prepared scan: options, checks, suppressions and the gate.
type run struct {
	failIncomplete bool
	gateVendored   bool
	vendored       *scan.Vendored
	acceptGaps     []scan.AcceptGap
	opts           *check.Options
	checks         []*check.Check
	suppress       *check.Suppressions
	failOn         check.Severity // SeverityUnknown: never fail
	severity       check.Severity // --severity: what the human formats list
	baseline       *baseline.Report
	baselined      int // findings the baseline holds, left out of the result
	frameworks     []*framework.Framework
	config         foundConfig
}

// prepare merges defaults, the configuration file and flags, in that order.
func (f *scanFlags) prepare(cmd *cobra.Command) (*run, error) {
	opts := check.DefaultOptions()
	failOn := "high"
	var include, exclude, customPaths []string
	var accepts []scan.AcceptGap
	sup := &check.Suppressions{}
	found, err := loadConfig(cmd.ErrOrStderr(), f.input.configPath)
	if err != nil {
		return nil, err
	}
	path, cfg := found.path, found.file
	if path != "" {
		cfg.Apply(opts)
		for _, reg := range opts.AllowedRegistries {
			if err := image.ValidateAllowedRegistry(reg); err != nil {
				return nil, usageErr("config %s: images.allowedRegistries: %v", path, err)
			}
		}
		for _, reg := range opts.PrivateRegistries {
			if err := image.ValidateAllowedRegistry(reg); err != nil {
				return nil, usageErr("config %s: images.privateRegistries: %v", path, err)
			}
		}
		if cfg.FailOn != "" {
			failOn = cfg.FailOn
		}
		include, exclude = cfg.Checks.Include, cfg.Checks.Exclude
		sup.Rules, sup.Origin = slices.Concat(cfg.Suppressions, cfg.ImageSuppressions()), path
		customPaths = cfg.CustomCheckPaths()
		for i, g := range cfg.Coverage.IgnoreGaps {
			accepts = append(accepts, scan.AcceptGap{ID: g.Gap, Reason: g.Reason, Origin: fmt.Sprintf("%s coverage.ignoreGaps[%d]", path, i)})
		}
	}
	for _, spec := range f.ignoreGaps {
		gap, reason, _ := strings.Cut(spec, "=")
		if err := config.ValidateIgnoreGap(strings.TrimSpace(gap), reason); err != nil {
			return nil, usageErr("--ignore-gap %s: %v (write --ignore-gap GAP=REASON)", spec, err)
		}
		accepts = append(accepts, scan.AcceptGap{ID: strings.TrimSpace(gap), Reason: strings.TrimSpace(reason), Origin: "--ignore-gap"})
	}
	fl := cmd.Flags()
	if fl.Changed("fail-on") {
		failOn = f.failOn
	}
	if fl.Changed("pss-level") {
		opts.PSSLevel = f.pssLevel
	}
	if fl.Changed("pss-version") {
		opts.PSSVersion = f.pssVersion
	}
	if fl.Changed("kube-version") {
		opts.KubeVersion = f.input.kubeVersion
	}
	if opts.KubeVersion != "" {
		if _, err := apiversion.ParseKubeVersion(opts.KubeVersion); err != nil {
			return nil, usageErr("%v", err)
		}
	}
	if err := vulnerabilityPolicy(found, fl.Changed("vuln-db"), opts); err != nil {
		return nil, err
	}
	if fl.Changed("checks") {
		include = f.checks
	}
	fws, err := f.selectFrameworks(fl.Changed("checks"), fl.Changed("pss-level"), opts)
	if err != nil {
		return nil, err
	}
	if len(fws) > 0 {
		include = nil
		for _, fw := range fws {
			include = append(include, fw.Checks()...)
		}
	}
	exclude = slices.Concat(exclude, f.skip)
	if _, err := pssChecks.Evaluator().LevelVersion(opts.PSSLevel, opts.PSSVersion); err != nil {
		return nil, usageErr("%v", err)
	}
	r := &run{opts: opts, suppress: sup, failIncomplete: f.failIncomplete, gateVendored: f.gateVendored, acceptGaps: accepts, config: found, frameworks: fws}
	if path != "" && len(cfg.Paths.Vendored) > 0 {
		if r.vendored, err = scan.NewVendored(cfg.Paths.Vendored, filepath.Dir(path)); err != nil {
			return nil, usageErr("config %s: %v", path, err)
		}
	}
	if failOn != "none" {
		sev, err := check.ParseSeverity(failOn)
		if err != nil {
			return nil, usageErr("--fail-on: %v", err)
		}
		r.failOn = sev
	}
	if f.severity != "" {
		sev, err := check.ParseSeverity(f.severity)
		if err != nil {
			return nil, usageErr("--severity: %v", err)
		}
		r.severity = sev
	}
	if f.baseline != "" {
		if r.baseline, err = baseline.ReadFile(f.baseline); err != nil {
			return nil, usageErr("--baseline: %v", err)
		}
	}
	all := check.All()
	if paths := slices.Concat(customPaths, f.customChecks); len(paths) > 0 {
		cs, err := custom.Load(paths...)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		all = append(all, cs...)
	}
	checks, err := check.Select(all, include, exclude)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	r.checks = checks
	// Outputs are checked before the scan, so a usage error never follows
	// a report already written.
	if err := f.out.parse("table"); err != nil {
		return nil, err
	}
	return r, nil
}

func completeFrameworks(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return framework.IDs(), cobra.ShellCompDirectiveNoFileComp
}

// selectFrameworks reads the frameworks --framework names and sets the
// Pod Security level they are judged at.
func (f *scanFlags) selectFrameworks(checksSet, levelSet bool, opts *check.Options) ([]*framework.Framework, error) {
	if len(f.frameworks) == 0 {
		return nil, nil
	}
	if checksSet {
		return nil, usageErr("--framework selects the checks of its controls; do not also give --checks (--skip-checks still applies)")
	}
	var fws []*framework.Framework
	level := ""
	for _, id := range f.frameworks {
		fw, err := framework.Get(strings.TrimSpace(id))
		if err != nil {
			return nil, usageErr("--framework: %v", err)
		}
		if fw.PSSLevel != "" {
			if level != "" && level != fw.PSSLevel {
				return nil, usageErr("--framework %s judges at Pod Security level %s, another framework at %s: scan them apart", fw.ID, fw.PSSLevel, level)
			}
			level = fw.PSSLevel
		}
		fws = append(fws, fw)
	}
	if level != "" {
		if levelSet && opts.PSSLevel != level {
			return nil, usageErr("--framework judges at Pod Security level %s; --pss-level %s contradicts it", level, opts.PSSLevel)
		}
		opts.PSSLevel = level
	}
	return fws, nil
}

// reportOptions are the options every report of the run shares: the gate
// they state is the one the exit code follows.
func (r *run) reportOptions() report.Options {
	return report.Options{Checks: r.checks, ToolVersion: version.String(), FailOn: r.failOn, FailOnIncomplete: r.failIncomplete,
		Baselined: r.baselined, GateVendored: r.gateVendored}
}

// finish writes the reports and turns the result into an exit code.
func (f *scanFlags) finish(s Streams, r *run, res *scan.Result) error {
	for _, a := range res.UnmatchedAccepts {
		fmt.Fprintf(s.Err, "warning: %s accepts gap %q, which this scan does not have\n", a.Origin, a.ID)
	}
	// A framework judges the whole result: a baseline hides old findings
	// from the gate, not from compliance.
	var results []*framework.Result
	for _, fw := range r.frameworks {
		results = append(results, framework.Evaluate(fw, res))
	}
	if r.baseline != nil {
		res.Findings, r.baselined = baseline.Filter(res.Findings, r.baseline)
	}
	err := f.out.writeEach(s, func(o output, w io.Writer) error {
		ro := r.reportOptions()
		ro.Frameworks = results
		ro.ShowSuppressed, ro.SARIFOmitSuppressed, ro.Severity = f.showSuppressed, f.sarifOmit, r.severity
		ro.Color = o.format == "table" && o.stdout() && s.OutFile != nil && report.ColorEnabled(s.OutFile)
		if o.stdout() {
			ro.Width = terminalWidth(s.OutFile)
		}
		return report.Write(o.format, w, res, ro)
	})
	if err != nil {
		return err
	}
	return gate(r, res)
}

// gate turns the result into the exit code every report states
// (report.Summary.ExitCode): input errors first (the scan is incomplete),
// then findings at or above the gate, then incomplete coverage with
// --fail-on-incomplete.
func gate(r *run, res *scan.Result) error {
	sum := report.Summarize(res, r.reportOptions())
	switch code := sum.ExitCode(); {
	case code == report.ExitError:
		return &exitError{code: ExitError, err: fmt.Errorf("%d input error(s): the scan is incomplete", sum.Errors)}
	case code == report.ExitFindings && sum.Gate.Failed:
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d finding(s) at or above %s", sum.Gate.Count, r.failOn)}
	case code == report.ExitFindings:
		return &exitError{code: ExitFindings, err: fmt.Errorf("coverage is incomplete: %d open gap(s) (accept a known one with --ignore-gap GAP=REASON)", sum.Gaps)}
	}
	return nil
}

func newScanCmd(s Streams) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [PATH|-]...",
		Short: "Scan manifests, Helm charts and Kustomize overlays",
		Long: `Scan Kubernetes manifests (YAML or JSON, multi-document, List and typed lists such
as an API server's PodList), Helm charts (a directory with Chart.yaml or a .tgz,
rendered offline with --values, --set... and the release flags) and Kustomize
overlays (a directory with kustomization.yaml, built offline; findings name the
file and line each field was written in, the patch's when a patch set it).
Directories are searched recursively for *.yaml, *.yml and *.json, leaving out
what .kubewardignore files and paths.exclude of the configuration exclude; "-"
reads standard input, and a pipe named as a path is read as it is. Default: ".".
docs/input.md states what is read and what is an error.

With --cluster, the objects come from the cluster of the kubeconfig context
instead; only the kinds the selected checks read are listed, Secrets without
their values. What the scan could not read or judge is reported as coverage
gaps, one per cause (a kind the identity may not list, a control plane the API
does not show), with the checks each affects and the grant that would close
it; docs/cluster.md explains them and the ClusterRole kubeward needs.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a coverage gap
with --fail-on-incomplete), 2 usage or input error: a path that does not exist,
input with nothing to check (empty standard input), a document that could not be
read or that the API server would reject, a chart that did not render.`,
		Example: `  kubeward scan deploy/
  kubeward scan --cluster --context prod -o json=prod.json
  kubeward scan -o sarif=kubeward.sarif -o table --fail-on medium .
  helm template my-chart | kubeward scan -
  kubeward scan charts/web --values prod-values.yaml --set image.tag=1.2.3
  kubeward scan --images deploy/          # also verify image signatures (images.policies)`,
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.images.close()
			r, err := f.prepare(cmd)
			if err != nil {
				return err
			}
			if !f.cluster.enabled {
				// They choose what --cluster lists; a file scan judges every
				// object it is given, so they would be silently ignored.
				for _, name := range []string{"namespace", "selector", "all-namespaces"} {
					if cmd.Flags().Changed(name) {
						return usageErr("--%s selects what --cluster reads; to scan part of the files, name those files", name)
					}
				}
			}
			if f.nodeConfig != "" {
				if len(args) > 0 || f.cluster.enabled {
					return usageErr("--node-config scans its directory; do not name paths or --cluster")
				}
				return f.scanNodeConfig(s, r, f.nodeConfig)
			}
			if f.cluster.enabled {
				if len(args) > 0 {
					return usageErr("--cluster scans the cluster; do not name paths")
				}
				return f.scanCluster(cmd.Context(), s, r)
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			l, err := f.input.loader(s, r.config)
			if err != nil {
				return err
			}
			so := scan.Options{Checks: r.checks, CheckOptions: r.opts, Suppressions: r.suppress, Vendored: r.vendored}
			var gaps []scan.Gap
			if f.images.enabled {
				if so.Images, gaps, err = f.imageHook(cmd.Context(), r, nil); err != nil {
					return err
				}
			}
			engine := scan.New(so)
			res, _, err := engine.Files(l, args)
			if err != nil {
				return loadError(s.Err, engine.Log, err)
			}
			res.Coverage = append(res.Coverage, gaps...)
			return f.finish(s, r, res)
		},
	}
	f.register(cmd)
	return cmd
}

// scanCluster lists what the selected checks read and runs them.
func (f *scanFlags) scanCluster(ctx context.Context, s Streams, r *run) error {
	kinds, metaOnly := scan.ClusterInputs(r.checks)
	loaded, err := f.cluster.load(ctx, kinds, metaOnly, s.Err)
	if err != nil {
		return err
	}
	if loaded.ServerVersion != nil {
		r.opts.ServerVersion = loaded.ServerVersion.GitVersion
	}
	unreadable := make([]scan.Unreadable, len(loaded.Failures))
	for i, fl := range loaded.Failures {
		unreadable[i] = scan.Unreadable(fl)
	}
	so := scan.Options{Checks: r.checks, CheckOptions: r.opts, Suppressions: r.suppress,
		Mode: scan.ModeCluster, Unreadable: unreadable, AcceptGaps: r.acceptGaps}
	var gaps []scan.Gap
	if f.images.enabled {
		kc, err := f.cluster.keychains()
		if err != nil {
			return err
		}
		if so.Images, gaps, err = f.imageHook(ctx, r, kc); err != nil {
			return err
		}
	}
	res := scan.New(so).Inventory(loaded.Inventory)
	res.Coverage = append(res.Coverage, gaps...)
	return f.finish(s, r, res)
}
