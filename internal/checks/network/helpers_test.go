package network

import (
	"sort"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/checks/checktest"
	"github.com/kubeward/kubeward/internal/diag"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/manifest"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type fixture struct {
	name string
	yaml string
	want []string // checktest.Describe lines
}

func runFixtures(t *testing.T, c *check.Check, fixtures []fixture) {
	t.Helper()
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			checktest.Expect(t, checktest.Run(t, tt.yaml, nil, c), tt.want...)
		})
	}
}

// Fixture pieces: a namespace with two workloads, and policies to add.
const (
	shopNS = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
`
	web = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
`
	api = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: x}]}
---
`
	denyAll = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
`
)

func policy(name, spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: shop}\nspec:\n" + spec + "\n---\n"
}

// runClusterFixtures runs an inventory check over objects marked as read
// from a live cluster, where the inventory is complete.
func runClusterFixtures(t *testing.T, c *check.Check, fixtures []fixture) {
	t.Helper()
	for _, tt := range fixtures {
		t.Run(tt.name, func(t *testing.T) {
			inv := inventory.NewInventory()
			dec := &manifest.Decoder{Reads: func(schema.GroupKind) bool { return true }, Log: &diag.Log{}}
			dec.Decode(manifest.Input{Name: "cluster", Data: []byte(tt.yaml)}, func(o *inventory.Object) {
				o.Source = inventory.Source{Cluster: "test"}
				inv.Add(o)
			})
			inv.Sort()
			var got []string
			for _, r := range c.Inventory(check.NewContext(nil), inv) {
				got = append(got, r.Object.Kind+"/"+r.Object.Name+" "+r.Path.String())
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("results:\n got %q\nwant %q", got, want)
			}
		})
	}
}
