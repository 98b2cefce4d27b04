package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/netpol"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func workload(ns, name string, labels map[string]string, ports ...netpol.ContainerPort) netpol.Pod {
	return netpol.Pod{Namespace: ns, Kind: "Deployment", Name: name, Labels: labels, Ports: ports,
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": labels["app"]}}}
}

func shop() netpol.Input {
	return netpol.Input{
		Namespaces: []netpol.Namespace{{Name: "shop"}, {Name: "ingress-nginx"}},
		Pods: []netpol.Pod{
			workload("shop", "web", map[string]string{"app": "web", "version": "3"}, netpol.ContainerPort{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}),
			workload("shop", "api", map[string]string{"app": "api", "tier": "backend"}, netpol.ContainerPort{Name: "http", Port: 9000}),
			workload("shop", "db", map[string]string{"app": "db", "tier": "backend"}),
			workload("ingress-nginx", "controller", map[string]string{"app": "controller"}),
		},
	}
}

const shopSpec = `
apiVersion: kubeward.dev/v1alpha1
kind: Connectivity
namespaces: [shop]
connections:
- from: {namespace: ingress-nginx}
  to: {namespace: shop, workload: Deployment/web}
  ports: [http]
- from: {namespace: shop, workload: web}
  to: {namespace: shop, workload: api}
  ports: [http]
- from: {namespace: shop, workload: api}
  to: {namespace: shop, workload: db}
  ports: ["5432"]
- from: {namespace: shop, podSelector: {matchLabels: {tier: backend}}}
  to: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.169.254/32]}
  ports: ["443/TCP"]
- from: {cidr: 203.0.113.0/24}
  to: {namespace: shop, workload: web}
  ports: ["8000-8100"]
`

