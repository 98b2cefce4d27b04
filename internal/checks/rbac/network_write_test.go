package rbac

import "testing"

func TestNetworkWrite(t *testing.T) {
	fixtures := permissionFixtures("{verbs: [delete], apiGroups: [networking.k8s.io], resources: [networkpolicies]}", "{verbs: [get, list, watch], apiGroups: [''], resources: [services, endpoints]}")
	fixtures = append(fixtures,
		fixture{name: "EndpointSlices", yaml: clusterRole("r", "[{verbs: [create], apiGroups: [discovery.k8s.io], resources: [endpointslices]}]") + crb("b", "r", userDev), want: []string{"ClusterRole/r rules[0]"}},
		fixture{name: "Services and HTTPRoutes", yaml: role("a", "r", "[{verbs: [patch], apiGroups: [''], resources: [pods, services]}, {verbs: [update], apiGroups: [gateway.networking.k8s.io], resources: [httproutes]}]") + rb("a", "b", "Role", "r", userDev), want: []string{"Role/r rules[0]", "Role/r rules[1]"}},
		fixture{name: "service status only", yaml: clusterRole("r", "[{verbs: [patch], apiGroups: [''], resources: [services/status]}]") + crb("b", "r", userDev)},
	)
	runFixtures(t, NetworkWrite, fixtures)
}
