package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeward/kubeward/internal/agent"
	"github.com/kubeward/kubeward/internal/agent/attrib"
	"github.com/kubeward/kubeward/internal/agent/bpf"
	agentconfig "github.com/kubeward/kubeward/internal/agent/config"
	"github.com/kubeward/kubeward/internal/agent/flowlog"
	"github.com/kubeward/kubeward/internal/agent/intent"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/alert"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/respond"
	"github.com/kubeward/kubeward/internal/source/cluster"
)

func newAgentCmd(s Streams) *cobra.Command {
	f := &auditFlags{}
	var (
		node, config string
		mf           metricsFlags
		ringSize     int
		baselines    string
		learn        time.Duration
		noIntent     bool
		cgroupRoot   string
		flowsFile    string
	)
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Watch processes, files and connections on this node with eBPF",
		Long: `The node agent (run it as the chart's DaemonSet, one per node): eBPF programs in
the kernel report process execs and exits, opens of sensitive files, writes
below binary directories, set*uid and capset, setns and unshare, mounts,
ptrace, module loads, and TCP and UDP connections. Each event is attributed to
its pod through its cgroup and the API server's pod statuses, judged by the
rules (kubeward agent rules), and alerts go to the audit commands' sinks:
JSON lines (-o json[=FILE]), a webhook, Prometheus metrics, quarantine.
--flows FILE also records each distinct delivered flow of the node's pods: the
flow log kubeward netpol generate turns into least-privilege policies.
--baselines FILE learns what each workload runs, writes and connects to, then
alerts on what is new (kubeward agent baselines FILE shows and checks it).

Needs Linux with BTF (/sys/kernel/btf/vmlinux), tracefs, cgroup v2, and
CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (the UDP cgroup hooks), CAP_SYS_RESOURCE
and CAP_DAC_READ_SEARCH (or root), as the chart grants. Events the ring buffer
could not hold are counted (kubeward_agent_events_lost_total) and logged.
Stops on SIGINT or SIGTERM. See docs/agent.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if node == "" {
				node = os.Getenv("NODE_NAME")
			}
			if node == "" {
				h, err := os.Hostname()
				if err != nil {
					return usageErr("--node: %v", err)
				}
				node = h
			}
			log, err := newLogger(s.Err, f.logFormat)
			if err != nil {
				return err
			}
			if err := f.out.parse("json"); err != nil {
				return err
			}
			cfg, err := agentconfig.Load(config)
			if err != nil {
				return usageErr("%v", err)
			}
			for _, x := range cfg.Expired(time.Now()) {
				log.Warn("exception expired: it no longer silences anything", "rule", x.Rule, "reason", x.Reason, "expired", x.Expires)
			}
			ro, err := cfg.RuleOptions()
			if err != nil {
				return usageErr("%v", err)
			}
			eng, err := rules.NewEngine(ro)
			if err != nil {
				return usageErr("%v", err)
			}
			paths, err := cfg.Paths()
			if err != nil {
				return usageErr("%v", err)
			}
			if err := bpf.Supported(); err != nil {
				return err
			}
			reg := prometheus.NewRegistry()
			// The agent runs on every node: its memory and CPU are
			// scraped with its events (go_gc_heap_live_bytes is the heap
			// the last GC kept, the figure docs/PERFORMANCE.md gives).
			reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
				collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
				collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			am, err := alert.NewMetrics(reg)
			if err != nil {
				return err
			}
			sinks, err := f.sinks(s, am, log)
			if err != nil {
				return err
			}
			window := cfg.DedupWindow()
			if f.dedup >= 0 {
				window = f.dedup
			}
			disp := alert.NewDispatcher(alert.NewLimiter(window, 0, am), sinks, am, log)
			consumers := []func([]detect.Alert){disp.Dispatch}
			var quar *respond.Quarantiner
			if qo, on := cfg.Quarantine(); on {
				if quar, err = f.quarantiner(qo, log, reg); err != nil {
					return err
				}
				consumers = append(consumers, quar.Consume)
			}

			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if cgroupRoot == "" {
				if cgroupRoot, err = bpf.CgroupRoot(); err != nil {
					return err
				}
			}
			attr := &attrib.Attributor{Cgroups: attrib.NewCgroups(cgroupRoot)}
			detectors := []agent.Detector{eng}
			var peers flowlog.Resolver
			var watches []func(context.Context) error
			if rc, _, err := cluster.Connect(cluster.Options{Kubeconfig: f.kubeconfig, Context: f.context, Timeout: 30 * time.Second}); err != nil {
				log.Warn("no cluster access: events name containers, not pods; NetworkPolicy intent is off", "err", err)
			} else {
				cs, err := kubernetes.NewForConfig(rc)
				if err != nil {
					return err
				}
				attr.Pods = attrib.NewPods(cs, node)
				go attr.Pods.Run(ctx)
				watches = append(watches, attr.Pods.WaitSynced)
				if !noIntent {
					pol := intent.NewPolicies(cs, eng)
					go pol.Run(ctx)
					watches = append(watches, pol.WaitSynced)
					detectors = append(detectors, pol)
					peers = pol
				}
			}
			if flowsFile != "" {
				fw, err := os.OpenFile(flowsFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
				if err != nil {
					return usageErr("--flows: %v", err)
				}
				defer fw.Close()
				if peers == nil {
					log.Warn("--flows: without the cluster-wide watch (no cluster access, or --no-networkpolicy-intent) peers are recorded as addresses, not workloads")
				}
				detectors = append(detectors, flowlog.New(fw, peers, node, log))
			}
			var (
				bl         *intent.Baselines
				writeRoots []uint64
			)
			if baselines != "" {
				bl = intent.NewBaselines(eng, learn)
				if err := bl.Load(baselines); err != nil {
					return usageErr("--baselines: %v", err)
				}
				bl.Resolver = peers
				// Files written are baselined from every open for
				// writing below the pods' cgroups.
				if writeRoots = attrib.PodRoots(cgroupRoot); len(writeRoots) == 0 {
					log.Warn("--baselines: no kubepods cgroup under the cgroup root; files written are not baselined", "cgroupRoot", cgroupRoot)
				}
				detectors = append(detectors, bl)
				go func() {
					// Baselines change slowly: saved every minute and at exit.
					t := time.NewTicker(time.Minute)
					defer t.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-t.C:
							if err := bl.Save(baselines); err != nil {
								log.Warn("saving baselines", "err", err)
							}
						}
					}
				}()
			}
			// The kernel is watched once the watches hold their first
			// lists: events judged before would name containers instead
			// of pods (so workload exceptions would not apply) and flows
			// would be judged against part of the NetworkPolicies.
			wctx, wcancel := context.WithTimeout(ctx, syncTimeout)
			for _, wait := range watches {
				if err := wait(wctx); err != nil && ctx.Err() == nil {
					log.Warn("the cluster watches have not listed everything yet: until they have, events may name containers instead of pods, and flows are judged against the policies listed so far", "err", err)
				}
			}
			wcancel()
			if ctx.Err() != nil {
				return nil // stopped while waiting: nothing was observed
			}
			probes, err := bpf.Load(bpf.Options{RingSize: ringSize, CgroupRoot: cgroupRoot})
			if err != nil {
				return err
			}
			if err := probes.SetSensitivePaths(paths); err != nil {
				probes.Close()
				return err
			}
			if err := probes.ReportWritesBelow(writeRoots...); err != nil {
				probes.Close()
				return err
			}
			a, err := agent.New(probes, attr, agent.Options{Node: node, Detectors: detectors, Consumers: consumers, Logger: log, Registry: reg})
			if err != nil {
				probes.Close()
				return err
			}
			if err := serveRegistry(ctx, mf, reg, log); err != nil {
				probes.Close()
				return err
			}
			go func() {
				t := time.NewTicker(time.Second)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case now := <-t.C:
						disp.Tick(now)
					}
				}
			}()
			log.Info("agent running", "node", node, "rules", len(eng.Enabled()), "blindSpots", len(probes.Missing))
			runErr := a.Run(ctx)
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var errs []error
			if quar != nil {
				errs = append(errs, quar.Close(cctx))
			}
			errs = append(errs, disp.Close(cctx))
			if bl != nil {
				errs = append(errs, bl.Save(baselines))
			}
			return errors.Join(append(errs, runErr)...)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&node, "node", "", "this node's name (default $NODE_NAME, else the host name): the agent watches the pods bound to it")
	fl.StringVar(&config, "config", "", "AgentConfig file: rules, exceptions, sensitive readers and paths, rate limiting, response (docs/agent.md)")
	f.out.register(cmd, []string{"json"}, "json", "one alert per line, appended to FILE")
	fl.StringVar(&f.webhookURL, "webhook-url", "", "also POST each alert as JSON to this URL (retried with backoff from a bounded queue)")
	fl.StringVar(&f.webhookToken, "webhook-token-file", "", "file with a bearer token for --webhook-url")
	fl.StringVar(&f.webhookCA, "webhook-ca-file", "", "CA bundle to verify --webhook-url (default: system roots)")
	fl.IntVar(&f.webhookQueue, "webhook-queue", 1024, "alerts waiting for --webhook-url before the oldest is dropped (and counted)")
	fl.DurationVar(&f.dedup, "dedup-window", -1, "fold alerts of the same rule and workload within this window into one with a count (default from --config, else 1m; 0 turns folding off)")
	fl.StringVar(&f.logFormat, "log-format", "text", "format of kubeward's own log on standard error: text or json")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig to read this node's pods and for response actions (default $KUBECONFIG or ~/.kube/config; in a pod, its service account)")
	fl.StringVar(&f.context, "context", "", "kubeconfig context")
	fl.StringVar(&f.actionsLog, "actions-log", "", "file to append response actions to as JSON lines")
	fl.IntVar(&ringSize, "ring-size", 8<<20, "bytes of the kernel's event ring buffer (a power of two); events that do not fit are counted as lost")
	fl.StringVar(&baselines, "baselines", "", "file of per-workload baselines of executables run, files written and peers contacted (JSON, editable): loaded at start, learned into, saved every minute and at exit; novel-exec, novel-file-write and novel-peer run only with it")
	fl.DurationVar(&learn, "learn", 24*time.Hour, "how long each workload's baseline learns from the first thing it is seen doing")
	fl.StringVar(&cgroupRoot, "cgroup-root", "", "the host's cgroup v2 mount (default: found in /proc/self/mountinfo; in a container, mount the host's and name it)")
	fl.StringVar(&flowsFile, "flows", "", "append each distinct delivered flow of this node's pods to FILE as JSON lines (source and destination workloads, labels, port), the flow log kubeward netpol generate reads")
	fl.BoolVar(&noIntent, "no-networkpolicy-intent", false, "do not watch pods, namespaces, Services and NetworkPolicies cluster-wide to judge delivered flows (networkpolicy-not-enforced)")
	mf.register(fl, true)
	cmd.AddCommand(newAgentRulesCmd(s), newAgentBaselinesCmd(s))
	return cmd
}

// syncTimeout bounds how long the agent waits for the cluster watches'
// first lists before it watches the kernel anyway.
const syncTimeout = time.Minute

func newAgentBaselinesCmd(s Streams) *cobra.Command {
	var (
		out   outputFlag
		learn time.Duration
	)
	cmd := &cobra.Command{
		Use:   "baselines FILE",
		Short: "Show and check the node agent's baselines file",
		Long: `Reads a baselines file as the agent loads it at start (a misspelt field,
a malformed pattern or peer is an error, exit 2) and shows, per workload, when
it learns until and the executables, files and peers it learned or was given.
Check a hand-edited file with it before restarting the agent.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.parse("table"); err != nil {
				return err
			}
			bls, err := intent.ReadBaselines(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if bls == nil {
				return usageErr("baselines %s: no such file", args[0])
			}
			if len(bls) == 0 {
				return usageErr("baselines %s: no workload", args[0])
			}
			return out.write(s, func(format string, w io.Writer) error {
				if format == "json" {
					return writeJSON(w, bls)
				}
				return baselineTable(w, bls, learn, time.Now())
			})
		},
	}
	out.register(cmd, []string{"table", "json"}, "table", "")
	cmd.Flags().DurationVar(&learn, "learn", 24*time.Hour, "the agent's --learn: how long each workload learns")
	return cmd
}

