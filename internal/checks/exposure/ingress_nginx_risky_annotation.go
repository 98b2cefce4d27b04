package exposure

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
)

// injectable are ingress-nginx annotations whose value the controller has
// written into nginx.conf without enough escaping, each the subject of an
// advisory: permanent-redirect (CVE-2023-5044), auth-url (CVE-2025-24514),
// auth-tls-match-cn (CVE-2025-1097), mirror-target and mirror-host
// (CVE-2025-1098), and their siblings that take URLs or host names.
var injectable = []string{"auth-url", "auth-signin", "auth-tls-match-cn", "mirror-target", "mirror-host", "permanent-redirect",
	"temporal-redirect", "rewrite-target", "app-root", "server-alias", "upstream-vhost", "x-forwarded-prefix", "proxy-redirect-from", "proxy-redirect-to"}

// nginxSyntax are what ingress-nginx's own annotation validation
// (annotation-value-word-blocklist, enable-annotation-validation) refuses
// in values: the characters and words that end a directive or open
// another block.
var nginxSyntax = []string{";", "{", "}", "'", "\"", "\\", "\n", "\r", "load_module", "lua_package", "_by_lua", "proxy_pass", "serviceaccount"}

// NginxRiskyAnnotation reports ingress-nginx annotations that inject NGINX
// configuration through values meant to be URLs or names, and those that
// weaken authentication: satisfy: any, and client certificates requested
// but not verified.
//
// Reads: metadata.annotations of Ingresses (nginx.ingress.kubernetes.io/
// auth-url, auth-signin, auth-tls-match-cn, mirror-target, mirror-host,
// permanent-redirect, temporal-redirect, rewrite-target, app-root,
// server-alias, upstream-vhost, x-forwarded-prefix, proxy-redirect-from,
// proxy-redirect-to, satisfy, auth-tls-secret, auth-tls-verify-client).
// Allows: values without NGINX syntax (nginx variables such as $host are
// fine); satisfy: all; auth-tls-verify-client on or optional.
var NginxRiskyAnnotation = &check.Check{
	Meta: check.Meta{
		ID:       "ingress-nginx-risky-annotation",
		Title:    "ingress-nginx annotation injects configuration or weakens authentication",
		Severity: check.High,
		Category: check.CategoryExposure,
		Rationale: "ingress-nginx writes many annotation values into its nginx.conf; a value with NGINX syntax " +
			"(a ; or a brace) adds directives, which is how CVE-2023-5044, CVE-2025-1097, CVE-2025-1098 and " +
			"CVE-2025-24514 let an Ingress author read the controller's Secrets. satisfy: any lets either the " +
			"IP allowlist or the authentication let a request through, and a client certificate that is not verified authenticates nobody.",
		Fix: "Keep annotation values to plain URLs and names, upgrade ingress-nginx and turn on its annotation " +
			"validation; use satisfy: all, and auth-tls-verify-client: on with auth-tls-secret.",
		Reads: []string{"metadata.annotations[nginx.ingress.kubernetes.io/*]"},
		Refs: []check.Reference{check.NSA("Network separation and hardening"),
			check.MITRE("T1190", "Exploit Public-Facing Application")},
	},
	Object: nginxRiskyAnnotation,
	Kinds:  ingressKinds,
}

func init() { check.Register(NginxRiskyAnnotation) }

func nginxRiskyAnnotation(_ *check.Context, o *inventory.Object) []check.Result {
	ann := nginxAnnotations(o)
	if len(ann) == 0 {
		return nil
	}
	path := func(name string) *fieldpath.Path { return fieldpath.New("metadata", "annotations", nginxPrefix+name) }
	var out []check.Result
	for _, name := range injectable {
		v, ok := ann[name]
		if !ok {
			continue
		}
		for _, bad := range nginxSyntax {
			if strings.Contains(strings.ToLower(v), bad) {
				out = append(out, check.Result{Path: path(name),
					Message: fmt.Sprintf("the %s value holds %q, which ends the NGINX directive it is written into and can add others", name, strings.TrimSpace(bad))})
				break
			}
		}
	}
	if strings.EqualFold(strings.TrimSpace(ann["satisfy"]), "any") {
		out = append(out, check.Result{Path: path("satisfy"), Severity: check.Medium,
			Message: "satisfy: any lets a request in when either the IP allowlist or the authentication accepts it"})
	}
	if mode := strings.TrimSpace(ann["auth-tls-verify-client"]); ann["auth-tls-secret"] != "" && (mode == "off" || mode == "optional_no_ca") {
		out = append(out, check.Result{Path: path("auth-tls-verify-client"), Severity: check.Medium,
			Message: fmt.Sprintf("auth-tls-verify-client: %s asks for a client certificate but does not verify it against auth-tls-secret", mode)})
	}
	return out
}
