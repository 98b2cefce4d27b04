package exposure

import (
	"strings"

	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// nginxPrefix is ingress-nginx's default --annotations-prefix.
const nginxPrefix = "nginx.ingress.kubernetes.io/"

var ingressKinds = []schema.GroupKind{inventory.KindIngress, {Group: "extensions", Kind: "Ingress"}}

// nginxAnnotations returns the ingress-nginx annotations of an Ingress by
// their name without the prefix.
func nginxAnnotations(o *inventory.Object) map[string]string {
	out := map[string]string{}
	for k, v := range o.Meta.Annotations {
		if name, ok := strings.CutPrefix(k, nginxPrefix); ok {
			out[name] = v
		}
	}
	return out
}

// snippetAnnotations copy their value into the generated nginx.conf as
// NGINX (or ModSecurity) configuration: whoever writes an Ingress writes the
// controller's configuration (CVE-2021-25742).
var snippetAnnotations = []string{"configuration-snippet", "server-snippet", "auth-snippet", "stream-snippet", "modsecurity-snippet"}
