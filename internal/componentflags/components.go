package componentflags

// The tables below hold the flags kubeward judges, with the defaults of
// Kubernetes v1.37.2 and etcd v3.7.3. Sources name the file and line that
// registers the flag or sets its default; paths are relative to the module
// roots k8s.io/kubernetes@v1.37.2 (k/k), k8s.io/apiserver@v0.37.2,
// k8s.io/component-base@v0.37.2, k8s.io/controller-manager@v0.37.2,
// k8s.io/cloud-provider@v0.37.2 and go.etcd.io/etcd/server/v3@v3.7.3. The
// kube-apiserver and kube-controller-manager tables are also checked
// against the real binaries' --help (components_test.go).

const (
	kAuthn    = "k/k pkg/kubeapiserver/options/authentication.go"
	kAuthz    = "k/k pkg/kubeapiserver/options/authorization.go"
	genServe  = "k8s.io/apiserver pkg/server/options/serving.go"
	genAudit  = "k8s.io/apiserver pkg/server/options/audit.go"
	genEtcd   = "k8s.io/apiserver pkg/server/options/etcd.go"
	genAdmit  = "k8s.io/apiserver pkg/server/options/admission.go"
	kubeletO  = "k/k cmd/kubelet/app/options/options.go"
	kubeletD  = "k/k pkg/kubelet/apis/config/v1beta1/defaults.go"
	etcdEmbed = "etcd server/v3 embed/config.go"
)

// APIServer is kube-apiserver.
var APIServer = NewComponent("kube-apiserver", PFlag, "", []Flag{
	{"anonymous-auth", Bool, "true", kAuthn + ":186-190 (WithAnonymous: Allow true), flag :357; forced off when AlwaysAllow is an authorization mode (:838-843)"},
	{"authentication-config", String, "", kAuthn + ":345"},
	{"authorization-mode", StringSlice, "", kAuthz + ":166; empty means AlwaysAllow unless --authorization-config is set (:90-91)"},
	{"authorization-config", String, "", kAuthz + ":46"},
	{"token-auth-file", String, "", kAuthn + ":470"},
	{"enable-bootstrap-token-auth", Bool, "false", kAuthn + ":365"},
	{"enable-admission-plugins", StringSlice, "", genAdmit + ":108; defaults on: k/k pkg/kubeapiserver/options/plugins.go DefaultOffAdmissionPlugins"},
	{"disable-admission-plugins", StringSlice, "", genAdmit + ":113"},
	{"admission-control", StringSlice, "", "k/k pkg/kubeapiserver/options/admission.go:76 (deprecated; enables exactly the listed plugins)"},
	{"admission-control-config-file", String, "", genAdmit + ":118"},
	{"kubelet-client-certificate", String, "", "k/k cmd/kube-apiserver/app/options/options.go:146"},
	{"kubelet-client-key", String, "", "k/k cmd/kube-apiserver/app/options/options.go:149"},
	{"kubelet-certificate-authority", String, "", "k/k cmd/kube-apiserver/app/options/options.go:152"},
	{"profiling", Bool, "true", "k8s.io/apiserver pkg/server/options/feature.go:42,54 (server.NewConfig: EnableProfiling true)"},
	{"audit-log-path", String, "", genAudit + ":440"},
	{"audit-log-maxage", Int, "366", genAudit + ":158 (NewAuditOptions), flag :442; 0 keeps files of any age"},
	{"audit-log-maxbackup", Int, "100", genAudit + ":159, flag :444; 0 keeps any number of files"},
	{"audit-log-maxsize", Int, "100", genAudit + ":157, flag :446; 0 disables rotation"},
	{"audit-policy-file", String, "", genAudit + ":262; without it no events are recorded (:297, :307)"},
	{"audit-webhook-config-file", String, "", genAudit + ":547"},
	{"service-account-lookup", Bool, "true", kAuthn + ":225 (WithServiceAccounts), flag :437"},
	{"service-account-key-file", StringArray, "", kAuthn + ":430; falls back to --tls-private-key-file when unset"},
	{"service-account-signing-key-file", String, "", "k/k pkg/controlplane/apiserver/options/options.go:205"},
	{"service-account-signing-endpoint", String, "", "k/k pkg/controlplane/apiserver/options/options.go:208"},
	{"service-account-extend-token-expiration", Bool, "true", kAuthn + ":226, flag :462"},
	{"etcd-servers", StringSlice, "", genEtcd + ":170"},
	{"etcd-certfile", String, "", genEtcd + ":179"},
	{"etcd-keyfile", String, "", genEtcd + ":176"},
	{"etcd-cafile", String, "", genEtcd + ":182"},
	{"tls-cert-file", String, "", genServe + ":183; without it a self-signed certificate is generated"},
	{"tls-private-key-file", String, "", genServe + ":189"},
	{"client-ca-file", String, "", "k8s.io/apiserver pkg/server/options/authentication.go:205"},
	{"tls-cipher-suites", StringSlice, "", genServe + ":194; empty means Go's defaults"},
	{"tls-min-version", String, "", genServe + ":210; empty means Go's default (TLS 1.2)"},
	{"encryption-provider-config", String, "", genEtcd + ":185"},
	{"feature-gates", FeatureGates, "", "k8s.io/component-base featuregate/feature_gate.go:45"},
	{"bind-address", IP, "0.0.0.0", genServe + ":122,163"},
})