func TestGenerateShop(t *testing.T) {
	spec, err := Parse([]byte(shopSpec))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(shop(), spec)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Policies {
		var types []string
		for _, ty := range p.Spec.PolicyTypes {
			types = append(types, string(ty))
		}
		got = append(got, fmt.Sprintf("%s/%s %s in=%d out=%d", p.Namespace, p.Name, strings.Join(types, "+"), len(p.Spec.Ingress), len(p.Spec.Egress)))
	}
	want := []string{
		"shop/default-deny Ingress+Egress in=0 out=0",
		"shop/allow-dns-egress Egress in=0 out=1",
		"shop/allow-web Ingress+Egress in=2 out=1",
		"shop/allow-api Ingress+Egress in=1 out=1",
		"shop/allow-db Ingress in=1 out=0",
		"shop/allow-tier-backend Egress in=0 out=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("policies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The web policy selects by the Deployment's selector, not by its
	// volatile version label.
	for _, p := range res.Policies {
		if p.Name == "allow-web" && metav1.FormatLabelSelector(&p.Spec.PodSelector) != "app=web" {
			t.Errorf("allow-web selects %s", metav1.FormatLabelSelector(&p.Spec.PodSelector))
		}
	}

	proof, err := Prove(shop(), spec, res)
	if err != nil {
		t.Fatal(err)
	}
	if !proof.Exact || proof.Pairs == 0 {
		t.Fatalf("proof not exact over %d pairs: missing %v, extra %v", proof.Pairs, proof.Missing, proof.Extra)
	}
	if len(proof.Assumed) != 1 {
		t.Errorf("assumed %v, want the synthetic kube-dns", proof.Assumed)
	}

	// The YAML written out reads back into the same policies.
	for _, p := range res.Policies {
		b, err := yaml.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(b, &back); err != nil {
			t.Fatalf("%s does not read back: %v\n%s", p.Name, err, b)
		}
		if back.Kind != "NetworkPolicy" || back.APIVersion != "networking.k8s.io/v1" {
			t.Errorf("%s lacks its type: %s/%s", p.Name, back.APIVersion, back.Kind)
		}
	}
}

func TestProofCatchesOverlap(t *testing.T) {
	in := shop()
	// A canary that shares the api's selector gets api's access too: the
	// proof must say so rather than claim exactness.
	in.Pods = append(in.Pods, netpol.Pod{Namespace: "shop", Kind: "Deployment", Name: "api-canary", Labels: map[string]string{"app": "api"}})
	spec, err := Parse([]byte(shopSpec))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(in, spec)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := Prove(in, spec, res)
	if err != nil {
		t.Fatal(err)
	}
	if proof.Exact {
		t.Fatal("proof claims exactness although api-canary shares api's selector")
	}
	found := false
	for _, g := range proof.Extra {
		found = found || strings.Contains(g.String(), "api-canary")
	}
	if !found || len(proof.Missing) != 0 {
		t.Errorf("extra %v, missing %v: want api-canary among the extra and nothing missing", proof.Extra, proof.Missing)
	}
}

func TestParseErrors(t *testing.T) {
	head := "apiVersion: kubeward.dev/v1alpha1\nkind: Connectivity\nconnections:\n"
	tests := []struct{ name, doc, want string }{
		{"wrong kind", "apiVersion: v1\nkind: Pod\n", "want apiVersion"},
		{"unknown field", head + "- from: {namespace: a, wrkload: x}\n  to: {namespace: b}\n", "unknown field"},
		{"no namespace", head + "- from: {workload: x}\n  to: {namespace: b}\n", "connections[0].from: namespace or cidr is required"},
		{"bad cidr", head + "- from: {cidr: 10.0.0/8}\n  to: {namespace: b}\n", "connections[0].from.cidr"},
		{"host bits", head + "- from: {cidr: 10.0.0.1/8}\n  to: {namespace: b}\n", "did you mean 10.0.0.0/8"},
		{"except outside", head + "- from: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}\n  to: {namespace: b}\n", "strict subset"},
		{"cidr to cidr", head + "- from: {cidr: 10.0.0.0/8}\n  to: {cidr: 11.0.0.0/8}\n", "both address ranges"},
		{"bad port", head + "- from: {namespace: a}\n  to: {namespace: b}\n  ports: [\"0\"]\n", "connections[0].ports[0]"},
		{"bad protocol", head + "- from: {namespace: a}\n  to: {namespace: b}\n  ports: [\"80/ICMP\"]\n", "unknown protocol"},
		{"named port to cidr", head + "- from: {namespace: a}\n  to: {cidr: 0.0.0.0/0}\n  ports: [http]\n", "cannot be resolved"},
		{"workload and selector", head + "- from: {namespace: a, workload: x, podSelector: {}}\n  to: {namespace: b}\n", "not both"},
		{"bad selector", head + "- from: {namespace: a, podSelector: {matchExpressions: [{key: k, operator: Is}]}}\n  to: {namespace: b}\n", "podSelector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, doc := range []string{
		"- from: {namespace: shop, workload: nope}\n  to: {namespace: shop}\n",
		"- from: {namespace: shop, workload: StatefulSet/web}\n  to: {namespace: shop}\n",
	} {
		spec, err := Parse([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Connectivity\nconnections:\n" + doc))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Generate(shop(), spec); err == nil || !strings.Contains(err.Error(), "no workload") {
			t.Errorf("Generate error = %v, want no workload", err)
		}
	}
}

// TestPropertyGeneratedIsExact: for random workloads and random declared
// connections, the engine proves the generated policies allow exactly the
// declared connections plus DNS.
func TestPropertyGeneratedIsExact(t *testing.T) {
	namespaces := []string{"a", "b", "c"}
	protos := []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	cidrs := []string{"0.0.0.0/0", "10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"}
	for run := range 200 {
		r := rand.New(rand.NewPCG(11, uint64(run)))
		var in netpol.Input
		for i := range 2 + r.IntN(7) {
			p := workload(namespaces[r.IntN(len(namespaces))], fmt.Sprintf("w%d", i), map[string]string{"app": fmt.Sprintf("w%d", i), "tier": []string{"x", "y"}[r.IntN(2)]})
			if r.IntN(2) == 0 {
				p.Ports = append(p.Ports, netpol.ContainerPort{Name: "svc", Port: int32(1000 + r.IntN(3)), Protocol: protos[r.IntN(3)]})
			}
			in.Pods = append(in.Pods, p)
		}
		peer := func(allowCIDR bool) Peer {
			switch k := r.IntN(5); {
			case k == 0 && allowCIDR:
				p := Peer{CIDR: cidrs[r.IntN(len(cidrs))]}
				if p.CIDR == "10.0.0.0/8" && r.IntN(2) == 0 {
					p.Except = []string{"10.1.0.0/16"}
				}
				return p
			case k == 1:
				return Peer{Namespace: namespaces[r.IntN(len(namespaces))]}
			case k == 2:
				return Peer{Namespace: namespaces[r.IntN(len(namespaces))], PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "x"}}}
			}
			w := in.Pods[r.IntN(len(in.Pods))]
			return Peer{Namespace: w.Namespace, Workload: w.Name}
		}
		spec := &Spec{APIVersion: APIVersion, Kind: Kind}
		if r.IntN(3) == 0 {
			f := false
			spec.DNS = &f
		}
		for range r.IntN(6) {
			c := Connection{From: peer(true)}
			c.To = peer(!c.From.isCIDR())
			for range r.IntN(3) {
				port := []string{"80", "53/UDP", "1000-1002/SCTP", "all/UDP", "svc", "svc/UDP"}[r.IntN(6)]
				if c.To.isCIDR() && !strings.ContainsAny(port[:1], "0123456789a") {
					continue
				}
				c.Ports = append(c.Ports, port)
			}
			spec.Connections = append(spec.Connections, c)
		}
		// Through the file format, so Parse accepts what the generator means.
		doc, err := yaml.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		spec, err = Parse(doc)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, doc)
		}
		res, err := Generate(in, spec)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		proof, err := Prove(in, spec, res)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !proof.Exact {
			t.Fatalf("run %d: not exact: missing %v extra %v\n%s", run, proof.Missing, proof.Extra, doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(shopSpec))
	f.Add([]byte("apiVersion: kubeward.dev/v1alpha1\nkind: Connectivity\nconnections: [{from: {cidr: 10.0.0.0/8}, to: {namespace: a}, ports: ['1-2/UDP']}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever Parse accepts, Generate and Prove handle without panic,
		// and every policy written is valid for the engine.
		res, err := Generate(shop(), spec)
		if err != nil {
			return
		}
		if _, err := Prove(shop(), spec, res); err != nil {
			t.Fatalf("generated policies rejected: %v", err)
		}
	})
}
