package netpol

// The scenarios of k8s.io/kubernetes v1.37.2 test/e2e/network/netpol/
// network_policy.go, in upstream order, each with its pods, policies and
// expected truth tables. Scenarios that change labels or policies while
// running are ported as their successive static states (stages). Loopback
// is ignored, as upstream does (ignoreLoopback = true).

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type stage struct {
	note      string
	policies  []*networkingv1.NetworkPolicy
	nsLabels  map[string]map[string]string
	podLabels map[string]map[string]string
	probes    []probe
}

type scenario struct {
	name      string
	protocols []corev1.Protocol
	ports     []int32
	pods      []string
	stages    func(m *model) []stage
}

func tcp80(r *reachability) []probe { return []probe{{80, protocolTCP, r}} }

func matchLabels(kv ...string) *metav1.LabelSelector {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return &metav1.LabelSelector{MatchLabels: m}
}

func expr(key string, op metav1.LabelSelectorOperator, values ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

func podA() map[string]string { return map[string]string{"pod": "a"} }

var upstreamScenarios = []scenario{
	{
		name: "should support a 'default-deny-ingress' policy", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "y/b"},
		stages: func(m *model) []stage {
			policy := genNetworkPolicyWithNameAndPodSelector("deny-ingress", metav1.LabelSelector{}, setSpecIngressRules())
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should support a 'default-deny-all' policy", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			policy := genNetworkPolicyWithNameAndPodSelector("deny-all", metav1.LabelSelector{}, setSpecIngressRules(), setSpecEgressRules())
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy to allow traffic from pods within server namespace based on PodSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "x/c", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: matchLabels("pod", "b")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("x-a-allows-x-b", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			r.expect("x/b", "x/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy to allow ingress traffic for a target", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			deny := genNetworkPolicyWithNameAndPodSelector("deny-all", metav1.LabelSelector{}, setSpecIngressRules())
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}, NamespaceSelector: &metav1.LabelSelector{}}}}
			allow := genNetworkPolicyWithNameAndPodMatchLabel("allow-all-to-a", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", true)
			r.expectAllIngress("x/b", false)
			return []stage{{policies: pols(in("x", deny), in("x", allow)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy to allow ingress traffic from pods in all namespaces", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{}}}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-from-another-ns", podA(), setSpecIngressRules(rule))
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(newReachability(m.pods, true))}}
		},
	},
	{
		name: "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "y")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on PodSelector with MatchExpressions", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: expr("pod", metav1.LabelSelectorOpIn, "b")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("x-a-allows-x-b", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			r.expect("x/b", "x/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on NamespaceSelector with MatchExpressions", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: expr(namespaceLabelKey, metav1.LabelSelectorOpIn, "y")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-match-selector", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on PodSelector or NamespaceSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "x/c", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: expr(namespaceLabelKey, metav1.LabelSelectorOpNotIn, "x")},
				{PodSelector: matchLabels("pod", "b")},
			}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-match-selector", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expect("x/a", "x/a", false)
			r.expect("x/c", "x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on PodSelector and NamespaceSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "y/b", "z/b"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: expr(namespaceLabelKey, metav1.LabelSelectorOpNotIn, "x"), PodSelector: matchLabels("pod", "b")},
			}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-podselector-and-nsselector", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			r.expect("y/b", "x/a", true)
			r.expect("z/b", "x/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on Multiple PodSelectors and NamespaceSelectors", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "y/b", "y/c"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: expr(namespaceLabelKey, metav1.LabelSelectorOpNotIn, "x"), PodSelector: expr("pod", metav1.LabelSelectorOpIn, "b", "c")},
			}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-z-pod-b-c", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			r.expect("y/a", "x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on any PodSelectors", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "x/c"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{
				{PodSelector: matchLabels("pod", "b")}, {PodSelector: matchLabels("pod", "c")},
			}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-x-pod-b-c", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			r.expect("x/b", "x/a", true)
			r.expect("x/c", "x/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: matchLabels(namespaceLabelKey, "y"), PodSelector: matchLabels("pod", "a")},
			}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-pod-a-via-namespace-pod-selector", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			r.expect("y/a", "x/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on Ports", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "y")}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(81), Protocol: &protocolTCP}},
			}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			r.expectPeer(peerSpec{Namespace: "y"}, peerSpec{Namespace: "x", Pod: "a"}, true)
			r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{81, protocolTCP, r}}}}
		},
	},
	{
		name: "should enforce multiple, stacked policies with overlapping podSelectors", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80, 81},
		pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"},
		stages: func(m *model) []stage {
			allowedLabels := matchLabels(namespaceLabelKey, "y")
			rule81 := networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: allowedLabels}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(81), Protocol: &protocolTCP}},
			}
			allow81 := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector", podA(), setSpecIngressRules(rule81)))
			allow := newReachability(m.pods, true)
			allow.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			allow.expectPeer(peerSpec{Namespace: "y"}, peerSpec{Namespace: "x", Pod: "a"}, true)
			allow.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			deny := newReachability(m.pods, true)
			deny.expectAllIngress("x/a", false)

			rule80 := networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: allowedLabels}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(80), Protocol: &protocolTCP}},
			}
			allow80 := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector-80", podA(), setSpecIngressRules(rule80)))
			return []stage{
				{note: "port 81 only", policies: pols(allow81), probes: []probe{{81, protocolTCP, allow}, {80, protocolTCP, deny}}},
				{note: "policy for port 80 added", policies: pols(allow81, allow80), probes: []probe{{80, protocolTCP, allow}}},
			}
		},
	},
	{
		name: "should support allow-all policy", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80, 81},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-all", map[string]string{}, setSpecIngressRules(networkingv1.NetworkPolicyIngressRule{}))
			r := newReachability(m.pods, true)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{80, protocolTCP, r}, {81, protocolTCP, r}}}}
		},
	},
	{
		name: "should allow ingress access on one named port", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80, 81},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: namedPort("serve-81-tcp")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-all", map[string]string{}, setSpecIngressRules(rule))
			r81 := newReachability(m.pods, true)
			r80 := newReachability(m.pods, true)
			r80.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{81, protocolTCP, r81}, {80, protocolTCP, r80}}}}
		},
	},
	{
		name: "should allow ingress access from namespace on one named port", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80, 81},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "y")}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: namedPort("serve-80-tcp"), Protocol: &protocolTCP}},
			}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector-80", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			fail := newReachability(m.pods, true)
			fail.expectAllIngress("x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{80, protocolTCP, r}, {81, protocolTCP, fail}}}}
		},
	},
	{
		name: "should allow egress access on one named port", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80, 81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: namedPort("serve-80-tcp")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-egress", map[string]string{}, setSpecEgressRules(rule))
			r80 := newReachability(m.pods, true)
			r81 := newReachability(m.pods, true)
			r81.expectPeer(peerSpec{Namespace: "x"}, peerSpec{}, false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{80, protocolTCP, r80}, {81, protocolTCP, r81}}}}
		},
	},
	{
		name: "should not allow all ports if it cannot limit to the requested port", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: namedPort("no-such-port"), Protocol: &protocolTCP}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ingress-on-nonexistent-port", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce updated policy", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			allowAll := genNetworkPolicyWithNameAndPodMatchLabel("allow-all-mutate-to-deny-all", map[string]string{}, setSpecIngressRules(networkingv1.NetworkPolicyIngressRule{}))
			denyAll := genNetworkPolicyWithNameAndPodMatchLabel("allow-all-mutate-to-deny-all", map[string]string{}, setSpecIngressRules(networkingv1.NetworkPolicyIngressRule{}))
			denyAll.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
			deny := newReachability(m.pods, true)
			deny.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			return []stage{
				{note: "allow all", policies: pols(in("x", allowAll)), probes: []probe{{81, protocolTCP, newReachability(m.pods, true)}}},
				{note: "updated to deny all", policies: pols(in("x", denyAll)), probes: []probe{{81, protocolTCP, deny}}},
			}
		},
	},
	{
		name: "should allow ingress access from updated namespace", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels("ns2", "updated")}}}
			policy := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector", podA(), setSpecIngressRules(rule)))
			before := newReachability(m.pods, true)
			before.expectAllIngress("x/a", false)
			after := newReachability(m.pods, true)
			after.expectAllIngress("x/a", false)
			after.expectPeer(peerSpec{Namespace: "y"}, peerSpec{}, true)
			return []stage{
				{note: "before the label", policies: pols(policy), probes: tcp80(before)},
				{note: "namespace y labelled ns2=updated", policies: pols(policy), nsLabels: map[string]map[string]string{"y": {"ns2": "updated"}}, probes: tcp80(after)},
			}
		},
	},
	{
		name: "should allow ingress access from updated pod", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: matchLabels("pod", "b", "pod2", "updated")}}}
			policy := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-pod-selector", podA(), setSpecIngressRules(rule)))
			before := newReachability(m.pods, true)
			before.expectAllIngress("x/a", false)
			after := newReachability(m.pods, true)
			after.expectAllIngress("x/a", false)
			after.expect("x/b", "x/a", true)
			return []stage{
				{note: "before the label", policies: pols(policy), probes: tcp80(before)},
				{note: "x/b labelled pod2=updated", policies: pols(policy), podLabels: map[string]map[string]string{"x/b": {"pod2": "updated"}}, probes: tcp80(after)},
			}
		},
	},
	{
		name: "should deny ingress from pods on other namespaces", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{}}}}}
			policy := genNetworkPolicyWithNameAndPodSelector("deny-empty-policy", metav1.LabelSelector{}, setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "y"}, peerSpec{Namespace: "x"}, false)
			r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should deny ingress access to updated pod", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			policy := in("x", genNetworkPolicyWithNameAndPodSelector("deny-ingress-via-label-selector",
				metav1.LabelSelector{MatchLabels: map[string]string{"target": "isolated"}}, setSpecIngressRules()))
			after := newReachability(m.pods, true)
			after.expectAllIngress("x/a", false)
			return []stage{
				{note: "before the label", policies: pols(policy), probes: tcp80(newReachability(m.pods, true))},
				{note: "x/a labelled target=isolated", policies: pols(policy), podLabels: map[string]map[string]string{"x/a": {"target": "isolated"}}, probes: tcp80(after)},
			}
		},
	},
	{
		name: "should deny egress from pods based on PodSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			policy := genNetworkPolicyWithNameAndPodSelector("deny-egress-pod-a", metav1.LabelSelector{MatchLabels: podA()}, setSpecEgressRules())
			r := newReachability(m.pods, true)
			r.expectAllEgress("x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should deny egress from all pods in a namespace", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			policy := genNetworkPolicyWithNameAndPodSelector("deny-egress-ns-x", metav1.LabelSelector{}, setSpecEgressRules())
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should work with Ingress, Egress specified together", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80, 81},
		pods: []string{"x/a", "x/b", "x/c", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: matchLabels("pod", "b")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-pod-selector", podA(), setSpecIngressRules(rule))
			policy.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(80)}}}}
			policy.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress}
			r80 := newReachability(m.pods, true)
			r80.expectAllIngress("x/a", false)
			r80.expect("x/b", "x/a", true)
			r81 := newReachability(m.pods, true)
			r81.expectAllIngress("x/a", false)
			r81.expectAllEgress("x/a", false)
			r81.expect("x/b", "x/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{80, protocolTCP, r80}, {81, protocolTCP, r81}}}}
		},
	},
	{
		name: "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a", "y/b"},
		stages: func(m *model) []stage {
			egress := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "y"), PodSelector: matchLabels("pod", "a")}}}
			egressPolicy := genNetworkPolicyWithNameAndPodMatchLabel("allow-to-ns-y-pod-a", podA(), setSpecEgressRules(egress))
			ingress := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "x"), PodSelector: matchLabels("pod", "a")}}}
			allowA := genNetworkPolicyWithNameAndPodMatchLabel("allow-from-xa-on-ya-match-selector", podA(), setSpecIngressRules(ingress))
			allowB := genNetworkPolicyWithNameAndPodMatchLabel("allow-from-xa-on-yb-match-selector", map[string]string{"pod": "b"}, setSpecIngressRules(ingress))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x", Pod: "a"}, peerSpec{}, false)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "y", Pod: "a"}, false)
			r.expectPeer(peerSpec{Namespace: "x", Pod: "a"}, peerSpec{Namespace: "y", Pod: "a"}, true)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "y", Pod: "b"}, false)
			return []stage{{policies: pols(in("x", egressPolicy), in("y", allowA), in("y", allowB)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a", "y/b"},
		stages: func(m *model) []stage {
			egress := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "y"), PodSelector: matchLabels("pod", "a")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-to-ns-y-pod-a", podA(), setSpecEgressRules(egress))
			r := newReachability(m.pods, true)
			r.expectAllEgress("x/a", false)
			r.expect("x/a", "y/a", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce ingress policy allowing any port traffic to a server on a specific protocol", protocols: []corev1.Protocol{protocolTCP, protocolUDP}, ports: []int32{80},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &protocolTCP}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ingress-by-proto", podA(), setSpecIngressRules(rule))
			rUDP := newReachability(m.pods, true)
			rUDP.expectPeer(peerSpec{}, peerSpec{Namespace: "x", Pod: "a"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{80, protocolTCP, newReachability(m.pods, true)}, {80, protocolUDP, rUDP}}}}
		},
	},
	{
		name: "should enforce multiple ingress policies with ingress allow-all policy taking precedence", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(80)}}}
			only80 := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-ingress-port-80", map[string]string{}, setSpecIngressRules(rule)))
			all := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-ingress", map[string]string{}, setSpecIngressRules(networkingv1.NetworkPolicyIngressRule{})))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			return []stage{
				{note: "port 80 only", policies: pols(only80), probes: []probe{{81, protocolTCP, r}}},
				{note: "allow-all added", policies: pols(only80, all), probes: []probe{{81, protocolTCP, newReachability(m.pods, true)}}},
			}
		},
	},
	{
		name: "should enforce multiple egress policies with egress allow-all policy taking precedence", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(80)}}}
			only80 := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-egress-port-80", map[string]string{}, setSpecEgressRules(rule)))
			all := in("x", genNetworkPolicyWithNameAndPodMatchLabel("allow-egress", map[string]string{}, setSpecEgressRules(networkingv1.NetworkPolicyEgressRule{})))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{}, false)
			return []stage{
				{note: "port 80 only", policies: pols(only80), probes: []probe{{81, protocolTCP, r}}},
				{note: "allow-all added", policies: pols(only80, all), probes: []probe{{81, protocolTCP, newReachability(m.pods, true)}}},
			}
		},
	},
	{
		name: "should stop enforcing policies after they are deleted", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			policy := genNetworkPolicyWithNameAndPodSelector("deny-all", metav1.LabelSelector{}, setSpecIngressRules(), setSpecEgressRules())
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{}, false)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			return []stage{
				{note: "deny all", policies: pols(in("x", policy)), probes: tcp80(r)},
				{note: "policies deleted", probes: tcp80(newReachability(m.pods, true))},
			}
		},
	},
	{
		name: "should allow egress access to server in CIDR block", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "y/a", "y/b"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: m.ip("y/b") + "/32"}}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-cidr-egress-rule", podA(), setSpecEgressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllEgress("x/a", false)
			r.expect("x/a", "y/b", true)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce except clause while egress access to server in CIDR block", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "x/c"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{
				CIDR: makeLargeCIDRForIP(m.ip("x/b")), Except: []string{m.ip("x/b") + "/32"}}}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-cidr-egress-rule", podA(), setSpecEgressRules(rule))
			r := newReachability(m.pods, true)
			r.expect("x/a", "x/b", false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "x/c"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{
				CIDR: makeLargeCIDRForIP(m.ip("x/b")), Except: []string{m.ip("x/b") + "/32"}}}}}
			first := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-cidr-egress-rule", podA(), setSpecEgressRules(rule))
			r := newReachability(m.pods, true)
			r.expect("x/a", "x/b", false)
			// Upstream updates the policy of the same name, so the second
			// state holds only the /32 rule.
			rule3 := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: m.ip("x/b") + "/32"}}}}
			second := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-cidr-egress-rule", podA(), setSpecEgressRules(rule3))
			r2 := newReachability(m.pods, true)
			r2.expectAllEgress("x/a", false)
			r2.expect("x/a", "x/b", true)
			return []stage{
				{note: "except excludes x/b", policies: pols(in("x", first)), probes: tcp80(r)},
				{note: "policy updated to allow x/b only", policies: pols(in("x", second)), probes: tcp80(r2)},
			}
		},
	},
	{
		name: "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a"},
		stages: func(m *model) []stage {
			target := metav1.LabelSelector{MatchLabels: podA()}
			egress := in("x", genNetworkPolicyWithNameAndPodSelector("allow-egress-for-target", target, setSpecEgressRules(networkingv1.NetworkPolicyEgressRule{})))
			deny := in("x", genNetworkPolicyWithNameAndPodSelector("deny-ingress-via-label-selector", target, setSpecIngressRules()))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			return []stage{
				{note: "egress allowed", policies: pols(egress), probes: tcp80(newReachability(m.pods, true))},
				{note: "ingress denied", policies: pols(egress, deny), probes: tcp80(r)},
			}
		},
	},
	{
		name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			deny := genNetworkPolicyWithNameAndPodSelector("deny-ingress", metav1.LabelSelector{}, setSpecIngressRules())
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(81), Protocol: &protocolSCTP}}}
			sctp := genNetworkPolicyWithNameAndPodMatchLabel("allow-only-sctp-ingress-on-port-81", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
			return []stage{{policies: pols(in("x", deny), in("x", sctp)), probes: []probe{{81, protocolTCP, r}}}}
		},
	},
	{
		name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(80), Protocol: &protocolSCTP}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-only-sctp-ingress-on-port-80", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{81, protocolTCP, r}}}}
		},
	},
	{
		name: "should not allow access by TCP when a policy specifies only UDP", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{81},
		pods: []string{"x/a", "y/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(81), Protocol: &protocolUDP}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-only-udp-ingress-on-port-81", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectAllIngress("x/a", false)
			return []stage{{policies: pols(in("x", policy)), probes: []probe{{81, protocolTCP, r}}}}
		},
	},
	{
		name: "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(corev1.LabelMetadataName, "y")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-client-a-via-ns-selector-for-immutable-ns-label", podA(), setSpecIngressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
	{
		name: "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label", protocols: []corev1.Protocol{protocolTCP}, ports: []int32{80},
		pods: []string{"x/a", "x/b", "y/a", "z/a"},
		stages: func(m *model) []stage {
			rule := networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: expr(corev1.LabelMetadataName, metav1.LabelSelectorOpNotIn, "y")}}}
			policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-match-selector-for-immutable-ns-label", podA(), setSpecEgressRules(rule))
			r := newReachability(m.pods, true)
			r.expectPeer(peerSpec{Namespace: "x", Pod: "a"}, peerSpec{Namespace: "y"}, false)
			return []stage{{policies: pols(in("x", policy)), probes: tcp80(r)}}
		},
	},
}