// ControllerManager is kube-controller-manager.
var ControllerManager = NewComponent("kube-controller-manager", PFlag, "", []Flag{
	{"profiling", Bool, "true", "k8s.io/controller-manager options/debugging.go:46; default k8s.io/component-base config/v1alpha1/defaults.go:87-88"},
	{"use-service-account-credentials", Bool, "false", "k8s.io/cloud-provider options/kubecloudshared.go:54"},
	{"service-account-private-key-file", String, "", "k/k cmd/kube-controller-manager/app/options/serviceaccountcontroller.go:36"},
	{"root-ca-file", String, "", "k/k cmd/kube-controller-manager/app/options/serviceaccountcontroller.go:38"},
	{"bind-address", IP, "0.0.0.0", genServe + ":122 (NewSecureServingOptions), used by k/k cmd/kube-controller-manager/app/options/options.go:225"},
	{"terminated-pod-gc-threshold", Int, "12500", "k/k pkg/controller/podgc/config/v1alpha1/defaults.go:33-34; <= 0 disables the collector"},
	{"feature-gates", FeatureGates, "", "k8s.io/component-base featuregate/feature_gate.go:45"},
	{"tls-cipher-suites", StringSlice, "", genServe + ":194"},
	{"tls-min-version", String, "", genServe + ":210"},
	{"kubeconfig", String, "", "k/k cmd/kube-controller-manager/app/options/options.go:310"},
})

// Scheduler is kube-scheduler.
var Scheduler = NewComponent("kube-scheduler", PFlag, "", []Flag{
	{"profiling", Bool, "true", "k/k cmd/kube-scheduler/app/options/deprecated.go:44; ignored when --config is set (options.go:229-233)"},
	{"config", String, "", "k/k cmd/kube-scheduler/app/options/options.go:208"},
	{"bind-address", IP, "0.0.0.0", genServe + ":122"},
	{"tls-cipher-suites", StringSlice, "", genServe + ":194"},
	{"tls-min-version", String, "", genServe + ":210"},
	{"kubeconfig", String, "", "k/k cmd/kube-scheduler/app/options/deprecated.go:46 (ignored with --config)"},
	{"feature-gates", FeatureGates, "", "k8s.io/component-base featuregate/feature_gate.go:45"},
})

// Etcd is etcd. Flags absent from the command line fall back to ETCD_*
// environment variables; --config-file (or ETCD_CONFIG_FILE) replaces both.
var Etcd = NewComponent("etcd", GoFlag, "ETCD", []Flag{
	{"name", String, "default", etcdEmbed + ":627"},
	{"data-dir", String, "${name}.etcd", etcdEmbed + ":605"},
	{"config-file", String, "", "etcd server/v3 etcdmain/config.go:111,150-165 (other flags and env are then ignored)"},
	{"listen-client-urls", CommaList, "http://localhost:2379", etcdEmbed + ":613"},
	{"listen-peer-urls", CommaList, "http://localhost:2380", etcdEmbed + ":609"},
	{"cert-file", String, "", etcdEmbed + ":690"},
	{"key-file", String, "", etcdEmbed + ":691"},
	{"client-cert-auth", Bool, "false", etcdEmbed + ":694"},
	{"trusted-ca-file", String, "", etcdEmbed + ":697"},
	{"auto-tls", Bool, "false", etcdEmbed + ":698"},
	{"peer-cert-file", String, "", etcdEmbed + ":699"},
	{"peer-key-file", String, "", etcdEmbed + ":700"},
	{"peer-client-cert-auth", Bool, "false", etcdEmbed + ":703"},
	{"peer-trusted-ca-file", String, "", etcdEmbed + ":704"},
	{"peer-auto-tls", Bool, "false", etcdEmbed + ":705"},
	{"tls-min-version", String, "TLS1.2", etcdEmbed + ":712"},
	{"cipher-suites", CommaList, "", etcdEmbed + ":710; empty means Go's defaults"},
	{"initial-cluster", CommaList, "default=http://localhost:2380", etcdEmbed + ":683"},
})

