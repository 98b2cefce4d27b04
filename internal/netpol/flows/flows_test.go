package flows

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/netpol"
	"sigs.k8s.io/yaml"
)

func generate(t *testing.T, file string, o Options) *Result {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := NewGenerator(o)
	if err != nil {
		t.Fatal(err)
	}
	var problems []Problem
	err = Read(file, f, g.Add, func(p Problem) { problems = append(problems, p) })
	if err != nil || len(problems) > 0 {
		t.Fatalf("read: %v %v", err, problems)
	}
	return g.Result()
}

// The running pods of testdata/shop.jsonl, with every label they carry
// (controllers' included) and their addresses, and a kube-dns pod.
func shopPods() []netpol.Pod {
	pod := func(ns, name, ip string, labels map[string]string) netpol.Pod {
		return netpol.Pod{Namespace: ns, Kind: "Pod", Name: name, Labels: labels, IPs: []netip.Addr{netip.MustParseAddr(ip)}}
	}
	return []netpol.Pod{
		pod("shop", "web-6f7d-abcde", "10.0.1.10", map[string]string{"app": "web", "pod-template-hash": "6f7d"}),
		pod("shop", "api-55-aaaaa", "10.0.2.20", map[string]string{"app": "api", "tier": "backend", "version": "1", "pod-template-hash": "55"}),
		pod("shop", "api-66-bbbbb", "10.0.2.21", map[string]string{"app": "api", "tier": "backend", "version": "2", "pod-template-hash": "66"}),
		pod("shop", "db-0", "10.0.3.30", map[string]string{"app": "db", "controller-revision-hash": "db-7c", "statefulset.kubernetes.io/pod-name": "db-0", "apps.kubernetes.io/pod-index": "0"}),
		pod("ingress-nginx", "controller-x-1", "10.0.9.2", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "pod-template-hash": "x"}),
		pod("kube-system", "coredns-1", "10.0.0.53", map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "c"}),
	}
}

