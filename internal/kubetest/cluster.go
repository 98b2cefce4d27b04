package kubetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// DirPlaceholder in flags and in the contents of Options.Files is replaced by
// Cluster.Dir.
const DirPlaceholder = "{{DIR}}"

// ContextName is the context (and cluster and user) name in the kubeconfig
// files written by a Cluster.
const ContextName = "kubetest"

// AdminUser is the user name of Cluster.Config; it is in group system:masters.
const AdminUser = "kubetest-admin"

// DefaultControllers are the kube-controller-manager controllers started
// with Options.ControllerManager unless ControllerManagerFlags has its own
// --controllers.
var DefaultControllers = []string{
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"clusterrole-aggregation-controller",
	"namespace-controller",
	"garbage-collector-controller",
	"root-ca-certificate-publisher-controller",
}

// ServiceClusterIPRange is the default --service-cluster-ip-range.
const ServiceClusterIPRange = "10.96.0.0/12"

// ServiceAccountIssuer is the default --service-account-issuer.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// Options configure Start. The zero value starts etcd and a kube-apiserver
// with secure, kubeadm-like flags and no controller manager.
type Options struct {
	// APIServerFlags are extra kube-apiserver flags ("--name=value"; a
	// separate value token is joined to its flag). A flag named here
	// replaces every default flag of the same name; a flag given several
	// times here is passed several times.
	APIServerFlags []string
	// ControllerManager also starts kube-controller-manager (controllers
	// DefaultControllers, --leader-elect=false, service-account
	// credentials), and Start waits until it has created the "default"
	// ServiceAccount of namespace "default".
	ControllerManager bool
	// ControllerManagerFlags are extra kube-controller-manager flags, with
	// the same replacement rule as APIServerFlags.
	ControllerManagerFlags []string
	// Scheduler also starts kube-scheduler (identity system:kube-scheduler,
	// --leader-elect=false, delegated authentication and authorization
	// through the API server, as kubeadm runs it), and Start waits until
	// its /healthz answers.
	Scheduler bool
	// SchedulerFlags are extra kube-scheduler flags, with the same
	// replacement rule.
	SchedulerFlags []string
	// EtcdFlags are extra etcd flags, with the same replacement rule.
	EtcdFlags []string
	// EtcdTLS serves etcd over TLS with client-certificate authentication
	// for clients and peers, its own CA, and the API server connecting with
	// a client certificate, as kubeadm sets it up. EtcdURL is then https and
	// EtcdHTTPClient carries the client certificate.
	EtcdTLS bool
	// Files are written into Cluster.Dir (paths relative to it, parent
	// directories created) before anything starts: audit policies,
	// admission configurations, webhook kubeconfigs, encryption configs.
	// DirPlaceholder in their contents and in all flags is replaced by
	// Cluster.Dir, so "--audit-policy-file={{DIR}}/audit.yaml" works.
	Files map[string][]byte
	// StartTimeout bounds each start attempt, from etcd's start to the
	// cluster being ready (default 90s).
	StartTimeout time.Duration
}

// Cluster is a running etcd + kube-apiserver (+ kube-controller-manager,
// + kube-scheduler).
// Start registers its Stop with t.Cleanup.
type Cluster struct {
	// Config is an admin client config (user AdminUser, group
	// system:masters, client certificate).
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file for the admin, context
	// ContextName.
	Kubeconfig string
	// URL is the API server's https URL (https://127.0.0.1:PORT).
	URL string
	// CAFile is the cluster CA certificate (serving and client certs), and
	// CAPEM its contents.
	CAFile string
	CAPEM  []byte
	// EtcdURL is etcd's client URL on 127.0.0.1 (https with Options.EtcdTLS).
	EtcdURL string
	// ControllerManagerURL is kube-controller-manager's https URL, empty
	// without Options.ControllerManager.
	ControllerManagerURL string
	// SchedulerURL is kube-scheduler's https URL, empty without
	// Options.Scheduler.
	SchedulerURL string
	// Dir holds everything of this cluster: pki/, logs/, etcd data, the
	// kubeconfigs and Options.Files. It is a t.TempDir.
	Dir string
	// Binaries are the executables that run this cluster.
	Binaries Paths

	t         testing.TB
	ca        *ca
	opts      Options
	procs     []*process
	apiArgs   []string
	kcmArgs   []string
	schedArgs []string
	etcdArgs  []string
	etcdTLS   *tls.Config // client side, with Options.EtcdTLS
	stopOnce  sync.Once
	nUsers    atomic.Int64
}

