package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kubeward/kubeward/internal/admission"
	"github.com/kubeward/kubeward/internal/config"
	"github.com/kubeward/kubeward/internal/httpguard"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/source"
	"github.com/kubeward/kubeward/internal/source/cluster"
	"github.com/kubeward/kubeward/internal/version"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

func newWebhookCmd(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Enforce the scan's checks at admission (validating webhook)",
		Long: `kubeward's validating admission webhook runs the object and pod checks of
"kubeward scan", with the same configuration file and suppressions, on every
Pod and workload the API server admits. Namespace labels choose what happens
to findings, as with Pod Security Admission:

  kubeward.dev/enforce: high     deny at or above this severity
  kubeward.dev/warn: medium      return warnings kubectl prints
  kubeward.dev/audit: low        add audit annotations

See docs/webhook.md for modes, exemptions, failure policy and break-glass.`,
	}
	cmd.AddCommand(newWebhookServeCmd(s), newWebhookConfigCmd(s))
	return cmd
}

// webhookFlags are serve's flags; the check selection and options flags
// are the scan's, and the run is prepared exactly as a scan's.
type webhookFlags struct {
	scan         scanFlags
	listen       string
	healthListen string
	path         string
	certFile     string
	keyFile      string
	selfManaged  bool
	caSecret     string
	configName   string
	serviceName  string
	sans         []string
	certValidity time.Duration
	namespace    string
	kubeconfig   string
	context      string
	shutdown     time.Duration
	logLevel     string
	maxConns     int
	inFlight     int64
}