// Kubelet is the kubelet. The defaults are those of a kubelet started
// without --config: k/k cmd/kubelet/app/options/options.go:197-224
// (applyLegacyDefaults) keeps the insecure command-line defaults for
// anonymous auth, AlwaysAllow and the read-only port. With --config, the
// KubeletConfiguration v1beta1 defaults apply instead and the flags given
// still override the file (k/k cmd/kubelet/app/server.go:216-241).
var Kubelet = NewComponent("kubelet", PFlag, "", []Flag{
	{"config", String, "", kubeletO + ":281"},
	{"config-dir", String, "", kubeletO + ":282"},
	{"kubeconfig", String, "", kubeletO + ":283"},
	{"bootstrap-kubeconfig", String, "", kubeletO + ":285"},
	{"hostname-override", String, "", kubeletO + ":290"},
	{"cert-dir", String, "/var/lib/kubelet/pki", kubeletO + ":140,294"},
	{"pod-manifest-path", String, "", kubeletO + ":367"},
	{"anonymous-auth", Bool, "true", kubeletO + ":217 (legacy default), flag :383"},
	{"authentication-token-webhook", Bool, "false", kubeletO + ":219 (legacy default), flag :387"},
	{"client-ca-file", String, "", kubeletO + ":391"},
	{"authorization-mode", String, "AlwaysAllow", kubeletO + ":221 (legacy default), flag :396"},
	{"read-only-port", Int, "10255", kubeletO + ":223 (legacy default ports.KubeletReadOnlyPort), flag :375"},
	{"tls-cert-file", String, "", kubeletO + ":404"},
	{"tls-private-key-file", String, "", kubeletO + ":408"},
	{"rotate-server-certificates", Bool, "false", kubeletO + ":409"},
	{"tls-cipher-suites", StringSlice, "", kubeletO + ":413"},
	{"tls-min-version", String, "", kubeletO + ":419"},
	{"rotate-certificates", Bool, "false", kubeletO + ":422 (no v1beta1 default)"},
	{"event-qps", Int, "50", kubeletD + ":115-116, flag " + kubeletO + ":426"},
	{"streaming-connection-idle-timeout", Duration, "4h0m0s", kubeletD + ":133-134, flag " + kubeletO + ":438"},
	{"feature-gates", MapStringBool, "", kubeletO + ":444"},
	{"pod-max-pids", Int, "-1", kubeletD + ":197-198, flag " + kubeletO + ":464"},
	{"make-iptables-util-chains", Bool, "true", kubeletD + ":244-245, flag " + kubeletO + ":474"},
	{"protect-kernel-defaults", Bool, "false", kubeletO + ":498"},
	{"seccomp-default", Bool, "false", kubeletD + ":288-289, flag " + kubeletO + ":300"},
})

// KubeProxy is kube-proxy. With --config its flags other than a few are
// ignored (k/k cmd/kube-proxy/app/options.go).
var KubeProxy = NewComponent("kube-proxy", PFlag, "", []Flag{
	{"config", String, "", "k/k cmd/kube-proxy/app/options.go"},
	{"metrics-bind-address", String, "127.0.0.1:10249", "k/k cmd/kube-proxy/app/options.go:120; default k/k pkg/proxy/apis/config/v1alpha1/defaults.go:52-56,145-150 (IPv4)"},
})

// All lists the component tables.
func All() []*Component {
	return []*Component{APIServer, ControllerManager, Scheduler, Etcd, Kubelet, KubeProxy}
}

// ByName returns the component table for a binary name.
func ByName(name string) (*Component, bool) {
	for _, c := range All() {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}