type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
	stopped atomic.Bool
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 10s.
func (p *process) stop() {
	p.stopped.Store(true)
	if p.exited() {
		return
	}
	killGroup(p.cmd, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		killGroup(p.cmd, syscall.SIGKILL)
		<-p.done
	}
	// Anything left in the group (there should be nothing) goes too.
	killGroup(p.cmd, syscall.SIGKILL)
}

// Start starts a cluster for t and returns when it is ready. It skips t
// under -short and fails t if the binaries cannot be built or the cluster
// does not become ready. The processes are stopped by t.Cleanup; if t
// failed, the tails of their logs are logged.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bins := Binaries(t)
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 90 * time.Second
	}
	c := &Cluster{t: t, opts: opts, Dir: t.TempDir(), Binaries: bins}
	t.Cleanup(func() {
		if t.Failed() { // tails before the shutdown noise
			c.logTails(60)
		}
		c.Stop()
	})
	if err := c.prepare(); err != nil {
		t.Fatalf("kubetest: preparing cluster files: %v", err)
	}
	const attempts = 3
	for i := 1; ; i++ {
		err := c.start()
		if err == nil {
			return c
		}
		conflict := c.portConflict()
		c.stopAll()
		if !conflict || i == attempts {
			t.Fatalf("kubetest: starting cluster (attempt %d): %v", i, err)
		}
		t.Logf("kubetest: port conflict on attempt %d, retrying with new ports: %v", i, err)
		for _, p := range c.procs {
			os.Rename(p.logPath, strings.TrimSuffix(p.logPath, ".log")+".attempt-"+strconv.Itoa(i)+".log")
		}
		c.procs = nil
		os.RemoveAll(filepath.Join(c.Dir, "etcd-data"))
	}
}

func (c *Cluster) path(elem ...string) string {
	return filepath.Join(append([]string{c.Dir}, elem...)...)
}

