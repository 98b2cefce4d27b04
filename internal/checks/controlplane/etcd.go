package controlplane

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/componentflags"
	"github.com/kubeward/kubeward/internal/inventory"
)

// The etcd checks of CIS section 2, judged on the effective settings of
// etcd v3.7: command-line flags, then ETCD_* environment variables, with
// --config-file (or ETCD_CONFIG_FILE) replacing both (etcd server/v3
// etcdmain/config.go:150-165; the file is not read, so nothing is judged).
// Client-side and peer-side checks step aside when the listener they would
// protect is plain http: the TLS finding already says there is no TLS.

var etcd = componentflags.Etcd

// listeners classifies an etcd URL list.
type listeners struct {
	plain, tls []string
	local      bool // every listener is on loopback or a unix socket
}

func listenersOf(in *instance, flag string) listeners {
	l := listeners{local: true}
	for _, s := range in.args.Get(flag).List {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			continue
		}
		switch u.Scheme {
		case "http", "unix", "unixs":
			if u.Scheme == "http" {
				l.plain = append(l.plain, redactURL(s))
			}
		case "https":
			l.tls = append(l.tls, redactURL(s))
		default:
			continue
		}
		if u.Scheme != "unix" && u.Scheme != "unixs" && !isLoopbackHost(u.Hostname()) {
			l.local = false
		}
	}
	return l
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// usesConfigFile reports whether etcd ignores its flags and environment.
func usesConfigFile(in *instance) bool {
	return strings.TrimSpace(in.args.Get("config-file").Raw) != ""
}

// exposure picks the severity of an unprotected listener.
func exposure(local bool, remote, loopback check.Severity) (check.Severity, string) {
	if local {
		return loopback, "on loopback only"
	}
	return remote, "reachable from the network"
}

const nsaNetwork = "Network separation and hardening"

// EtcdClientTLS: clients are served over TLS with a certificate (CIS 2.1).
var EtcdClientTLS = flagCheck(check.Meta{
	ID:       "etcd-client-tls",
	Title:    "etcd serves clients without TLS",
	Severity: check.High,
	Rationale: "etcd holds every Secret of the cluster; on a plain http listener anyone who reaches the port " +
		"reads and writes all of it, and traffic crosses the network in clear text.",
	Fix:   "Listen on https:// client URLs with --cert-file and --key-file, and enable --client-cert-auth.",
	Reads: reads(etcd, "listen-client-urls", "cert-file", "key-file", "config-file"),
	Refs:  []check.Reference{check.CIS("2.1", "Ensure that the --cert-file and --key-file arguments are set as appropriate"), check.NSA(nsaNetwork)},
}, etcd, listenerTLS(clientSide))

var (
	clientSide = tlsSide{listen: "listen-client-urls", cert: "cert-file", key: "key-file", auto: "auto-tls", auth: "client-cert-auth",
		who: "clients", remote: check.Critical, loopback: check.High}
	peerSide = tlsSide{listen: "listen-peer-urls", cert: "peer-cert-file", key: "peer-key-file", auto: "peer-auto-tls", auth: "peer-client-cert-auth",
		who: "peers", remote: check.High, loopback: check.Low}
)

// tlsSide names one of etcd's two listeners (clients or peers) by its flags,
// with the severities of leaving it unprotected.
type tlsSide struct {
	listen, cert, key, auto, auth string
	who                           string // "clients", "peers"
	remote, loopback              check.Severity
}

// listenerTLS judges CIS 2.1 or 2.4: every listener is https with a
// certificate given by file. A plain http listener fails; so does a
// certificate that --auto-tls generates in place of the files, which is
// also 2.3's or 2.6's finding: each CIS item a problem fails reports it.
func listenerTLS(side tlsSide) func(*instance) []problem {
	return func(in *instance) []problem {
		l := listenersOf(in, side.listen)
		if len(l.plain) > 0 {
			sev, where := exposure(l.local, side.remote, side.loopback)
			return []problem{{flag: side.listen, severity: sev, message: fmt.Sprintf("%s: %s are served over plain http (%s, %s): no encryption and no authentication", in.name, side.who, strings.Join(l.plain, ", "), where)}}
		}
		if len(l.tls) == 0 {
			return nil
		}
		for _, f := range []string{side.cert, side.key} {
			if strings.TrimSpace(in.args.Get(f).Raw) != "" {
				continue
			}
			if isTrue(in, side.auto) {
				return []problem{{flag: f, message: fmt.Sprintf("%s: %s: %s get a certificate that --%s generates and signs itself, which nobody can verify", in.name, in.describe(f), side.who, side.auto)}}
			}
			return []problem{{flag: f, message: fmt.Sprintf("%s: %s: an https listener for %s has no certificate (etcd does not start)", in.name, in.describe(f), side.who)}}
		}
		return nil
	}
}

