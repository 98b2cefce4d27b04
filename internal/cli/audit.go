package cli

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/audit/alert"
	auditconfig "github.com/kubeward/kubeward/internal/audit/config"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/kubeward/kubeward/internal/audit/respond"
	"github.com/kubeward/kubeward/internal/audit/server"
	"github.com/kubeward/kubeward/internal/audit/source"
	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/kubeward/kubeward/internal/report"
	"github.com/kubeward/kubeward/internal/source/cluster"
)

func newAuditCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Detect threats in the API server's audit events",
		Long: `Run-time threat detection on audit.k8s.io/v1 events: from log files (scan),
a log the API server is writing (watch), or the API server's webhook backend
(serve). Alerts are JSON lines (-o json, on standard output or appended to a
file with -o json=FILE), optionally posted to a webhook; audit scan also
writes a table for people (-o table, its default on a terminal). See
docs/audit.md and deploy/audit/ for the audit policy to use.`,
	}
	cmd.AddCommand(newAuditScanCmd(s), newAuditWatchCmd(s), newAuditServeCmd(s), newAuditRulesCmd(s))
	return cmd
}

// auditFlags are shared by scan, watch and serve.
type auditFlags struct {
	config        string
	out           outputFlag
	webhookURL    string
	webhookToken  string
	webhookCA     string
	webhookQueue  int
	dedup         time.Duration
	state         string
	maxEventBytes int
	logFormat     string
	kubeconfig    string
	context       string
	actionsLog    string
}

// register adds the shared flags; formats are the command's -o formats:
// json (one alert per line, appended to a FILE) for commands that stream
// alerts, and also table for audit scan, which reports when it is done.
func (f *auditFlags) register(cmd *cobra.Command, formats ...string) {
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "AuditConfig file: allow-lists, exceptions, rate limiting, response (docs/audit.md)")
	if len(formats) > 1 {
		f.out.register(cmd, formats, "", "json is one alert per line, appended to FILE; default table on a terminal, json otherwise")
	} else {
		f.out.register(cmd, formats, "json", "one alert per line, appended to FILE")
	}
	fl.StringVar(&f.webhookURL, "webhook-url", "", "also POST each alert as JSON to this URL (retried with backoff from a bounded queue)")
	fl.StringVar(&f.webhookToken, "webhook-token-file", "", "file with a bearer token for --webhook-url")
	fl.StringVar(&f.webhookCA, "webhook-ca-file", "", "CA bundle to verify --webhook-url (default: system roots)")
	fl.IntVar(&f.webhookQueue, "webhook-queue", 1024, "alerts waiting for --webhook-url before the oldest is dropped (and counted)")
	fl.DurationVar(&f.dedup, "dedup-window", -1, "fold alerts of the same rule and identity within this window into one with a count (default from --config, else 1m; 0 turns folding off)")
	fl.StringVar(&f.state, "state", "", "file keeping learned baselines between runs (loaded at start, saved at the end)")
	fl.IntVar(&f.maxEventBytes, "max-event-bytes", event.DefaultMaxDocBytes, "largest line, document or webhook batch accepted")
	fl.StringVar(&f.logFormat, "log-format", "text", "format of kubeward's own log on standard error: text or json")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for response actions (default $KUBECONFIG or ~/.kube/config; in a pod, its service account)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context for response actions")
	fl.StringVar(&f.actionsLog, "actions-log", "", "file to append response actions to as JSON lines (they are also in kubeward's log)")
}

// auditRun is the pipeline a subcommand runs, and how to shut it down.
type auditRun struct {
	log       *slog.Logger
	reg       *prometheus.Registry
	engine    *detect.Engine
	events    *pipeline.Metrics
	proc      *pipeline.Processor
	disp      *alert.Dispatcher
	quar      *respond.Quarantiner
	dec       *event.Decoder
	failOn    check.Severity
	mu        sync.Mutex
	bySev     map[check.Severity]int
	stateFile string
	report    *alert.Collector // alerts for the table outputs, when there are any
}