// The generated policies, evaluated by kubeward's NetworkPolicy engine
// over the running pods, allow every observed flow (the kube-dns lookups
// included) and deny flows that were not observed between the same pods.
func TestGeneratedPoliciesAllowObservedDenyOthers(t *testing.T) {
	res := generate(t, "testdata/shop.jsonl", Options{})
	e := netpol.New(netpol.Input{Pods: shopPods(), Policies: res.Policies})
	for _, p := range e.Problems() {
		t.Errorf("generated policy problem: %s", p)
	}
	ep := func(s string) netpol.Endpoint {
		ep, err := e.ResolveEndpoint(s)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	for _, tc := range []struct {
		src, dst string
		port     int
		proto    netpol.Protocol
		allowed  bool
	}{
		{"203.0.113.7", "shop/web-6f7d-abcde", 8080, netpol.TCP, true},
		{"ingress-nginx/controller-x-1", "shop/web-6f7d-abcde", 8080, netpol.TCP, true},
		{"shop/web-6f7d-abcde", "kube-system/coredns-1", 53, netpol.UDP, true},
		{"shop/web-6f7d-abcde", "kube-system/coredns-1", 53, netpol.TCP, true},
		{"shop/web-6f7d-abcde", "shop/api-55-aaaaa", 9000, netpol.TCP, true},
		{"shop/web-6f7d-abcde", "shop/api-66-bbbbb", 9000, netpol.TCP, true},
		{"shop/api-55-aaaaa", "shop/db-0", 5432, netpol.TCP, true},
		{"shop/api-66-bbbbb", "shop/db-0", 5432, netpol.TCP, true}, // the workload's other pod
		{"shop/api-66-bbbbb", "198.51.100.20", 443, netpol.TCP, true},
		// Not observed, between the same pods.
		{"shop/db-0", "shop/api-55-aaaaa", 9000, netpol.TCP, false},
		{"shop/api-55-aaaaa", "shop/web-6f7d-abcde", 8080, netpol.TCP, false},
		{"shop/web-6f7d-abcde", "shop/db-0", 5432, netpol.TCP, false},
		{"shop/web-6f7d-abcde", "shop/api-55-aaaaa", 9001, netpol.TCP, false},
		{"shop/api-55-aaaaa", "kube-system/coredns-1", 53, netpol.UDP, false}, // api never resolved a name
		{"shop/api-66-bbbbb", "198.51.100.21", 443, netpol.TCP, false},
		{"203.0.113.8", "shop/web-6f7d-abcde", 8080, netpol.TCP, false},
		{"ingress-nginx/controller-x-1", "shop/api-55-aaaaa", 9000, netpol.TCP, false},
	} {
		if got := e.Allowed(ep(tc.src), ep(tc.dst), tc.port, tc.proto); got != tc.allowed {
			d := e.Explain(ep(tc.src), ep(tc.dst), tc.port, tc.proto)
			t.Errorf("%s -> %s %d/%s: allowed %v, want %v\n%+v", tc.src, tc.dst, tc.port, tc.proto, got, tc.allowed, d)
		}
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Service shop/api") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

// Output is deterministic: records in another order give the same bytes.
func TestGenerateDeterministic(t *testing.T) {
	data, err := os.ReadFile("testdata/shop.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	out := func(lines []string) string {
		g, _ := NewGenerator(Options{})
		if err := Read("x", strings.NewReader(strings.Join(lines, "\n")), g.Add, func(p Problem) { t.Error(p) }); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, p := range g.Result().Policies {
			y, _ := yaml.Marshal(p)
			b.Write(y)
		}
		return b.String()
	}
	want := out(lines)
	rev := make([]string, len(lines))
	for i, l := range lines {
		rev[len(lines)-1-i] = l
	}
	if got := out(rev); got != want {
		t.Errorf("order changed the output:\n%s\nvs\n%s", got, want)
	}
	for _, s := range []string{"name: observed-deployment-web\n", "app: api\n", "tier: backend\n", "policyTypes:\n  - Ingress\n  - Egress\n", "cidr: 203.0.113.7/32\n", "kubernetes.io/metadata.name: ingress-nginx\n"} {
		if !strings.Contains(want, s) {
			t.Errorf("output lacks %q:\n%s", s, want)
		}
	}
	for _, s := range []string{"pod-template-hash", "version:", "statefulset.kubernetes.io/pod-name", "namespace: kube-system\n  name"} {
		if strings.Contains(want, s) {
			t.Errorf("output holds %q:\n%s", s, want)
		}
	}
}

func TestAggregateExternal(t *testing.T) {
	res := generate(t, "testdata/shop.jsonl", Options{IPv4Bits: 24})
	var b bytes.Buffer
	for _, p := range res.Policies {
		y, _ := yaml.Marshal(p)
		b.Write(y)
	}
	if !strings.Contains(b.String(), "cidr: 203.0.113.0/24\n") || !strings.Contains(b.String(), "cidr: 198.51.100.0/24\n") || strings.Contains(b.String(), "/32") {
		t.Errorf("aggregated:\n%s", b.String())
	}
	if _, err := NewGenerator(Options{IPv4Bits: 33}); err == nil {
		t.Error("IPv4 /33 accepted")
	}
}

// Malformed lines are reported at their line number; the others are read.
func TestReadProblems(t *testing.T) {
	good := `{"direction":"outbound","protocol":"TCP","port":443,"source":{"namespace":"a","workload":"Deployment/x","labels":{"app":"x"}},"destination":{"ip":"192.0.2.1"}}`
	in := strings.Join([]string{
		good,
		`{"direction":"sideways","protocol":"TCP","port":1,"source":{"namespace":"a","workload":"Pod/x"},"destination":{"ip":"192.0.2.1"}}`,
		`not json`,
		``,
		`{"direction":"outbound","protocol":"TCP","port":70000,"source":{"namespace":"a","workload":"Pod/x"},"destination":{"ip":"192.0.2.1"}}`,
		`{"direction":"outbound","protocol":"TCP","port":1,"source":{"ip":"192.0.2.2"},"destination":{"ip":"192.0.2.1"}}`,
		`{"direction":"outbound","protocol":"TCP","port":1,"source":{"namespace":"a","workload":"x"},"destination":{"ip":"192.0.2.1"}}`,
		`{"direction":"outbound","protocol":"TCP","port":1,"source":{"namespace":"a","workload":"Pod/x","labels":{"bad key!":"v"}},"destination":{"ip":"192.0.2.1"}}`,
		`{"direction":"outbound","protocol":"TCP","port":1,"extra":1,"source":{"namespace":"a","workload":"Pod/x"},"destination":{"ip":"192.0.2.1"}}`,
		`{"direction":"outbound","protocol":"TCP","port":1,"source":{"namespace":"a","workload":"Pod/x"},"destination":{"ip":"999.1.1.1"}}`,
		`{"direction":"outbound","protocol":"TCP","port":1,"source":{"namespace":"a","workload":"Pod/x"},"destination":{"ip":"192.0.2.1","namespace":"b"}}`,
		`"` + strings.Repeat("a", MaxLine+10) + `"`,
		good,
	}, "\n")
	n := 0
	var problems []Problem
	err := Read("flows.jsonl", strings.NewReader(in), func(*Record) { n++ }, func(p Problem) { problems = append(problems, p) })
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, p := range problems {
		lines = append(lines, p.Line)
	}
	if n != 2 || len(lines) != 10 || lines[0] != 2 || lines[1] != 3 || lines[2] != 5 || lines[9] != 12 {
		t.Errorf("read %d records, problems %v", n, problems)
	}
	if !strings.HasPrefix(problems[0].String(), "flows.jsonl:2: direction") {
		t.Errorf("problem %s", problems[0])
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile("testdata/shop.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(`{"direction":"inbound","protocol":"SCTP","port":1,"source":{"ip":"::1"},"destination":{"namespace":"a","workload":"Pod/b","labels":{"a":""}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if Parse(b, &r) != nil {
			return
		}
		// A record Parse accepts is one the generator can take, and the
		// policies it writes are valid for the engine.
		g, _ := NewGenerator(Options{IPv4Bits: 8, IPv6Bits: 48})
		g.Add(&r)
		res := g.Result()
		e := netpol.New(netpol.Input{Policies: res.Policies})
		for _, p := range e.Problems() {
			if p.Rejected {
				t.Fatalf("generated an invalid policy from %q: %s", b, p)
			}
		}
	})
}

// A connection to the API server's Service is never seen inbound by a pod:
// the warning says how to allow it instead of the generic Service one.
func TestAPIServerServiceWarning(t *testing.T) {
	g, _ := NewGenerator(Options{})
	rec := `{"direction":"outbound","protocol":"TCP","port":443,"source":{"namespace":"ci","workload":"Deployment/deployer","labels":{"app":"deployer"}},"destination":{"ip":"10.96.0.1","service":"default/kubernetes"}}`
	if err := Read("x", strings.NewReader(rec), g.Add, func(p Problem) { t.Error(p) }); err != nil {
		t.Fatal(err)
	}
	res := g.Result()
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "the API server") || !strings.Contains(res.Warnings[0], "endpointslices") {
		t.Errorf("warnings %q", res.Warnings)
	}
	if len(res.Policies) != 1 || len(res.Policies[0].Spec.Egress) != 0 {
		t.Errorf("policies %+v", res.Policies)
	}
}

// Problems are reported as their lines are read, not held until the end:
// a log of millions of malformed lines (a gzip bomb of junk) must not
// grow memory with each of them.
func TestReadStreamsProblems(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan Problem)
	done := make(chan error, 1)
	go func() { done <- Read("flows.jsonl", pr, func(*Record) {}, func(p Problem) { got <- p }) }()
	for line := 1; line <= 3; line++ {
		go pw.Write([]byte("junk\n"))
		select {
		case p := <-got:
			if p.Line != line {
				t.Fatalf("problem at line %d, want %d", p.Line, line)
			}
		case err := <-done:
			t.Fatalf("Read returned before the input ended: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatalf("line %d: no problem reported while the input is still open", line)
		}
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A workload's selector is the labels all its pods carry: a label with an
// empty value on one pod and absent from another is not among them (the
// selector would not select the second pod, and its flows would be
// denied).
func TestSelectorDropsLabelMissingFromAPod(t *testing.T) {
	g, _ := NewGenerator(Options{})
	recs := `{"direction":"inbound","protocol":"TCP","port":80,"source":{"ip":"203.0.113.7"},"destination":{"namespace":"shop","pod":"web-1","workload":"Deployment/web","labels":{"app":"web","canary":""}}}
{"direction":"inbound","protocol":"TCP","port":80,"source":{"ip":"203.0.113.7"},"destination":{"namespace":"shop","pod":"web-2","workload":"Deployment/web","labels":{"app":"web"}}}`
	if err := Read("x", strings.NewReader(recs), g.Add, func(p Problem) { t.Error(p) }); err != nil {
		t.Fatal(err)
	}
	res := g.Result()
	if len(res.Policies) != 1 {
		t.Fatalf("policies %+v", res.Policies)
	}
	if got := res.Policies[0].Spec.PodSelector.MatchLabels; len(got) != 1 || got["app"] != "web" {
		t.Errorf("selector %v, want app=web", got)
	}
}

// BenchmarkAdd is netpol generate --from-flows' work per record (after
// decoding): the records of testdata/shop.jsonl, added over and over.
func BenchmarkAdd(b *testing.B) {
	data, err := os.ReadFile("testdata/shop.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	var recs []Record
	if err := Read("shop.jsonl", bytes.NewReader(data), func(r *Record) { recs = append(recs, *r) }, func(p Problem) { b.Fatal(p) }); err != nil {
		b.Fatal(err)
	}
	g, _ := NewGenerator(Options{})
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			g.Add(&recs[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