// The UDP ([LinuxOnly]) and SCTP ([Feature:SCTPConnectivity]) suites run
// the same three scenarios on their protocol.
func protocolScenarios(proto corev1.Protocol) []scenario {
	one := func(r *reachability, port int) []probe { return []probe{{port, proto, r}} }
	return []scenario{
		{
			name: "should support a 'default-deny-ingress' policy", protocols: []corev1.Protocol{proto}, ports: []int32{80},
			pods: []string{"x/a", "x/b", "y/a", "y/b"},
			stages: func(m *model) []stage {
				policy := genNetworkPolicyWithNameAndPodSelector("deny-all", metav1.LabelSelector{}, setSpecIngressRules())
				r := newReachability(m.pods, true)
				r.expectPeer(peerSpec{}, peerSpec{Namespace: "x"}, false)
				return []stage{{policies: pols(in("x", policy)), probes: one(r, 80)}}
			},
		},
		{
			name: "should enforce policy based on Ports", protocols: []corev1.Protocol{proto}, ports: []int32{81},
			pods: []string{"x/a", "x/b", "y/a", "z/a"},
			stages: func(m *model) []stage {
				p := proto
				rule := networkingv1.NetworkPolicyIngressRule{
					From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: matchLabels(namespaceLabelKey, "y")}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: intPort(81), Protocol: &p}},
				}
				policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ingress-on-port-81-ns-x", podA(), setSpecIngressRules(rule))
				r := newReachability(m.pods, true)
				r.expectPeer(peerSpec{Namespace: "x"}, peerSpec{Namespace: "x", Pod: "a"}, false)
				r.expectPeer(peerSpec{Namespace: "z"}, peerSpec{Namespace: "x", Pod: "a"}, false)
				return []stage{{policies: pols(in("x", policy)), probes: one(r, 81)}}
			},
		},
		{
			name: "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", protocols: []corev1.Protocol{proto}, ports: []int32{80},
			pods: []string{"x/a", "x/b", "y/a"},
			stages: func(m *model) []stage {
				rule := networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{
					{NamespaceSelector: matchLabels(namespaceLabelKey, "y"), PodSelector: matchLabels("pod", "a")},
				}}
				policy := genNetworkPolicyWithNameAndPodMatchLabel("allow-ns-y-pod-a-via-namespace-pod-selector", podA(), setSpecIngressRules(rule))
				r := newReachability(m.pods, true)
				r.expectAllIngress("x/a", false)
				r.expect("y/a", "x/a", true)
				return []stage{{policies: pols(in("x", policy)), probes: one(r, 80)}}
			},
		},
	}
}