func (f *auditFlags) build(s Streams, sourceName string) (*auditRun, error) {
	log, err := newLogger(s.Err, f.logFormat)
	if err != nil {
		return nil, err
	}
	def := "json"
	if len(f.out.formats) > 1 && s.OutFile != nil && term.IsTerminal(int(s.OutFile.Fd())) {
		def = "table"
	}
	if err := f.out.parse(def); err != nil {
		return nil, err
	}
	if sourceName == server.Source {
		// A sender's requests cause the warnings (malformed and refused
		// batches): bound them and what they quote.
		log = httpguard.Logger(log)
	}
	cfg, err := auditconfig.Load(f.config)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	eng, err := detect.NewEngine(cfg.DetectOptions())
	if err != nil {
		return nil, usageErr("%v", err)
	}
	r := &auditRun{log: log, reg: prometheus.NewRegistry(), engine: eng, bySev: map[check.Severity]int{}, stateFile: f.state,
		dec: event.NewDecoder(event.Limits{MaxDocBytes: f.maxEventBytes})}
	if f.state != "" {
		if err := loadEngineState(eng, f.state); err != nil {
			return nil, usageErr("%v", err)
		}
	}
	am, err := alert.NewMetrics(r.reg)
	if err != nil {
		return nil, err
	}
	if r.events, err = pipeline.NewMetrics(r.reg); err != nil {
		return nil, err
	}
	sinks, err := f.sinks(s, am, log)
	if err != nil {
		return nil, err
	}
	for _, o := range f.out.outs {
		if o.format == "table" {
			r.report = alert.NewCollector(maxTableAlerts)
			sinks = append(sinks, r.report)
			break
		}
	}
	window := cfg.DedupWindow()
	if f.dedup >= 0 {
		window = f.dedup
	}
	r.disp = alert.NewDispatcher(alert.NewLimiter(window, 0, am), sinks, am, log)
	consumers := []func([]detect.Alert){r.disp.Dispatch, r.tally}
	if qo, on := cfg.Quarantine(); on {
		if r.quar, err = f.quarantiner(qo, log, r.reg); err != nil {
			return nil, err
		}
		consumers = append(consumers, r.quar.Consume)
	}
	r.proc = pipeline.New(sourceName, eng, r.events, log, consumers...)
	return r, nil
}

// maxTableAlerts bounds the alerts audit scan keeps for its table; JSON
// lines stream every alert.
const maxTableAlerts = 10000

func (f *auditFlags) sinks(s Streams, m *alert.Metrics, log *slog.Logger) ([]alert.Sink, error) {
	var sinks []alert.Sink
	for _, o := range f.out.outs {
		switch {
		case o.format != "json":
		case o.stdout():
			sinks = append(sinks, alert.NewJSONLines("stdout", s.Out, nil, m))
		default:
			file, err := os.OpenFile(o.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return nil, usageErr("alert output: %v", err)
			}
			sinks = append(sinks, alert.NewJSONLines("file", file, file, m))
		}
	}
	if f.webhookURL == "" {
		return sinks, nil
	}
	o := alert.WebhookOptions{URL: f.webhookURL, QueueSize: f.webhookQueue, Logger: log, Header: http.Header{}}
	if f.webhookToken != "" {
		tok, err := os.ReadFile(f.webhookToken)
		if err != nil {
			return nil, usageErr("webhook token: %v", err)
		}
		o.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.webhookCA != "" {
		pem, err := os.ReadFile(f.webhookCA)
		if err != nil {
			return nil, usageErr("webhook CA: %v", err)
		}
		tlsCfg.RootCAs = x509.NewCertPool()
		if !tlsCfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, usageErr("webhook CA: no certificate in %s", f.webhookCA)
		}
	}
	o.Client = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, Proxy: http.ProxyFromEnvironment}}
	w, err := alert.NewWebhook(o, m)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return append(sinks, w), nil
}

func (f *auditFlags) quarantiner(o respond.Options, log *slog.Logger, reg prometheus.Registerer) (*respond.Quarantiner, error) {
	o.Logger = log
	if f.actionsLog != "" {
		file, err := os.OpenFile(f.actionsLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, usageErr("--actions-log: %v", err)
		}
		o.Log = file // closed at exit
	}
	cfg, _, err := cluster.Connect(cluster.Options{Kubeconfig: f.kubeconfig, Context: f.context, Timeout: 10 * time.Second})
	var cs kubernetes.Interface
	switch {
	case err == nil:
		if cs, err = kubernetes.NewForConfig(cfg); err != nil {
			return nil, err
		}
	case o.DryRun:
		log.Warn("quarantine dry run without cluster access: actions are logged, not validated", "err", err)
	default:
		return nil, usageErr("quarantine needs cluster access: %v", err)
	}
	q, err := respond.New(cs, o, reg)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	log.Info("quarantine enabled", "rules", o.Rules, "dryRun", o.DryRun)
	return q, nil
}

func (r *auditRun) tally(alerts []detect.Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range alerts {
		r.bySev[a.Severity]++
	}
}

