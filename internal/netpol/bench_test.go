package netpol

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// benchInput is the benchmark of the issue: 1,000 workloads in 50
// namespaces and 500 policies, shaped like a real platform: per namespace
// a default deny, DNS egress, and tier-to-tier allows with named ports,
// port ranges, namespace selectors and ipBlocks with excepts.
func benchInput(namespaces, perNamespace int) Input {
	var in Input
	tiers := []string{"web", "api", "worker", "db", "cache"}
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	for n := range namespaces {
		ns := fmt.Sprintf("team-%02d", n)
		in.Namespaces = append(in.Namespaces, Namespace{Name: ns, Labels: map[string]string{"group": fmt.Sprint(n % 5), "env": []string{"prod", "staging"}[n%2]}})
		for w := range perNamespace {
			tier := tiers[w%len(tiers)]
			in.Pods = append(in.Pods, Pod{
				Namespace: ns, Kind: "Deployment", Name: fmt.Sprintf("%s-%d", tier, w),
				Labels: map[string]string{"app": fmt.Sprintf("%s-%d", tier, w), "tier": tier, "version": fmt.Sprint(w % 3)},
				Ports: []ContainerPort{
					{Name: "http", Port: int32(8000 + w%4), Protocol: tcp},
					{Name: "metrics", Port: 9090, Protocol: tcp},
					{Name: "gossip", Port: 7946, Protocol: udp},
				},
			})
		}
	}
	private := []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"}
	sel := func(kv ...string) *metav1.LabelSelector {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return &metav1.LabelSelector{MatchLabels: m}
	}
	port := func(p intstr.IntOrString, proto corev1.Protocol, end int32) networkingv1.NetworkPolicyPort {
		pp := networkingv1.NetworkPolicyPort{Port: &p, Protocol: &proto}
		if end > 0 {
			pp.EndPort = &end
		}
		return pp
	}
	both := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	for n := range namespaces {
		ns := fmt.Sprintf("team-%02d", n)
		mk := func(name string, podSel *metav1.LabelSelector, types []networkingv1.PolicyType) *networkingv1.NetworkPolicy {
			np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
			np.Spec.PodSelector, np.Spec.PolicyTypes = *podSel, types
			return np
		}
		deny := mk("default-deny", &metav1.LabelSelector{}, both)
		dns := mk("allow-dns", &metav1.LabelSelector{}, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress})
		dns.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel(corev1.LabelMetadataName, "kube-system"), PodSelector: sel("k8s-app", "kube-dns")}},
			Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(53), udp, 0), port(intstr.FromInt32(53), tcp, 0)},
		}}
		web := mk("web-from-ingress", sel("tier", "web"), nil)
		web.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("group", fmt.Sprint((n+1)%5))}, {IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: private}}},
			Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("http"), tcp, 0)},
		}}
		api := mk("api-from-web", sel("tier", "api"), nil)
		api.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "web")}, {NamespaceSelector: sel("env", "prod"), PodSelector: sel("tier", "web")}},
			Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(8000), tcp, 8003)},
		}}
		db := mk("db-from-api", sel("tier", "db"), nil)
		db.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"api", "worker"}}}}}},
			Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(5432), tcp, 0)},
		}}
		metrics := mk("metrics-from-monitoring", &metav1.LabelSelector{}, nil)
		metrics.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("group", "0"), PodSelector: sel("tier", "worker")}},
			Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("metrics"), tcp, 0)},
		}}
		egress := mk("egress-internal", &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"db"}}}}, []networkingv1.PolicyType{networkingv1.PolicyTypeEgress})
		egress.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
			{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}},
			{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: sel("env", "prod")}}, Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("http"), tcp, 0)}},
		}
		internet := mk("egress-internet", sel("tier", "worker"), []networkingv1.PolicyType{networkingv1.PolicyTypeEgress})
		internet.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: private}}, {IPBlock: &networkingv1.IPBlock{CIDR: fmt.Sprintf("203.0.%d.0/24", n)}}},
			Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromInt32(443), tcp, 0)},
		}}
		gossip := mk("gossip", sel("tier", "cache"), both)
		gossip.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "cache")}}, Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("gossip"), udp, 0)}}}
		gossip.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("tier", "cache")}}, Ports: []networkingv1.NetworkPolicyPort{port(intstr.FromString("gossip"), udp, 0)}}}
		in.Policies = append(in.Policies, deny, dns, web, api, db, metrics, egress, internet, gossip, mk("select-version-2", sel("version", "2"), nil))
	}
	return in
}

