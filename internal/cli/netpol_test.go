package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const netpolFixture = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 9000}]}]
`

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestNetpolCommands(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.yaml")
	conns := filepath.Join(dir, "conns.yaml")
	if err := os.WriteFile(app, []byte(netpolFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conns, []byte("apiVersion: kubeward.dev/v1alpha1\nkind: Connectivity\nconnections:\n- from: {namespace: shop, workload: web}\n  to: {namespace: shop, workload: api}\n  ports: [\"9000\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "netpol", "matrix", "-f", app)
	if code != 0 || !strings.Contains(out, "shop/Deployment/web  shop/Deployment/api  TCP:9000") {
		t.Errorf("matrix: exit %d\n%s", code, out)
	}
	for _, o := range []string{"json", "dot", "mermaid"} {
		if code, out, _ := runCLI(t, "netpol", "matrix", "-f", app, "-o", o); code != 0 || !strings.Contains(out, "9000") {
			t.Errorf("matrix -o %s: exit %d\n%s", o, code, out)
		}
	}
	code, out, _ = runCLI(t, "netpol", "explain", "shop/web", "shop/api", "9000", "-f", app)
	if code != 0 || !strings.Contains(out, "ALLOWED") || !strings.Contains(out, "shop/api spec.ingress[0] (from[0], ports[0])") {
		t.Errorf("explain allowed: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "netpol", "explain", "shop/web", "shop/api", "80/UDP", "-f", app)
	if code != ExitFindings || !strings.Contains(out, "DENIED") {
		t.Errorf("explain denied: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "netpol", "explain", "shop/web", "shop/nope", "80", "-f", app); code != ExitError {
		t.Errorf("explain of an unknown workload: exit %d", code)
	}
	code, out, errs := runCLI(t, "netpol", "generate", "--connections", conns, "-f", app)
	if code != 0 || strings.Count(out, "kind: NetworkPolicy") != 4 || !strings.Contains(errs, "exactly the declared connections") {
		t.Errorf("generate: exit %d\n%s\n%s", code, out, errs)
	}
}