// close flushes rate-limit summaries, finishes response actions and webhook
// deliveries, and saves learned state.
func (r *auditRun) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if r.quar != nil {
		errs = append(errs, r.quar.Close(ctx))
	}
	errs = append(errs, r.disp.Close(ctx))
	if r.stateFile != "" {
		r.proc.Lock(func() { errs = append(errs, saveEngineState(r.engine, r.stateFile)) })
	}
	return errors.Join(errs...)
}

// finish closes the run, prints the summary and turns the reading error
// and the closing error into the exit status.
func (r *auditRun) finish(s Streams, out *outputFlag, runErr error) error {
	cerr := r.close()
	if r.report != nil {
		alerts, dropped := r.report.Alerts()
		// JSON lines were streamed as alerts came; the tables are written now.
		werr := out.only("table").writeEach(s, func(o output, w io.Writer) error {
			color := o.stdout() && s.OutFile != nil && report.ColorEnabled(s.OutFile)
			run := report.AlertRun{Dropped: dropped, InputErrors: countErrors(runErr)}
			return report.AlertTable(w, alerts, run, report.Options{Color: color, FailOn: r.failOn})
		})
		cerr = errors.Join(cerr, werr)
	}
	r.summary(s.Err)
	for _, err := range []error{runErr, cerr} {
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
	}
	return nil
}

// countErrors counts the errors joined in err.
func countErrors(err error) int {
	if err == nil {
		return 0
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return len(j.Unwrap())
	}
	return 1
}