// certAuth judges CIS 2.2 or 2.5: etcd asks the other side for a
// certificate. A plain http listener authenticates nobody, whatever the
// flag says, so it fails here as well as under 2.1 or 2.4.
func certAuth(side tlsSide, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		l := listenersOf(in, side.listen)
		sev, where := exposure(l.local, side.remote, side.loopback)
		if len(l.plain) > 0 {
			return []problem{{flag: side.listen, severity: sev, message: fmt.Sprintf("%s: %s are served over plain http (%s, %s): %s present no certificate, %s", in.name, side.who, strings.Join(l.plain, ", "), where, side.who, consequence)}}
		}
		if len(l.tls) == 0 || isTrue(in, side.auth) {
			return nil
		}
		return []problem{{flag: side.auth, severity: sev, message: fmt.Sprintf("%s: %s: %s (%s)", in.name, in.describe(side.auth), consequence, where)}}
	}
}

// isTrue reports whether a boolean flag is effectively true.
func isTrue(in *instance, flag string) bool {
	on, _, ok := in.args.Bool(flag)
	return ok && on
}

// EtcdClientCertAuth: clients must present a certificate (CIS 2.2).
var EtcdClientCertAuth = flagCheck(check.Meta{
	ID:       "etcd-client-cert-auth",
	Title:    "etcd accepts clients without a certificate",
	Severity: check.Critical,
	Rationale: "Without --client-cert-auth any client that reaches etcd's TLS port reads and writes the whole " +
		"cluster state, Secrets included, bypassing the API server's authorization.",
	Fix:   "Set --client-cert-auth=true and --trusted-ca-file to a CA dedicated to etcd's clients.",
	Reads: reads(etcd, "client-cert-auth", "listen-client-urls", "config-file"),
	Refs:  []check.Reference{check.CIS("2.2", "Ensure that the --client-cert-auth argument is set to true"), check.NSA(nsaAuthn)},
}, etcd, certAuth(clientSide, "any client reaches etcd's data"))

// EtcdAutoTLS: no self-signed client certificates (CIS 2.3). auto-tls only
// takes effect without --cert-file and --key-file.
var EtcdAutoTLS = flagCheck(check.Meta{
	ID:       "etcd-auto-tls",
	Title:    "etcd serves clients a self-signed certificate",
	Severity: check.High,
	Rationale: "With --auto-tls etcd generates a self-signed certificate that no client can verify, so clients " +
		"cannot tell etcd from an impostor.",
	Fix:   "Set --auto-tls=false and give etcd a certificate signed by its CA with --cert-file and --key-file.",
	Reads: reads(etcd, "auto-tls", "cert-file", "config-file"),
	Refs:  []check.Reference{check.CIS("2.3", "Ensure that the --auto-tls argument is not set to true"), check.NSA(nsaNetwork)},
}, etcd, selfSigned("auto-tls", "cert-file", "clients get a self-signed certificate"))

func selfSigned(flag, certFlag, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		if !isTrue(in, flag) || strings.TrimSpace(in.args.Get(certFlag).Raw) != "" {
			return nil
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: %s without --%s: %s", in.name, in.describe(flag), certFlag, consequence)}}
	}
}

// EtcdPeerTLS: members talk over TLS (CIS 2.4).
var EtcdPeerTLS = flagCheck(check.Meta{
	ID:       "etcd-peer-tls",
	Title:    "etcd members replicate without TLS",
	Severity: check.High,
	Rationale: "Peer traffic replicates every write, Secrets included; over plain http it can be read and " +
		"forged by anyone on the path, and anyone can join as a member.",
	Fix:   "Listen on https:// peer URLs with --peer-cert-file and --peer-key-file, and enable --peer-client-cert-auth.",
	Reads: reads(etcd, "listen-peer-urls", "peer-cert-file", "peer-key-file", "config-file"),
	Refs:  []check.Reference{check.CIS("2.4", "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate"), check.NSA(nsaNetwork)},
}, etcd, listenerTLS(peerSide))

