package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/controller"
	"github.com/kubeward/kubeward/internal/framework"
	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/kubeward/kubeward/internal/report/policyreport"
	"github.com/kubeward/kubeward/internal/source/cluster"
	"github.com/kubeward/kubeward/internal/version"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/rand"
)

type controllerFlags struct {
	scan           scanFlags
	kubeconfig     string
	context        string
	reportAPI      string
	debounce       time.Duration
	resync         time.Duration
	writers        int
	qps            float32
	leaderElect    bool
	leaseNamespace string
	leaseName      string
	identity       string
	healthListen   string
	logLevel       string
}

func newControllerCmd(s Streams) *cobra.Command {
	f := &controllerFlags{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Keep the cluster's posture current as policy reports and metrics",
		Long: `Run in the cluster and keep its posture current: the checks of a cluster scan,
with the same configuration file, suppressions and coverage, re-run on every
change.

The controller watches the kinds the selected checks read (Secrets through the
metadata API, never with their values; kinds no check reads beyond their
metadata likewise). When an object changes, its object and pod checks run
again; the cross-object checks (RBAC, NetworkPolicy, Services...) that read
its kind run again over the current objects, once per burst of changes
(--debounce). Every --resync, everything is evaluated afresh.

Findings are written with server-side apply as one Report per namespace and
one ClusterReport (openreports.io/v1alpha1; --report-api wgpolicy writes
wgpolicyk8s.io/v1alpha2 PolicyReports for Policy Reporter), split when a report
would pass 1 MiB. Suppressed findings stay, as skip results with their reason;
checks that could not run are error results of the ClusterReport. Fixed or
deleted objects' results disappear; a namespace's report goes with it.

With --framework ID, each framework judged on the findings (as scan
--framework judges a scan) is a ClusterReport (ClusterPolicyReport) of its
own, kubeward-framework-ID, kept current as the findings change: a result
per control (policy: the framework, rule: the control), pass, fail with its
failing objects as resources (the first 25; properties.failingObjects counts
all), error when coverage left it not checked, skip when not applicable or
manual, and the score in the annotation kubeward.dev/framework-score. A
framework dropped from the flags loses its report at the next start.

With --leader-elect (the default) replicas share a Lease in
--leader-election-namespace: all evaluate, only the leader writes. /healthz,
/readyz and /metrics (Prometheus: findings by check, severity and namespace,
coverage gaps, time since the last full evaluation, change-to-report latency;
with --framework, each framework's score and controls by status, judged as
scan --framework judges a scan) are served over plain HTTP on --health-listen.

It needs get, list and watch on the kinds it reads, list, create, patch and
delete on the reports, and, with --leader-elect, Leases in its
namespace: docs/controller.md, and the Helm chart deploy/helm/kubeward.`,
		Example: `  kubeward controller --config /etc/kubeward/config.yaml
  kubeward controller --kubeconfig ~/.kube/config --leader-elect=false --report-api wgpolicy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return f.run(ctx, cmd, s)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scan.input.configPath, "config", "", "configuration file (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root): checks, suppressions, accepted coverage gaps")
	fl.StringSliceVar(&f.scan.checks, "checks", nil, "run only these checks: ids, globs (pss-*) or category:NAME")
	fl.StringSliceVar(&f.scan.skip, "skip-checks", nil, "do not run these checks: ids, globs or category:NAME")
	fl.StringSliceVar(&f.scan.frameworks, "framework", nil, "judge a compliance framework on the findings: a report of its controls (kubeward-framework-ID) and its score and controls by status as metrics: "+strings.Join(framework.IDs(), ", ")+" (repeatable; runs its controls' checks, as scan --framework; docs/frameworks.md)")
	fl.StringVar(&f.scan.pssLevel, "pss-level", "", "Pod Security Standards level to evaluate: baseline or restricted (default baseline)")
	fl.StringVar(&f.scan.pssVersion, "pss-version", "", "Pod Security Standards version: latest or v1.N (default latest)")
	fl.StringArrayVar(&f.scan.ignoreGaps, "ignore-gap", nil, "accept a known coverage gap, GAP=REASON: still reported, marked accepted (repeatable)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config; in a pod, its service account)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context to use")
	fl.StringVar(&f.reportAPI, "report-api", policyreport.OpenReports.Name, "the reports' API: openreports (openreports.io/v1alpha1 Report, ClusterReport) or wgpolicy (wgpolicyk8s.io/v1alpha2 PolicyReport, ClusterPolicyReport)")
	fl.DurationVar(&f.debounce, "debounce", 200*time.Millisecond, "how long changes gather before they are evaluated and written")
	fl.DurationVar(&f.resync, "resync", time.Hour, "period of full evaluations (every object again; suppression expiries)")
	fl.IntVar(&f.writers, "writers", 4, "reports written at once")
	fl.Float32Var(&f.qps, "kube-api-qps", 20, "requests per second to the API server for writes (watches are not counted)")
	fl.BoolVar(&f.leaderElect, "leader-elect", true, "elect one replica to write, through a Lease")
	fl.StringVar(&f.leaseNamespace, "leader-election-namespace", os.Getenv("POD_NAMESPACE"), "namespace of the Lease (default $POD_NAMESPACE)")
	fl.StringVar(&f.leaseName, "leader-election-name", "kubeward-controller", "name of the Lease")
	fl.StringVar(&f.identity, "leader-election-identity", "", "this replica's name in the Lease (default $POD_NAME or the host name, with a random suffix)")
	fl.StringVar(&f.healthListen, "health-listen", ":8080", "address of /healthz, /readyz and /metrics (plain HTTP); empty: none")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (JSON lines on standard error)")
	_ = cmd.RegisterFlagCompletionFunc("framework", completeFrameworks)
	return cmd
}

func (f *controllerFlags) run(ctx context.Context, cmd *cobra.Command, s Streams) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageErr("--log-level: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: level}))
	flavor, err := policyreport.ParseFlavor(f.reportAPI)
	if err != nil {
		return usageErr("--report-api: %v", err)
	}
	if f.debounce < 0 || f.resync < time.Minute || f.writers < 1 || f.qps <= 0 {
		return usageErr("--debounce must not be negative, --resync at least 1m, --writers and --kube-api-qps positive")
	}
	r, err := f.scan.prepare(cmd)
	if err != nil {
		return err
	}
	restCfg, name, err := cluster.Connect(cluster.Options{Kubeconfig: f.kubeconfig, Context: f.context})
	if err != nil {
		return usageErr("%v", err)
	}
	restCfg.UserAgent = "kubeward-controller/" + version.String()
	restCfg.Timeout = 0 // watches are long-lived; requests carry their own deadlines
	restCfg.QPS, restCfg.Burst = f.qps, int(2*f.qps)
	opts := controller.Options{
		Config: restCfg, Context: name, Checks: r.checks, CheckOptions: r.opts, Suppressions: r.suppress, AcceptGaps: r.acceptGaps, Frameworks: r.frameworks,
		Flavor: flavor, Debounce: f.debounce, Resync: f.resync, Writers: f.writers, Log: log,
	}
	if f.leaderElect {
		if f.leaseNamespace == "" {
			return usageErr("--leader-elect needs --leader-election-namespace (or $POD_NAMESPACE)")
		}
		id := f.identity
		if id == "" {
			if id = os.Getenv("POD_NAME"); id == "" {
				id, _ = os.Hostname()
			}
			id += "_" + rand.String(6)
		}
		opts.Election = &controller.Election{Namespace: f.leaseNamespace, Name: f.leaseName, Identity: id}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts.Registerer = reg
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(controller.GCPercent)
	}
	c := controller.New(opts)

	var health *http.Server
	if f.healthListen != "" {
		ln, err := net.Listen("tcp", f.healthListen)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		health, ln = httpguard.HealthServer(ln, c.Ready, reg, log.Handler())
		go func() {
			if err := health.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("health server", "error", err.Error())
			}
		}()
	}
	log.Info("kubeward controller starting", "version", version.String(), "cluster", name, "checks", len(r.checks), "reports", flavor.GroupVersion.String())
	runErr := c.Run(ctx)
	if health != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = health.Shutdown(sctx)
		cancel()
	}
	if runErr != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("controller: %w", runErr)}
	}
	return nil
}