// printable quotes a string holding control or other unprintable
// characters: paths are learned from what containers write, and a name
// with terminal escapes must not reach the terminal as such.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// baselineTable shows baselines for people: one block per workload.
func baselineTable(w io.Writer, bls map[string]*intent.Baseline, learn time.Duration, now time.Time) error {
	keys := make([]string, 0, len(bls))
	for k := range bls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bw := bufio.NewWriter(w)
	for _, k := range keys {
		b := bls[k]
		until := b.Since.Add(learn)
		state := "learned"
		if now.Before(until) {
			state = "learning"
		}
		fmt.Fprintf(bw, "%s  %s %s to %s\n", printable(k), state, b.Since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
		peers := make([]string, len(b.Peers))
		for i := range b.Peers {
			peers[i] = b.Peers[i].String()
		}
		for _, l := range []struct {
			what  string
			items []string
		}{{"executables", b.Executables}, {"files", b.Files}, {"peers", peers}} {
			items := slices.Clone(l.items)
			sort.Strings(items)
			for i := range items {
				items[i] = printable(items[i])
			}
			fmt.Fprintf(bw, "  %s (%d): %s\n", l.what, len(items), strings.Join(items, ", "))
		}
	}
	return bw.Flush()
}

func newAgentRulesCmd(s Streams) *cobra.Command {
	return newRulesCmd(s, "List the node agent's detection rules", func() []detect.Meta {
		all := rules.Rules()
		metas := make([]detect.Meta, len(all))
		for i := range all {
			metas[i] = all[i].Meta
		}
		return metas
	})
}

// ruleTable lists rules for people: id, severity, MITRE ids, title.
func ruleTable(w io.Writer, metas []detect.Meta) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tMITRE\tTITLE")
	for _, r := range metas {
		var ids []string
		for _, t := range r.MITRE {
			ids = append(ids, t.ID)
		}
		title := r.Title
		if r.Needs != "" {
			title += " (needs " + r.Needs + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(ids, ","), title)
	}
	return tw.Flush()
}