func pols(ps ...*networkingv1.NetworkPolicy) []*networkingv1.NetworkPolicy { return ps }

func runScenarios(t *testing.T, scs []scenario) {
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			base := &model{pods: sc.pods, ports: sc.ports, protocols: sc.protocols}
			stages := sc.stages(base)
			if len(stages) == 0 {
				t.Fatal("scenario has no stages")
			}
			for i, st := range stages {
				m := *base
				m.nsLabels, m.podLabels = st.nsLabels, st.podLabels
				eng := New(m.input(st.policies...))
				if probs := eng.Problems(); len(probs) > 0 {
					t.Fatalf("stage %d: unexpected problems: %v", i, probs)
				}
				if len(st.probes) == 0 {
					t.Fatalf("stage %d has no probes", i)
				}
				mat := eng.Matrix()
				for _, p := range st.probes {
					validate(t, eng, mat, p)
				}
			}
		})
	}
}

func TestUpstreamNetpolTCP(t *testing.T) { runScenarios(t, upstreamScenarios) }

func TestUpstreamNetpolUDP(t *testing.T) { runScenarios(t, protocolScenarios(protocolUDP)) }

func TestUpstreamNetpolSCTP(t *testing.T) { runScenarios(t, protocolScenarios(protocolSCTP)) }

// TestUpstreamScenarioCount guards against scenarios silently dropping out
// of the tables: upstream v1.37.2 has 43 TCP and 3+3 UDP/SCTP scenarios.
func TestUpstreamScenarioCount(t *testing.T) {
	if got := len(upstreamScenarios); got != 43 {
		t.Errorf("ported %d TCP scenarios, upstream has 43", got)
	}
	if got := len(protocolScenarios(protocolUDP)); got != 3 {
		t.Errorf("ported %d UDP scenarios, upstream has 3", got)
	}
}