// EtcdPeerClientCertAuth: peers must present a certificate (CIS 2.5).
var EtcdPeerClientCertAuth = flagCheck(check.Meta{
	ID:       "etcd-peer-client-cert-auth",
	Title:    "etcd accepts peers without a certificate",
	Severity: check.High,
	Rationale: "Without --peer-client-cert-auth anything that reaches the peer port can pose as a member and " +
		"receive the replicated data.",
	Fix:   "Set --peer-client-cert-auth=true and --peer-trusted-ca-file to etcd's peer CA.",
	Reads: reads(etcd, "peer-client-cert-auth", "listen-peer-urls", "config-file"),
	Refs:  []check.Reference{check.CIS("2.5", "Ensure that the --peer-client-cert-auth argument is set to true"), check.NSA(nsaAuthn)},
}, etcd, certAuth(peerSide, "any peer may join"))

// EtcdPeerAutoTLS: no self-signed peer certificates (CIS 2.6).
var EtcdPeerAutoTLS = flagCheck(check.Meta{
	ID:        "etcd-peer-auto-tls",
	Title:     "etcd members use self-signed certificates",
	Severity:  check.High,
	Rationale: "With --peer-auto-tls members present self-signed certificates that other members cannot verify.",
	Fix:       "Set --peer-auto-tls=false and give members certificates signed by etcd's peer CA.",
	Reads:     reads(etcd, "peer-auto-tls", "peer-cert-file", "config-file"),
	Refs:      []check.Reference{check.CIS("2.6", "Ensure that the --peer-auto-tls argument is not set to true"), check.NSA(nsaNetwork)},
}, etcd, selfSigned("peer-auto-tls", "peer-cert-file", "peers get self-signed certificates"))

// EtcdUniqueCA requires etcd to trust a CA of its own (CIS 2.7): when it
// trusts the CA the API server uses for its clients, every certificate that
// CA signs (kubelets, administrators, controllers) opens etcd directly.
//
// Reads: etcd --trusted-ca-file and --client-cert-auth; kube-apiserver
// --client-ca-file of the API servers in the same scan (compared by path).
var EtcdUniqueCA = &check.Check{
	Meta: check.Meta{
		ID:       "etcd-unique-ca",
		Title:    "etcd trusts the cluster's client CA",
		Severity: check.High,
		Rationale: "etcd must trust only certificates issued for etcd's clients. If its --trusted-ca-file is the " +
			"CA that signs every kubelet and user certificate, any of them can read all Secrets from etcd.",
		Fix: "Give etcd its own CA (kubeadm: /etc/kubernetes/pki/etcd/ca.crt), sign only the API server's etcd " +
			"client certificate with it, and point --trusted-ca-file at it.",
		Reads:    append(reads(etcd, "trusted-ca-file", "client-cert-auth"), reads(apiserver, "client-ca-file")...),
		Refs:     []check.Reference{check.CIS("2.7", "Ensure that a unique Certificate Authority is used for etcd"), check.NSA(nsaAuthn)},
		Category: check.CategoryControlPlane,
	},
	Needs:     componentKinds,
	Inventory: etcdUniqueCA,
	Subject:   etcdSubject,
}

func etcdUniqueCA(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	clientCAs := map[string]string{} // cleaned path -> where
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, apiserver) {
			if ca := strings.TrimSpace(in.args.Get("client-ca-file").Raw); ca != "" {
				clientCAs[path.Clean(ca)] = o.Ref.String()
			}
		}
	}
	var out []check.Result
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, etcd) {
			if p, ok := configFileDecides(in); ok {
				out = append(out, check.Result{Object: o, Path: in.at(p.flag), Undecided: p.undecided, Message: p.message})
				continue
			}
			if !isTrue(in, "client-cert-auth") {
				continue
			}
			ca := strings.TrimSpace(in.args.Get("trusted-ca-file").Raw)
			if ca == "" {
				out = append(out, check.Result{Object: o, Path: in.at("trusted-ca-file"),
					Message: fmt.Sprintf("%s: --client-cert-auth without --trusted-ca-file: client certificates are checked against the system roots", in.name)})
				continue
			}
			if by, ok := clientCAs[path.Clean(ca)]; ok {
				out = append(out, check.Result{Object: o, Path: in.at("trusted-ca-file"),
					Message: fmt.Sprintf("%s: --trusted-ca-file=%s is the API server's --client-ca-file (%s): every client certificate of the cluster is accepted by etcd", in.name, ca, by)})
			}
		}
	}
	return out
}

// objectsOf lists the objects control-plane components can live in.
func objectsOf(inv *inventory.Inventory) []*inventory.Object {
	var out []*inventory.Object
	for _, gk := range componentKinds {
		out = append(out, inv.ByKind(gk)...)
	}
	return out
}

func init() {
	check.Register(EtcdClientTLS, EtcdClientCertAuth, EtcdAutoTLS, EtcdPeerTLS, EtcdPeerClientCertAuth, EtcdPeerAutoTLS, EtcdUniqueCA)
}