// summary prints what was read and found, for people, on standard error.
func (r *auditRun) summary(w io.Writer) {
	c := r.proc.Counts()
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for sev := check.Critical; sev >= check.Info; sev-- {
		if n := r.bySev[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	found := "no alerts"
	if len(parts) > 0 {
		found = fmt.Sprintf("alerts: %s (%d written after folding duplicates)", strings.Join(parts, ", "), r.disp.Sent())
	}
	fmt.Fprintf(w, "kubeward audit: %d events, %d malformed skipped; %s\n", c.Processed, c.Malformed, found)
}

// failed reports alerts at or above the --fail-on severity.
func (r *auditRun) failed() bool {
	if r.failOn == check.SeverityUnknown {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for sev, n := range r.bySev {
		if sev >= r.failOn && n > 0 {
			return true
		}
	}
	return false
}

func loadEngineState(e *detect.Engine, file string) error {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detection state: %w", err)
	}
	defer f.Close()
	if err := e.LoadState(f); err != nil {
		return fmt.Errorf("detection state %s: %w", file, err)
	}
	return nil
}

func saveEngineState(e *detect.Engine, file string) error {
	var b strings.Builder
	if err := e.SaveState(&b); err != nil {
		return err
	}
	return source.WriteFileAtomic(file, []byte(b.String()))
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usageErr("unknown --log-format %q (want text or json)", format)
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

// tick emits rate-limit summaries as windows end, until ctx ends.
func (r *auditRun) tick(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.disp.Tick(now)
		}
	}
}

func newAuditScanCmd(s Streams) *cobra.Command {
	f := &auditFlags{}
	var failOn string
	cmd := &cobra.Command{
		Use:   "scan FILE...",
		Short: "Detect threats in audit log files (JSON lines, EventLists, GKE exports, gzip; \"-\" is standard input)",
		Long: `Read audit logs once and report alerts. Files may be JSON lines as the API
server's log backend writes them (each an Event or EventList), pretty-printed
documents, GKE's Cloud Audit Logs entries (gcloud logging read --format=json,
or one entry per line), and gzip-compressed. A document is an audit event only
if it says so (kind Event or EventList, or an auditID); any other is reported
with its line number and skipped. A file that holds no audit event (empty, or
every document malformed) is an error.

Exit codes: 0 done (and no alert at or above --fail-on), 1 alerts at or above
--fail-on, 2 usage error, unreadable input or a file without audit events.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.build(s, "scan")
			if err != nil {
				return err
			}
			if failOn != "none" {
				if r.failOn, err = check.ParseSeverity(failOn); err != nil {
					return usageErr("--fail-on: %v", err)
				}
			}
			if err := r.finish(s, &f.out, source.Scan(args, s.In, r.dec, r.proc)); err != nil {
				return err
			}
			if r.failed() {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	f.register(cmd, "table", "json")
	cmd.Flags().StringVar(&failOn, "fail-on", "none", "exit 1 when an alert has this severity or higher (info, low, medium, high, critical, none)")
	return cmd
}

func newAuditWatchCmd(s Streams) *cobra.Command {
	f := &auditFlags{}
	var position string
	var mf metricsFlags
	var fromStart bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "watch FILE",
		Short: "Follow an audit log as the API server writes and rotates it",
		Long: `Follow the log of the API server's log backend (--audit-log-path), through
rotation by rename and by truncation. The position is saved (--position) so a
restart resumes where it stopped, finishing a file rotated meanwhile first.
Without a saved position it starts at the end of the log, unless --from-start.
Stops on SIGINT or SIGTERM, saving its position and learned state.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := filepath.Abs(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if position == "" {
				if position, err = defaultStateFile(path, "position"); err != nil {
					return usageErr("--position: %v", err)
				}
			}
			if f.state == "" {
				f.state = strings.TrimSuffix(position, ".position.json") + ".state.json"
			}
			r, err := f.build(s, "watch")
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			go r.tick(ctx)
			if err := r.serveMetrics(ctx, mf); err != nil {
				return err
			}
			r.log.Info("watching audit log", "path", path, "position", position, "state", f.state)
			lastState := time.Now()
			ferr := source.Follow(ctx, source.FollowOptions{Path: path, StateFile: position, FromStart: fromStart, Poll: poll, Logger: r.log,
				OnCheckpoint: func() error {
					// Baselines change slowly: save them every minute, not
					// with every position.
					if time.Since(lastState) < time.Minute {
						return nil
					}
					lastState = time.Now()
					return saveEngineState(r.engine, f.state)
				}}, r.dec, r.proc)
			return r.finish(s, &f.out, ferr)
		},
	}
	f.register(cmd, "json")
	fl := cmd.Flags()
	fl.StringVar(&position, "position", "", "file keeping the read position (default: in the user state directory, named after the log)")
	fl.BoolVar(&fromStart, "from-start", false, "without a saved position, read the existing log from its start instead of its end")
	fl.DurationVar(&poll, "poll", 200*time.Millisecond, "how often to look for new lines and rotation")
	mf.register(fl, true)
	return cmd
}

func newAuditServeCmd(s Streams) *cobra.Command {
	f := &auditFlags{}
	var listen, cert, key, clientCA, tokenFile, path string
	var mf metricsFlags
	var clientNames []string
	var queueBytes int64
	var maxConns int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive audit events from the API server's webhook backend",
		Long: `Serve HTTPS (TLS 1.2+) for the API server's audit webhook backend
(--audit-webhook-config-file, see deploy/audit/webhook-kubeconfig.yaml). The
sender must present a client certificate signed by --client-ca (optionally
with a --client-name) or a token from --token-file. Batches are queued in
bounded memory; when the queue is full the receiver answers 429 with
Retry-After and the API server retries. Stops on SIGINT or SIGTERM after
processing every batch it acknowledged.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cert == "" || key == "" {
				return usageErr("--tls-cert and --tls-key are required")
			}
			var tokens []string
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return usageErr("--token-file: %v", err)
				}
				tokens = strings.Fields(string(b))
				if len(tokens) == 0 {
					return usageErr("--token-file: no token in %s", tokenFile)
				}
			}
			r, err := f.build(s, server.Source)
			if err != nil {
				return err
			}
			sm, err := server.NewMetrics(r.reg)
			if err != nil {
				return err
			}
			if maxConns <= 0 {
				return usageErr("--max-connections must be positive")
			}
			srv, err := server.New(server.Options{CertFile: cert, KeyFile: key, ClientCAFile: clientCA, ClientNames: clientNames, Tokens: tokens,
				Path: path, QueueBytes: queueBytes, Limits: event.Limits{MaxDocBytes: f.maxEventBytes}, Logger: r.log,
				Conns: httpguard.Limits{MaxConns: maxConns}}, r.proc, r.events, sm)
			if err != nil {
				return usageErr("%v", err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageErr("--listen: %v", err)
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			go r.tick(ctx)
			mf.cert, mf.key = cert, key
			if err := r.serveMetrics(ctx, mf); err != nil {
				return err
			}
			r.log.Info("receiving audit events", "address", ln.Addr().String(), "path", path)
			serr := srv.Serve(ctx, ln)
			return r.finish(s, &f.out, serr)
		},
	}
	f.register(cmd, "json")
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", ":8443", "address to receive on")
	fl.StringVar(&cert, "tls-cert", "", "serving certificate (PEM)")
	fl.StringVar(&key, "tls-key", "", "serving key (PEM)")
	fl.StringVar(&clientCA, "client-ca", "", "accept client certificates signed by these CAs (PEM)")
	fl.StringArrayVar(&clientNames, "client-name", nil, "accept only client certificates with this common name (repeatable)")
	fl.StringVar(&tokenFile, "token-file", "", "accept bearer tokens listed in this file (one per line)")
	fl.StringVar(&path, "path", "/", "URL path the API server posts to")
	fl.Int64Var(&queueBytes, "queue-bytes", 64<<20, "memory for batches being read, decoded or waiting to be processed (their events counted at their decoded size); beyond, batches get 429")
	fl.IntVar(&maxConns, "max-connections", 32, "connections open at once; past it new ones wait in the kernel's backlog")
	mf.register(fl, false)
	return cmd
}

// metricsFlags serve the Prometheus metrics of watch and serve.
type metricsFlags struct {
	addr, cert, key, tokenFile string
}

func (m *metricsFlags) register(fl *pflag.FlagSet, ownCert bool) {
	if ownCert {
		fl.StringVar(&m.addr, "metrics-addr", "", "serve Prometheus metrics over HTTPS at this address (needs --metrics-tls-cert and --metrics-tls-key; --metrics-token-file unless on loopback)")
		fl.StringVar(&m.cert, "metrics-tls-cert", "", "certificate for --metrics-addr")
		fl.StringVar(&m.key, "metrics-tls-key", "", "key for --metrics-addr")
	} else {
		fl.StringVar(&m.addr, "metrics-addr", "", "serve Prometheus metrics over HTTPS (the same certificate) at this address, e.g. :9443 (--metrics-token-file unless on loopback)")
	}
	fl.StringVar(&m.tokenFile, "metrics-token-file", "", "bearer tokens a scrape of --metrics-addr must present, one per line")
}

// serveMetrics starts the metrics server. Alert counters tell whoever
// reads them which of their actions were detected: off loopback, scrapes
// must present a token.
func (r *auditRun) serveMetrics(ctx context.Context, m metricsFlags) error {
	return serveRegistry(ctx, m, r.reg, r.log)
}

// serveRegistry serves reg's metrics as --metrics-addr says, until ctx
// ends.
func serveRegistry(ctx context.Context, m metricsFlags, reg *prometheus.Registry, log *slog.Logger) error {
	if m.addr == "" {
		return nil
	}
	if m.cert == "" || m.key == "" {
		return usageErr("--metrics-addr needs a TLS certificate and key")
	}
	var tokens []string
	if m.tokenFile != "" {
		b, err := os.ReadFile(m.tokenFile)
		if err != nil {
			return usageErr("--metrics-token-file: %v", err)
		}
		if tokens = strings.Fields(string(b)); len(tokens) == 0 {
			return usageErr("--metrics-token-file: no token in %s", m.tokenFile)
		}
	}
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		return usageErr("--metrics-addr: %v", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); len(tokens) == 0 && (!ok || !tcp.IP.IsLoopback()) {
		ln.Close()
		return usageErr("--metrics-addr %s is reachable from other hosts: give --metrics-token-file (scrapers present a bearer token), or listen on 127.0.0.1", m.addr)
	}
	go func() {
		if err := server.ServeMetrics(ctx, ln, m.cert, m.key, tokens, reg, log); err != nil {
			log.Error("metrics server", "err", err)
		}
	}()
	return nil
}

// defaultStateFile names a file in the user's state directory after the
// log it belongs to.
func defaultStateFile(logPath, what string) (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "kubeward", "audit-watch")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(logPath))
	return filepath.Join(dir, filepath.Base(logPath)+"-"+hex.EncodeToString(sum[:6])+"."+what+".json"), nil
}

func newAuditRulesCmd(s Streams) *cobra.Command {
	return newRulesCmd(s, "List the detection rules", func() []detect.Meta {
		rules := detect.Rules()
		metas := make([]detect.Meta, len(rules))
		for i := range rules {
			metas[i] = rules[i].Meta
		}
		return metas
	})
}

// newRulesCmd lists a rule catalogue, most severe first, as a table or
// JSON.
func newRulesCmd(s Streams, short string, catalogue func() []detect.Meta) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "rules",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.parse("table"); err != nil {
				return err
			}
			metas := catalogue()
			sort.SliceStable(metas, func(i, j int) bool { return metas[i].Severity > metas[j].Severity })
			return out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, metas)
				}
				return ruleTable(w, metas)
			})
		},
	}
	out.register(cmd, []string{"table", "json"}, "table", "")
	return cmd
}