// BenchmarkMatrix1000x500 builds the engine and the full matrix of the
// issue's benchmark. Run with -cpu 1 for the one-core figure.
func BenchmarkMatrix1000x500(b *testing.B) {
	in := benchInput(50, 20)
	if len(in.Pods) != 1000 || len(in.Policies) != 500 {
		b.Fatalf("benchmark input has %d pods and %d policies", len(in.Pods), len(in.Policies))
	}
	b.ReportAllocs()
	var live uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		m := New(in).Matrix()
		b.StopTimer()
		runtime.ReadMemStats(&after)
		live = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(float64(live)/(1<<20), "heap-MiB")
}

// BenchmarkBaselineLabelMatch is the baseline the matrix is measured
// against, in the same run: what a selection-only scanner does for the
// same pairs, i.e. for each ordered pair of workloads, test every policy
// of both namespaces with a plain map comparison of matchLabels.
func BenchmarkBaselineLabelMatch(b *testing.B) {
	in := benchInput(50, 20)
	byNs := map[string][]*networkingv1.NetworkPolicy{}
	for _, p := range in.Policies {
		byNs[p.Namespace] = append(byNs[p.Namespace], p)
	}
	subset := func(sel, l map[string]string) bool {
		for k, v := range sel {
			if l[k] != v {
				return false
			}
		}
		return true
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = 0
		for i := range in.Pods {
			s := &in.Pods[i]
			for j := range in.Pods {
				d := &in.Pods[j]
				sel, dsel := false, false
				for _, p := range byNs[s.Namespace] {
					sel = sel || subset(p.Spec.PodSelector.MatchLabels, s.Labels)
				}
				for _, p := range byNs[d.Namespace] {
					dsel = dsel || subset(p.Spec.PodSelector.MatchLabels, d.Labels)
				}
				if sel && dsel {
					n++
				}
			}
		}
	}
	if n == 0 {
		b.Fatal("baseline matched nothing")
	}
}

// TestBenchInputIsMeaningful keeps the benchmark honest: its matrix must
// contain allowed and denied pairs, named ports and external classes.
func TestBenchInputIsMeaningful(t *testing.T) {
	in := benchInput(5, 10) // same shape, smaller
	e := New(in)
	if len(e.Problems()) > 0 {
		t.Fatal(e.Problems())
	}
	m := e.Matrix()
	allowed, denied := 0, 0
	for s := range m.Len() {
		for d := range m.Len() {
			if set, ok := m.Allowed(s, d); ok {
				if set.IsEmpty() {
					denied++
				} else {
					allowed++
				}
			}
		}
	}
	if allowed == 0 || denied == 0 || len(m.Externals()) < 3 {
		t.Fatalf("allowed %d, denied %d, externals %d", allowed, denied, len(m.Externals()))
	}
	checkMatrixMatchesExplain(t, e)
	web := mustEndpoint(t, e, "team-01/Deployment/web-0")
	if !e.Allowed(IPEndpoint(netip.MustParseAddr("8.8.8.8")), web, 8000, TCP) || e.Allowed(IPEndpoint(netip.MustParseAddr("10.0.0.1")), web, 8000, TCP) {
		t.Error("internet ingress to web through its named port is not as the policies say")
	}
}

// BenchmarkEndpointAt is the node agent's lookup of each connection's
// peer among 1,000 pods with addresses.
func BenchmarkEndpointAt(b *testing.B) {
	in := benchInput(50, 20)
	for i := range in.Pods {
		in.Pods[i].IPs = []netip.Addr{netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})}
	}
	e := New(in)
	last, outside := in.Pods[len(in.Pods)-1].IPs[0], netip.MustParseAddr("203.0.113.7")
	b.ReportAllocs()
	for b.Loop() {
		if !e.EndpointAt(last).IsPod() || e.EndpointAt(outside).IsPod() {
			b.Fatal("wrong endpoint")
		}
	}
}