func newWebhookServeCmd(s Streams) *cobra.Command {
	f := &webhookFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve admission reviews over HTTPS",
		Long: `Serve AdmissionReviews (admission.k8s.io/v1) on --listen at --path, over TLS 1.2
or later, and /healthz, /readyz and /metrics over plain HTTP on --health-listen.

The serving certificate comes from --tls-cert-file and --tls-key-file, which are
reloaded when they change (no restart needed to rotate them), or, with
--self-managed-ca, from a CA kept in a Secret of the webhook's namespace, whose
certificate is written into the caBundle of --webhook-config-name.

Namespace labels are read through a watch on Namespaces: the webhook needs get,
list and watch on namespaces (and, with --self-managed-ca, get and create on
its CA Secret and get and update on its ValidatingWebhookConfiguration).

On SIGTERM it turns unready, keeps serving for --shutdown-delay while the
Service drops it, then finishes the requests in flight and exits.`,
		Example: `  kubeward webhook serve --tls-cert-file /tls/tls.crt --tls-key-file /tls/tls.key
  kubeward webhook serve --self-managed-ca --namespace kubeward --config /etc/kubeward/config.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			defer f.scan.images.close()
			return f.serve(ctx, cmd, s)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scan.input.configPath, "config", "", "configuration file (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root); its webhook section sets modes and exemptions")
	fl.StringSliceVar(&f.scan.checks, "checks", nil, "run only these checks: ids, globs (pss-*) or category:NAME")
	fl.StringSliceVar(&f.scan.skip, "skip-checks", nil, "do not run these checks: ids, globs or category:NAME")
	fl.StringVar(&f.scan.pssLevel, "pss-level", "", "Pod Security Standards level to evaluate: baseline or restricted (default baseline)")
	fl.StringVar(&f.scan.pssVersion, "pss-version", "", "Pod Security Standards version: latest or v1.N (default latest)")
	f.scan.images.register(cmd, "images", true, "verify the images of reviewed objects under images.policies (their registries are read within webhook.imageBudget); --images=false leaves the image checks out")
	fl.StringVar(&f.listen, "listen", ":8443", "address of the HTTPS review endpoint")
	fl.StringVar(&f.healthListen, "health-listen", ":8080", "address of /healthz, /readyz and /metrics (plain HTTP); empty: none")
	fl.StringVar(&f.path, "path", admission.DefaultPath, "path of the review endpoint")
	fl.StringVar(&f.certFile, "tls-cert-file", "", "serving certificate (PEM), reloaded when it changes")
	fl.StringVar(&f.keyFile, "tls-key-file", "", "serving key (PEM), reloaded when it changes")
	fl.BoolVar(&f.selfManaged, "self-managed-ca", false, "issue the serving certificate from a CA kept in a Secret and write its caBundle into the webhook configuration")
	fl.StringVar(&f.caSecret, "ca-secret", "kubeward-webhook-ca", "with --self-managed-ca: the Secret, in --namespace, that holds the CA")
	fl.StringVar(&f.configName, "webhook-config-name", admission.DefaultConfigName, "with --self-managed-ca: the ValidatingWebhookConfiguration whose caBundle to write")
	fl.StringVar(&f.serviceName, "service-name", "kubeward-webhook", "with --self-managed-ca: the Service in front of the webhook, for the certificate's names")
	fl.StringSliceVar(&f.sans, "tls-san", nil, "with --self-managed-ca: more DNS names or IP addresses for the certificate")
	fl.DurationVar(&f.certValidity, "cert-validity", 365*24*time.Hour, "with --self-managed-ca: validity of serving certificates (renewed after two thirds)")
	fl.StringVar(&f.namespace, "namespace", os.Getenv("POD_NAMESPACE"), "the webhook's own namespace, always exempt (default $POD_NAMESPACE)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config; in a pod, its service account)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context to use")
	fl.DurationVar(&f.shutdown, "shutdown-delay", 5*time.Second, "after SIGTERM, keep serving (unready) this long before stopping")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (JSON lines on standard error)")
	fl.IntVar(&f.maxConns, "max-connections", httpguard.DefaultMaxConns, "connections open at once on --listen; past it new ones wait in the kernel's backlog")
	fl.Int64Var(&f.inFlight, "in-flight-bytes", admission.DefaultInFlightBytes, "memory for the reviews in progress, reserved from each review's size; past it a review waits up to 1s, then gets 429")
	return cmd
}

func (f *webhookFlags) serve(ctx context.Context, cmd *cobra.Command, s Streams) error {
	admission.TuneGC()
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageErr("--log-level: %v", err)
	}
	// Guarded: strings are bounded and a client cannot multiply warnings.
	log := httpguard.Logger(slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: level})))
	if f.maxConns <= 0 || f.inFlight < admission.MaxReviewCost {
		return usageErr("--max-connections must be positive and --in-flight-bytes at least %d (one review of the largest size)", admission.MaxReviewCost)
	}
	if (f.certFile == "") != (f.keyFile == "") {
		return usageErr("--tls-cert-file and --tls-key-file go together")
	}
	if (f.certFile != "") == f.selfManaged {
		return usageErr("choose the serving certificate: --tls-cert-file and --tls-key-file, or --self-managed-ca")
	}
	if f.selfManaged && f.namespace == "" {
		return usageErr("--self-managed-ca needs --namespace (or $POD_NAMESPACE)")
	}
	// The run is prepared as a scan's, from the same reading of the
	// configuration file, whose webhook section and gate serve here too.
	r, err := f.scan.prepare(cmd)
	if err != nil {
		return err
	}
	cfg := r.config.file
	failOn := cfg.FailOn
	if failOn == "none" {
		failOn = "" // no CI gate: the webhook's own default applies
	}
	pol, err := admission.NewPolicy(cfg.Webhook, failOn, f.namespace)
	if err != nil {
		return usageErr("%v", err)
	}

	restCfg, _, err := cluster.Connect(cluster.Options{Kubeconfig: f.kubeconfig, Context: f.context})
	if err != nil {
		return usageErr("%v", err)
	}
	restCfg.UserAgent = "kubeward-webhook/" + version.String()
	restCfg.Timeout = 0 // the namespace watch is long-lived; requests carry their own deadlines
	cs, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := admission.NewMetrics(reg)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}

	var certs admission.Certificates
	if f.selfManaged {
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		ca, err := admission.LoadOrCreateCA(sctx, cs, f.namespace, f.caSecret, 10*365*24*time.Hour)
		cancel()
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		hosts := append([]string{f.serviceName + "." + f.namespace + ".svc", f.serviceName + "." + f.namespace + ".svc.cluster.local",
			f.serviceName + "." + f.namespace, f.serviceName}, f.sans...)
		sm, err := admission.NewSelfManaged(ca, hosts, f.certValidity, metrics, log)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		certs = sm
		go keepCABundle(ctx, cs, f.configName, ca.CertPEM, log)
	} else {
		fc, err := admission.NewFileCertificate(f.certFile, f.keyFile, metrics, log)
		if err != nil {
			return usageErr("%v", err)
		}
		certs = fc
	}

	nsCache := admission.NewNamespaceCache(cs)
	nsCache.Run(ctx)
	var images *resolve.Resolver
	if f.scan.images.enabled && r.opts.ImageFacts() {
		rs, gaps, err := f.scan.imageResolver(r, resolve.ClusterKeychains(cs))
		if err != nil {
			return err
		}
		for _, g := range gaps {
			log.Warn("an image check cannot run at admission", "checks", g.NotRun, "reason", g.Reason)
		}
		images = rs
	}
	eval := admission.NewEvaluator(r.checks, r.opts, r.suppress)
	if images != nil {
		budget, _ := time.ParseDuration(cfg.Webhook.ImageBudget) // validated with the file; 0: the default
		eval.WithImages(images, budget)
	}
	wh := admission.New(eval, pol, nsCache, metrics, log)
	wh.Budget = httpguard.NewBudget(f.inFlight)
	log.Info("kubeward webhook starting", "version", version.String(), "checks", len(eval.Checks()),
		"notAtAdmission", eval.CrossObject(), "enforce", admission.LevelName(pol.Defaults.Enforce), "warn", admission.LevelName(pol.Defaults.Warn),
		"audit", admission.LevelName(pol.Defaults.Audit), "exemptNamespaces", admission.ExcludedNamespaces(f.namespace, cfg.Webhook.Exemptions.Namespaces))

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	var hln net.Listener
	if f.healthListen != "" {
		if hln, err = net.Listen("tcp", f.healthListen); err != nil {
			ln.Close()
			return &exitError{code: ExitError, err: err}
		}
	}
	srv := &admission.Server{
		Webhook: wh, Certs: certs, Path: f.path, Gatherer: reg, ShutdownDelay: f.shutdown, Log: log,
		Limits: httpguard.Limits{MaxConns: f.maxConns},
		Ready: func() error {
			if !nsCache.Synced() {
				return fmt.Errorf("namespace labels not read yet")
			}
			return nil
		},
	}
	if err := srv.Serve(ctx, ln, hln); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

// keepCABundle writes the CA into the webhook configuration now and every
// minute after: the configuration may be created after the webhook starts,
// or reset by a deploy tool that does not know the caBundle.
func keepCABundle(ctx context.Context, cs kubernetes.Interface, name string, caPEM []byte, log *slog.Logger) {
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		changed, err := admission.InjectCABundle(rctx, cs, name, caPEM)
		cancel()
		switch {
		case err != nil:
			log.Warn("caBundle not written; retrying", "webhookConfiguration", name, "error", err.Error())
			wait = 10 * time.Second
		case changed:
			log.Info("caBundle written", "webhookConfiguration", name)
			wait = time.Minute
		default:
			wait = time.Minute
		}
	}
}

type webhookConfigFlags struct {
	configPath  string
	name        string
	webhookName string
	namespace   string
	service     string
	port        int32
	url         string
	path        string
	failure     string
	timeout     int32
	caBundle    string
	certManager string
	caByWebhook bool
}

func newWebhookConfigCmd(s Streams) *cobra.Command {
	f := &webhookConfigFlags{}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the ValidatingWebhookConfiguration for the webhook",
		Long: `Print the ValidatingWebhookConfiguration that sends Pods and workloads to the
webhook: CREATE and UPDATE of pods (and ephemeral containers), replication
controllers, pod templates, deployments, replica sets, stateful sets, daemon
sets, jobs and cron jobs, and of the workload custom resources whose pod
templates kubeward judges, in every version their projects serve: OpenShift
deploymentconfigs, Argo rollouts, OpenKruise clonesets, statefulsets,
daemonsets, broadcastjobs and advancedcronjobs, KEDA scaledjobs, Knative
services and configurations (not revisions: Knative makes them from a
configuration, judged already). Rules for resources a cluster does not serve
are harmless. matchPolicy Equivalent, sideEffects None, admissionReviewVersions
v1. Its namespaceSelector keeps kube-system, kube-node-lease, the webhook's
own namespace and the configuration's exempt namespaces out of reach, so the
API server never calls for them and they stay writable when the webhook is
down.

The API server must be able to verify the webhook's serving certificate, so
say where the caBundle comes from, exactly one of: --ca-bundle-file (the CA's
PEM, embedded), --cert-manager-certificate (cert-manager's CA injector writes
that Certificate's CA), or --ca-bundle-from-webhook (the webhook runs with its
self-managed CA and writes it into the configuration named --name). A
configuration without a caBundle would make every judged request fail.

--failure-policy Fail (the default) denies requests in judged namespaces while
the webhook is unreachable; Ignore admits them unjudged. See docs/webhook.md.`,
		Example: `  kubeward webhook config --namespace kubeward --cert-manager-certificate kubeward/kubeward-webhook | kubectl apply -f -
  kubeward webhook config --url https://10.0.0.5:8443 --ca-bundle-file ca.crt --failure-policy Ignore`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			found, err := loadConfig(s.Err, f.configPath)
			if err != nil {
				return err
			}
			cfg := found.file
			o := admission.ConfigOptions{Name: f.name, WebhookName: f.webhookName, Namespace: f.namespace, ServiceName: f.service,
				ServicePort: f.port, URL: f.url, Path: f.path, FailurePolicy: admissionregv1.FailurePolicyType(f.failure),
				TimeoutSeconds: f.timeout, ExemptNamespaces: cfg.Webhook.Exemptions.Namespaces, CertManagerCA: f.certManager}
			if f.caBundle != "" {
				if o.CABundle, err = readCABundle(f.caBundle); err != nil {
					return usageErr("--ca-bundle-file: %v", err)
				}
			}
			vwc, err := admission.WebhookConfiguration(o)
			if err != nil {
				return usageErr("%v", err)
			}
			sources := 0
			for _, set := range []bool{f.caBundle != "", f.certManager != "", f.caByWebhook} {
				if set {
					sources++
				}
			}
			if sources != 1 {
				return usageErr("say where the caBundle comes from, exactly one of --ca-bundle-file FILE, --cert-manager-certificate NAMESPACE/NAME or --ca-bundle-from-webhook: " +
					"without one the API server cannot verify the webhook, and every request it judges fails")
			}
			out, err := yaml.Marshal(vwc)
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			// creationTimestamp: null is noise in a manifest.
			text := strings.Replace(string(out), "  creationTimestamp: null\n", "", 1)
			_, err = fmt.Fprint(s.Out, text)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configPath, "config", "", "configuration file whose webhook.exemptions.namespaces to exclude too (default: "+config.DefaultFile+" in the working directory or the nearest parent up to the repository root)")
	fl.StringVar(&f.name, "name", admission.DefaultConfigName, "name of the ValidatingWebhookConfiguration")
	fl.StringVar(&f.webhookName, "webhook-name", admission.DefaultWebhookName, "name of the webhook (shown in denials)")
	fl.StringVar(&f.namespace, "namespace", "kubeward", "the webhook's namespace (its Service's, always excluded)")
	fl.StringVar(&f.service, "service-name", "kubeward-webhook", "the webhook's Service")
	fl.Int32Var(&f.port, "service-port", 443, "the Service's port")
	fl.StringVar(&f.url, "url", "", "call this https URL (without the path) instead of the Service")
	fl.StringVar(&f.path, "path", admission.DefaultPath, "path of the review endpoint")
	fl.StringVar(&f.failure, "failure-policy", "Fail", "Fail (deny while the webhook is unreachable) or Ignore (admit unjudged)")
	fl.Int32Var(&f.timeout, "timeout", admission.DefaultTimeout, "seconds the API server waits for an answer (1-30)")
	fl.StringVar(&f.caBundle, "ca-bundle-file", "", "PEM file of the CA that signs the serving certificate, embedded as the caBundle")
	fl.StringVar(&f.certManager, "cert-manager-certificate", "", "NAMESPACE/NAME of the cert-manager Certificate of the serving certificate: cert-manager's CA injector writes its CA into the caBundle")
	fl.BoolVar(&f.caByWebhook, "ca-bundle-from-webhook", false, "leave the caBundle to the webhook, which runs with its self-managed CA and writes it into the configuration named --name")
	return cmd
}

// readCABundle reads a PEM file that must hold at least one certificate
// (within a bound: a device is an error, not a hang).
func readCABundle(path string) ([]byte, error) {
	data, err := source.ReadFile(path, maxConfiguredFile)
	if err != nil {
		return nil, err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no PEM certificate in %s", path)
	}
	return data, nil
}
