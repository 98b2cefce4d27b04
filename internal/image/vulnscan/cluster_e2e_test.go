package vulnscan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/kubeward/kubeward/internal/check"
	imagechecks "github.com/kubeward/kubeward/internal/checks/image"
	"github.com/kubeward/kubeward/internal/image/facts"
	"github.com/kubeward/kubeward/internal/image/registry"
	"github.com/kubeward/kubeward/internal/image/registrytest"
	"github.com/kubeward/kubeward/internal/image/resolve"
	"github.com/kubeward/kubeward/internal/image/sbom/sbomtest"
	"github.com/kubeward/kubeward/internal/image/vuln"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
	"github.com/kubeward/kubeward/internal/image/vulnscan"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/kubetest"
	"github.com/kubeward/kubeward/internal/scan"
	"github.com/kubeward/kubeward/internal/source/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestClusterScanVulnerableImage is the cluster door end to end: workloads
// in a real kube-apiserver run images from a registry behind TLS and
// authentication; the cluster is read with the scan's loader, each image's
// packages are matched once against an OSV archive fetched from loopback,
// and image-vulnerable reports the vulnerable image on the workloads that
// run it, at their image field, and nothing on the one that runs a fixed
// image.
func TestClusterScanVulnerableImage(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{})
	reg := registrytest.New(t)
	image := func(tag, version string) string {
		img := sbomtest.Image(t, sbomtest.Layer(t, map[string]sbomtest.File{
			"etc/os-release":      sbomtest.OSRelease("debian", "12", "bookworm"),
			"var/lib/dpkg/status": sbomtest.DpkgStatus(sbomtest.Deb{Name: "libssl3", Source: "openssl", Version: version}),
		}))
		return reg.Push(t, "acme/web:"+tag, img).Context().Tag(tag).String()
	}
	vulnerable, fixed := image("1.0", "3.0.11-1~deb12u2"), image("1.1", "3.0.13-1~deb12u1")
	db := osvtest.DB(t, t.TempDir(), map[string][]byte{"Debian": osvtest.Archive(t,
		`{"id":"DEBIAN-CVE-2024-0727","upstream":["CVE-2024-0727"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}`)})

	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(c.Config)
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deploy := func(name, image string) {
		labels := map[string]string{"app": name}
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
				},
			},
		}
		if _, err := client.AppsV1().Deployments("shop").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deploy("web", vulnerable)
	deploy("worker", vulnerable)
	deploy("api", fixed)

	cfg, name, err := cluster.Connect(cluster.Options{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := (&cluster.Loader{Config: cfg, Context: name}).Load(ctx, imagechecks.Vulnerable.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	rc, err := registry.New(registry.Options{RootCAs: reg.CAs, Timeout: 10 * time.Second, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	an := &vulnscan.Analyzer{DB: db}
	rs := resolve.New(resolve.Options{Client: rc, Analyzers: []resolve.Analyzer{an},
		Keychains: func(context.Context, resolve.Use) (string, authn.Keychain, error) { return "test", reg.Keychain(), nil }})
	opts := check.DefaultOptions()
	opts.Vulnerabilities = vuln.DefaultPolicy()
	var judged int
	engine := scan.New(scan.Options{Checks: []*check.Check{imagechecks.Vulnerable}, CheckOptions: opts,
		Images: func(inv *inventory.Inventory) *facts.Set {
			set := rs.Resolve(ctx, resolve.Uses(inv))
			judged = len(set.Images())
			return set
		}})
	res := engine.Inventory(loaded.Inventory)

	got := map[string]string{}
	for _, f := range res.Findings {
		got[f.Object.Kind+"/"+f.Object.Namespace+"/"+f.Object.Name] = f.Path + " " + f.Severity.String() + " " + f.Message
	}
	for _, w := range []string{"Deployment/shop/web", "Deployment/shop/worker"} {
		if m := got[w]; !strings.HasPrefix(m, "spec.template.spec.containers[0].image high") ||
			!strings.Contains(m, "CVE-2024-0727 (DEBIAN-CVE-2024-0727) in openssl 3.0.11-1~deb12u2 (binary libssl3), fixed in 3.0.13-1~deb12u1") {
			t.Errorf("%s: %q", w, m)
		}
	}
	if len(got) != 2 || judged != 2 || len(res.Coverage) != 0 {
		t.Errorf("findings %v, %d images judged, coverage %v", got, judged, res.Coverage)
	}
}
