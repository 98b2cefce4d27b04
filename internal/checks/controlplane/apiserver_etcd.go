package controlplane

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// etcdScheme splits the API server's --etcd-servers by scheme.
func etcdSchemes(in *instance) (plain, tls []string) {
	for _, s := range in.args.Get("etcd-servers").List {
		s = strings.TrimSpace(s)
		u, err := url.Parse(s)
		switch {
		case err != nil || s == "":
		case u.Scheme == "http":
			plain = append(plain, redactURL(s))
		case u.Scheme == "https":
			tls = append(tls, redactURL(s))
		}
	}
	return plain, tls
}

// APIServerEtcdTLS: the API server talks to etcd over TLS with a client
// certificate (CIS 1.2.23).
//
// Reads: --etcd-servers, --etcd-certfile, --etcd-keyfile.
// An http:// server is plaintext whatever the certificate flags say (the
// etcd client drops TLS for http endpoints); unix:// sockets are local and
// pass.
var APIServerEtcdTLS = flagCheck(check.Meta{
	ID:       "apiserver-etcd-tls",
	Title:    "API server talks to etcd without TLS client authentication",
	Severity: check.High,
	Rationale: "etcd holds every Secret of the cluster. Over plain http, or over TLS without a client " +
		"certificate (which means etcd accepts clients without one), anyone who reaches etcd's port reads and " +
		"writes the whole cluster state.",
	Fix: "Serve etcd over https with client-cert-auth, list https:// URLs in --etcd-servers, and set " +
		"--etcd-certfile and --etcd-keyfile to a client certificate etcd trusts.",
	Reads: reads(apiserver, "etcd-servers", "etcd-certfile", "etcd-keyfile"),
	Refs:  []check.Reference{check.CIS("1.2.23", "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate"), check.NSA("Network separation and hardening")},
}, apiserver, func(in *instance) []problem {
	plain, tls := etcdSchemes(in)
	if len(plain) > 0 {
		return []problem{{flag: "etcd-servers", message: fmt.Sprintf("%s: etcd is reached over plain http (%s): the cluster's data, Secrets included, crosses the network in clear text to a store that authenticates no one", in.name, strings.Join(plain, ", "))}}
	}
	if len(tls) == 0 {
		return nil
	}
	for _, f := range []string{"etcd-certfile", "etcd-keyfile"} {
		if strings.TrimSpace(in.args.Get(f).Raw) == "" {
			return []problem{{flag: f, message: fmt.Sprintf("%s: %s: the API server presents no client certificate to etcd, so etcd must accept clients without one", in.name, in.describe(f))}}
		}
	}
	return nil
})

// APIServerEtcdCA: the API server verifies etcd's certificate against a
// given CA (CIS 1.2.26).
var APIServerEtcdCA = flagCheck(check.Meta{
	ID:       "apiserver-etcd-ca",
	Title:    "API server does not name the CA of etcd's certificate",
	Severity: check.Medium,
	Rationale: "Without --etcd-cafile the API server verifies etcd against the system's public roots instead of " +
		"the CA that issued etcd's certificate.",
	Fix:   "Set --etcd-cafile to the CA that signs etcd's serving certificate (kubeadm: /etc/kubernetes/pki/etcd/ca.crt).",
	Reads: reads(apiserver, "etcd-servers", "etcd-cafile"),
	Refs:  []check.Reference{check.CIS("1.2.26", "Ensure that the --etcd-cafile argument is set as appropriate"), check.NSA("Network separation and hardening")},
}, apiserver, func(in *instance) []problem {
	if _, tls := etcdSchemes(in); len(tls) == 0 || strings.TrimSpace(in.args.Get("etcd-cafile").Raw) != "" {
		return nil
	}
	return []problem{{flag: "etcd-cafile", message: fmt.Sprintf("%s: %s: etcd's certificate is checked against the system roots", in.name, in.describe("etcd-cafile"))}}
})

func init() { check.Register(APIServerEtcdTLS, APIServerEtcdCA) }