// prepare writes the PKI and Options.Files.
func (c *Cluster) prepare() error {
	for _, d := range []string{"pki", "logs", "users", "kube-apiserver"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return err
		}
	}
	var err error
	if c.ca, err = newCA("kubetest-ca"); err != nil {
		return err
	}
	c.CAPEM = c.ca.certPEM
	c.CAFile = c.path("pki", "ca.crt")
	if err := os.WriteFile(c.CAFile, c.CAPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(c.path("pki", "ca.key"), mustKeyPEM(c.ca), 0o600); err != nil {
		return err
	}
	frontProxy, err := newCA("front-proxy-ca")
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("pki", "front-proxy-ca.crt"), frontProxy.certPEM, 0o644); err != nil {
		return err
	}
	type pair struct {
		ca    *ca
		name  string
		cn    string
		orgs  []string
		usage certUsage
		hosts []string
	}
	pairs := []pair{
		{c.ca, "apiserver", "kube-apiserver", nil, serverCert, []string{
			"127.0.0.1", "localhost", "10.96.0.1", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		{c.ca, "apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"kubeadm:cluster-admins"}, clientCert, nil},
		{c.ca, "admin", AdminUser, []string{"system:masters"}, clientCert, nil},
		{c.ca, "controller-manager", "system:kube-controller-manager", nil, clientCert, nil},
		{c.ca, "controller-manager-serving", "kube-controller-manager", nil, serverCert, []string{"127.0.0.1", "localhost"}},
		{c.ca, "scheduler", "system:kube-scheduler", nil, clientCert, nil},
		{c.ca, "scheduler-serving", "kube-scheduler", nil, serverCert, []string{"127.0.0.1", "localhost"}},
		{frontProxy, "front-proxy-client", "front-proxy-client", nil, clientCert, nil},
	}
	if c.opts.EtcdTLS {
		// etcd has its own CA, as kubeadm gives it (CIS 2.7).
		etcdCA, err := newCA("etcd-ca")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(c.path("pki", "etcd"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(c.path("pki", "etcd", "ca.crt"), etcdCA.certPEM, 0o644); err != nil {
			return err
		}
		local := []string{"127.0.0.1", "localhost"}
		pairs = append(pairs,
			pair{etcdCA, "etcd/server", "kubetest", nil, peerCert, local},
			pair{etcdCA, "etcd/peer", "kubetest", nil, peerCert, local},
			pair{etcdCA, "apiserver-etcd-client", "kube-apiserver-etcd-client", nil, clientCert, nil},
		)
	}
	for _, p := range pairs {
		crt, key, err := p.ca.issue(p.cn, p.orgs, p.usage, p.hosts)
		if err != nil {
			return err
		}
		if _, _, err := writeKeyPair(c.path("pki"), p.name, crt, key); err != nil {
			return err
		}
	}
	saKey, saPub, err := newServiceAccountKey()
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.path("pki", "sa.key"), saKey, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(c.path("pki", "sa.pub"), saPub, 0o644); err != nil {
		return err
	}
	for name, data := range c.opts.Files {
		if filepath.IsAbs(name) || strings.HasPrefix(filepath.Clean(name), "..") {
			return fmt.Errorf("Options.Files: %q is not a path inside the cluster directory", name)
		}
		p := c.path(filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		data = []byte(strings.ReplaceAll(string(data), DirPlaceholder, c.Dir))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func mustKeyPEM(a *ca) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(a.key)
	if err != nil {
		panic(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

// start runs one attempt: new ports, etcd, kube-apiserver, and the
// controller manager and scheduler when asked for.
func (c *Cluster) start() error {
	c.t.Helper()
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(c.opts.StartTimeout)
	t0 := time.Now()

	// etcd
	scheme := "http"
	if c.opts.EtcdTLS {
		scheme = "https"
		if c.etcdTLS, err = c.etcdClientTLS(); err != nil {
			return err
		}
	}
	c.EtcdURL = fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[0])
	peerURL := fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[1])
	c.etcdArgs = c.finalFlags(c.etcdDefaults(peerURL), c.opts.EtcdFlags)
	etcd, err := c.run("etcd", c.Binaries.Etcd, c.etcdArgs)
	if err != nil {
		return err
	}
	if err := c.waitFor(etcd, deadline, "etcd /health", c.etcdHealthy); err != nil {
		return err
	}
	tEtcd := time.Since(t0)

	// kube-apiserver
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	c.Config = c.newConfig(AdminUser, []string{"system:masters"})
	c.Kubeconfig = c.path("admin.kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, c.Config); err != nil {
		return err
	}
	c.apiArgs = c.finalFlags(c.apiserverDefaults(ports[2]), c.opts.APIServerFlags)
	apiserver, err := c.run("kube-apiserver", c.Binaries.APIServer, c.apiArgs)
	if err != nil {
		return err
	}
	if err := c.waitReady(apiserver, deadline); err != nil {
		return err
	}
	var last string
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	if err := c.waitFor(apiserver, deadline, "namespaces default and kube-system", func() bool {
		for _, ns := range []string{"default", "kube-system"} {
			if _, err := cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); err != nil {
				last = err.Error()
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("%v (last error: %s)", err, last)
	}
	tAPI := time.Since(t0)
	if c.opts.ControllerManager {
		if err := c.startControllerManager(cs, ports[3], deadline); err != nil {
			return err
		}
	}
	if c.opts.Scheduler {
		if err := c.startScheduler(ports[4], deadline); err != nil {
			return err
		}
	}
	c.t.Logf("kubetest: cluster ready in %s (etcd %s, kube-apiserver %s) at %s, dir %s",
		time.Since(t0).Round(time.Millisecond), tEtcd.Round(time.Millisecond), tAPI.Round(time.Millisecond), c.URL, c.Dir)
	return nil
}

// startControllerManager runs kube-controller-manager and waits until it
// has created the ServiceAccount default/default.
func (c *Cluster) startControllerManager(cs kubernetes.Interface, port int, deadline time.Time) error {
	kcmConfig := c.newConfigFromFiles(c.path("pki", "controller-manager.crt"), c.path("pki", "controller-manager.key"))
	if err := writeKubeconfig(c.path("controller-manager.kubeconfig"), kcmConfig); err != nil {
		return err
	}
	c.ControllerManagerURL = fmt.Sprintf("https://127.0.0.1:%d", port)
	c.kcmArgs = c.finalFlags(c.kcmDefaults(port), c.opts.ControllerManagerFlags)
	kcm, err := c.run("kube-controller-manager", c.Binaries.ControllerManager, c.kcmArgs)
	if err != nil {
		return err
	}
	var last string
	if err := c.waitFor(kcm, deadline, `ServiceAccount default/default (created by kube-controller-manager)`, func() bool {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(context.Background(), "default", metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			last = err.Error()
		}
		return err == nil
	}); err != nil {
		return fmt.Errorf("%v (last error: %s)", err, last)
	}
	return nil
}

// startScheduler runs kube-scheduler and waits until its /healthz answers.
func (c *Cluster) startScheduler(port int, deadline time.Time) error {
	cfg := c.newConfigFromFiles(c.path("pki", "scheduler.crt"), c.path("pki", "scheduler.key"))
	if err := writeKubeconfig(c.path("scheduler.kubeconfig"), cfg); err != nil {
		return err
	}
	c.SchedulerURL = fmt.Sprintf("https://127.0.0.1:%d", port)
	c.schedArgs = c.finalFlags(c.schedulerDefaults(port), c.opts.SchedulerFlags)
	sched, err := c.run("kube-scheduler", c.Binaries.Scheduler, c.schedArgs)
	if err != nil {
		return err
	}
	return c.waitOK(sched, deadline, "kube-scheduler", c.SchedulerURL, "/healthz")
}

// RestartAPIServer stops kube-apiserver and starts it again with the same
// flags, port and etcd, and returns when it is ready again (its post-start
// hooks done, the RBAC bootstrap reconciliation among them). Use it to
// observe what the API server does at its start to existing data.
func (c *Cluster) RestartAPIServer() error {
	var old *process
	for i, p := range c.procs {
		if p.name == "kube-apiserver" {
			old = p
			c.procs = append(c.procs[:i:i], c.procs[i+1:]...)
			break
		}
	}
	if old == nil {
		return fmt.Errorf("kubetest: no kube-apiserver to restart")
	}
	old.stop()
	apiserver, err := c.run("kube-apiserver", c.Binaries.APIServer, c.apiArgs)
	if err != nil {
		return err
	}
	return c.waitReady(apiserver, time.Now().Add(c.opts.StartTimeout))
}

// waitReady waits until the API server's /readyz answers 200.
func (c *Cluster) waitReady(apiserver *process, deadline time.Time) error {
	return c.waitOK(apiserver, deadline, "kube-apiserver", c.URL, "/readyz")
}

// waitOK waits until a component's health endpoint at base+path answers
// 200, and says its last answer when it does not.
func (c *Cluster) waitOK(p *process, deadline time.Time, name, base, path string) error {
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	var last string
	if err := c.waitFor(p, deadline, name+" "+path, func() bool {
		ok, msg := httpOK(hc, base+path)
		last = msg
		return ok
	}); err != nil {
		return fmt.Errorf("%v (last %s answer: %s)", err, path, last)
	}
	return nil
}

func (c *Cluster) etcdDefaults(peerURL string) []string {
	var tlsFlags []string
	if c.opts.EtcdTLS {
		pki := func(f string) string { return c.path("pki", f) }
		tlsFlags = []string{
			"--cert-file=" + pki("etcd/server.crt"),
			"--key-file=" + pki("etcd/server.key"),
			"--client-cert-auth=true",
			"--trusted-ca-file=" + pki("etcd/ca.crt"),
			"--peer-cert-file=" + pki("etcd/peer.crt"),
			"--peer-key-file=" + pki("etcd/peer.key"),
			"--peer-client-cert-auth=true",
			"--peer-trusted-ca-file=" + pki("etcd/ca.crt"),
		}
	}
	return append([]string{
		"--name=kubetest",
		"--data-dir=" + c.path("etcd-data"),
		"--listen-client-urls=" + c.EtcdURL,
		"--advertise-client-urls=" + c.EtcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=kubetest=" + peerURL,
		"--initial-cluster-state=new",
		"--unsafe-no-fsync=true", // a test cluster: speed over durability
		"--log-level=warn",
	}, tlsFlags...)
}

func (c *Cluster) apiserverDefaults(port int) []string {
	pki := func(f string) string { return c.path("pki", f) }
	var etcdTLS []string
	if c.opts.EtcdTLS {
		etcdTLS = []string{
			"--etcd-cafile=" + pki("etcd/ca.crt"),
			"--etcd-certfile=" + pki("apiserver-etcd-client.crt"),
			"--etcd-keyfile=" + pki("apiserver-etcd-client.key"),
		}
	}
	return append([]string{
		"--advertise-address=127.0.0.1",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--etcd-servers=" + c.EtcdURL,
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + c.path("kube-apiserver"),
		"--tls-cert-file=" + pki("apiserver.crt"),
		"--tls-private-key-file=" + pki("apiserver.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--anonymous-auth=false",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		"--profiling=false",
		"--service-account-issuer=" + ServiceAccountIssuer,
		"--service-account-key-file=" + pki("sa.pub"),
		"--service-account-signing-key-file=" + pki("sa.key"),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--kubelet-client-certificate=" + pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + pki("apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
		"--proxy-client-cert-file=" + pki("front-proxy-client.crt"),
		"--proxy-client-key-file=" + pki("front-proxy-client.key"),
		"--requestheader-client-ca-file=" + pki("front-proxy-ca.crt"),
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User",
	}, etcdTLS...)
}

// servingDefaults are the flags kube-controller-manager and kube-scheduler
// share, as kubeadm sets them: a client identity (name.kubeconfig) that
// also delegates authentication and authorization to the API server, and a
// secure port on loopback with a serving certificate (name-serving).
func (c *Cluster) servingDefaults(name string, port int) []string {
	pki := func(f string) string { return c.path("pki", f) }
	kubeconfig := c.path(name + ".kubeconfig")
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + pki(name+"-serving.crt"),
		"--tls-private-key-file=" + pki(name+"-serving.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--requestheader-client-ca-file=" + pki("front-proxy-ca.crt"),
		"--leader-elect=false",
		"--profiling=false",
	}
}

func (c *Cluster) kcmDefaults(port int) []string {
	pki := func(f string) string { return c.path("pki", f) }
	return append(c.servingDefaults("controller-manager", port),
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+pki("sa.key"),
		"--root-ca-file="+pki("ca.crt"),
		"--controllers="+strings.Join(DefaultControllers, ","),
		"--cluster-name=kubetest",
	)
}

func (c *Cluster) schedulerDefaults(port int) []string { return c.servingDefaults("scheduler", port) }

// finalFlags merges extra into defaults and expands DirPlaceholder.
func (c *Cluster) finalFlags(defaults, extra []string) []string {
	out := mergeFlags(defaults, extra)
	for i, a := range out {
		out[i] = strings.ReplaceAll(a, DirPlaceholder, c.Dir)
	}
	return out
}

// mergeFlags returns defaults without the flags named in extra, followed by
// extra. "--name value" pairs in extra are joined into "--name=value".
func mergeFlags(defaults, extra []string) []string {
	extra = joinFlagValues(extra)
	override := map[string]bool{}
	for _, e := range extra {
		override[flagName(e)] = true
	}
	var out []string
	for _, d := range defaults {
		if !override[flagName(d)] {
			out = append(out, d)
		}
	}
	return append(out, extra...)
}

func joinFlagValues(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && !strings.Contains(a, "=") &&
			i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			a += "=" + args[i+1]
			i++
		}
		out = append(out, a)
	}
	return out
}

// flagName returns the name of "--name=value", "-name" or "--name".
func flagName(arg string) string {
	n := strings.TrimLeft(arg, "-")
	if i := strings.IndexByte(n, '='); i >= 0 {
		n = n[:i]
	}
	return n
}

// run starts one component with its output in Dir/logs/<name>.log.
func (c *Cluster) run(name, bin string, args []string) (*process, error) {
	logPath := c.path("logs", name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own copy
	fmt.Fprintf(f, "# %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = childEnv()
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return p, nil
}

// childEnv is the environment without variables that would configure etcd
// or the Kubernetes components behind the flags' back.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ETCD_") || strings.HasPrefix(kv, "KUBECONFIG=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// waitFor polls cond every 100ms until it holds, p exits or deadline passes.
func (c *Cluster) waitFor(p *process, deadline time.Time, what string, cond func() bool) error {
	for {
		if cond() {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited (%v) while waiting for %s; log tail:\n%s", p.name, p.err, what, tailFile(p.logPath, 40))
		}
		for _, q := range c.procs {
			if q != p && q.exited() {
				return fmt.Errorf("%s exited (%v) while waiting for %s; log tail:\n%s", q.name, q.err, what, tailFile(q.logPath, 40))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s; %s log tail:\n%s", c.opts.StartTimeout, what, p.name, tailFile(p.logPath, 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) etcdHealthy() bool {
	resp, err := c.EtcdHTTPClient().Get(c.EtcdURL + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`)
}

// EtcdHTTPClient talks to etcd's HTTP API at EtcdURL (with the API server's
// etcd client certificate when Options.EtcdTLS is set).
func (c *Cluster) EtcdHTTPClient() *http.Client {
	hc := &http.Client{Timeout: 2 * time.Second}
	if c.etcdTLS != nil {
		hc.Transport = &http.Transport{TLSClientConfig: c.etcdTLS}
	}
	return hc
}

// etcdClientTLS loads the etcd CA and the API server's etcd client pair.
func (c *Cluster) etcdClientTLS() (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(c.path("pki", "apiserver-etcd-client.crt"), c.path("pki", "apiserver-etcd-client.key"))
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(c.path("pki", "etcd", "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("etcd CA: no certificate")
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func (c *Cluster) httpClient() (*http.Client, error) {
	tlsCfg, err := rest.TLSConfigFor(c.Config)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}, nil
}

func httpOK(hc *http.Client, url string) (bool, string) {
	resp, err := hc.Get(url)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusOK, fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
}

var addrInUse = regexp.MustCompile(`(?i)address already in use`)

// portConflict reports whether a component of the last attempt failed to
// bind its port.
func (c *Cluster) portConflict() bool {
	for _, p := range c.procs {
		if addrInUse.MatchString(tailFile(p.logPath, 200)) {
			return true
		}
	}
	return false
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. Another process may take one before we bind it; Start retries then.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (c *Cluster) stopAll() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop()
	}
}

// Stop stops kube-scheduler, kube-controller-manager, kube-apiserver and etcd (SIGTERM to
// each process group, SIGKILL after 10s). A component that had exited on
// its own before Stop fails the test. Stop is idempotent; Start registers it
// with t.Cleanup.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		var unexpected []string
		for _, p := range c.procs {
			if p.exited() && !p.stopped.Load() {
				unexpected = append(unexpected, fmt.Sprintf("%s exited during the test: %v", p.name, p.err))
			}
		}
		c.stopAll()
		for _, u := range unexpected {
			c.t.Errorf("kubetest: %s", u)
		}
	})
}

// logTails logs the last n lines of every component's log.
func (c *Cluster) logTails(n int) {
	for _, p := range c.procs {
		c.t.Logf("kubetest: last %d lines of %s:\n%s", n, p.logPath, tailFile(p.logPath, n))
	}
}

// APIServerArgs returns the exact kube-apiserver flags of this cluster
// (without the program name), e.g. for a kubeadm-like mirror Pod.
func (c *Cluster) APIServerArgs() []string { return append([]string(nil), c.apiArgs...) }

// ControllerManagerArgs returns the exact kube-controller-manager flags, or
// nil without Options.ControllerManager.
func (c *Cluster) ControllerManagerArgs() []string { return append([]string(nil), c.kcmArgs...) }

// SchedulerArgs returns the exact kube-scheduler flags, or nil without
// Options.Scheduler.
func (c *Cluster) SchedulerArgs() []string { return append([]string(nil), c.schedArgs...) }

// EtcdArgs returns the exact etcd flags.
func (c *Cluster) EtcdArgs() []string { return append([]string(nil), c.etcdArgs...) }

// Client returns a clientset for the admin.
func (c *Cluster) Client() kubernetes.Interface {
	c.t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		c.t.Fatalf("kubetest: %v", err)
	}
	return cs
}

// UserConfig returns a client config authenticating as user in groups, with
// a client certificate signed by the cluster CA. The API server adds
// system:authenticated itself. Nothing is granted: bind roles as the admin.
func (c *Cluster) UserConfig(user string, groups ...string) *rest.Config {
	c.t.Helper()
	return c.newConfig(user, groups)
}

// UserKubeconfig is UserConfig written as a kubeconfig file (context
// ContextName, credentials embedded); it returns the file's path.
func (c *Cluster) UserKubeconfig(user string, groups ...string) string {
	c.t.Helper()
	cfg := c.newConfig(user, groups)
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(user, "_")
	p := c.path("users", fmt.Sprintf("%s-%d.kubeconfig", name, c.nUsers.Add(1)))
	if err := writeKubeconfig(p, cfg); err != nil {
		c.t.Fatalf("kubetest: %v", err)
	}
	return p
}

func (c *Cluster) newConfig(user string, groups []string) *rest.Config {
	crt, key, err := c.ca.issue(user, groups, clientCert, nil)
	if err != nil {
		c.t.Fatalf("kubetest: issuing a client certificate for %q: %v", user, err)
	}
	return &rest.Config{
		Host:            c.URL,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM, CertData: crt, KeyData: key},
		QPS:             200,
		Burst:           400,
	}
}

func (c *Cluster) newConfigFromFiles(crtFile, keyFile string) *rest.Config {
	crt, err1 := os.ReadFile(crtFile)
	key, err2 := os.ReadFile(keyFile)
	if err := errors.Join(err1, err2); err != nil {
		c.t.Fatalf("kubetest: %v", err)
	}
	return &rest.Config{Host: c.URL, TLSClientConfig: rest.TLSClientConfig{CAData: c.CAPEM, CertData: crt, KeyData: key}}
}

// writeKubeconfig writes cfg (certificate credentials) as a kubeconfig with
// one context, ContextName.
func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[ContextName] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName}
	kc.CurrentContext = ContextName
	return clientcmd.WriteToFile(*kc, path)
}

// AnonymousHTTPClient returns an http client that trusts the cluster CA and
// presents no credentials, for probing what anonymous requests get.
func (c *Cluster) AnonymousHTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CAPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}
