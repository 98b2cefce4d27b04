package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// APIServerAnonymousAuth requires anonymous requests to be refused
// (CIS 1.2.1).
//
// Reads: --anonymous-auth (default true), --authorization-mode,
// --authorization-config and --authentication-config.
// Judges the effective setting: the API server turns anonymous auth off by
// itself when AlwaysAllow is an authorization mode (k/k
// pkg/kubeapiserver/options/authentication.go:838-843; that case is
// apiserver-authorization-always-allow's), and with --authentication-config
// and no --anonymous-auth the file decides, which this check does not read.
var APIServerAnonymousAuth = flagCheck(check.Meta{
	ID:       "apiserver-anonymous-auth",
	Title:    "API server accepts anonymous requests",
	Severity: check.Medium,
	Rationale: "Anonymous requests are authenticated as system:anonymous in group system:unauthenticated: " +
		"anything RBAC grants those, now or by a later mistake, is open to anyone who reaches the API server.",
	Fix: "Set --anonymous-auth=false, or, to keep unauthenticated health checks, configure the anonymous " +
		"authenticator in --authentication-config with conditions limited to /healthz, /livez and /readyz.",
	Reads: reads(apiserver, "anonymous-auth", "authorization-mode", "authentication-config"),
	Refs:  []check.Reference{check.CIS("1.2.1", "Ensure that the --anonymous-auth argument is set to false"), check.NSA(nsaAuthn)},
}, apiserver, func(in *instance) []problem {
	if !in.args.Has("anonymous-auth") && strings.TrimSpace(in.args.Get("authentication-config").Raw) != "" {
		return []problem{{flag: "authentication-config", undecided: GapAuthenticationConfig,
			message: "kube-apiserver --authentication-config decides anonymous authentication when --anonymous-auth is not given, and kubeward does not read that file"}}
	}
	on, v, ok := in.args.Bool("anonymous-auth")
	if !ok || !on || !v.Valid {
		return nil
	}
	if modes, ok := authorizationModes(in); ok && hasValue(modes, "AlwaysAllow") {
		return nil // switched off by the API server itself
	}
	return []problem{{flag: "anonymous-auth", message: fmt.Sprintf("%s: %s: unauthenticated requests are served as system:anonymous", in.name, in.describe("anonymous-auth"))}}
})

func init() { check.Register(APIServerAnonymousAuth) }
