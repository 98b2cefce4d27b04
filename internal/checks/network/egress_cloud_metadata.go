package network

import (
	"fmt"
	"net/netip"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"github.com/kubeward/kubeward/internal/netpol"
)

// metadataAddrs are the instance metadata services of AWS, GCP, Azure,
// OpenStack and others (169.254.169.254) and of AWS over IPv6; they all
// answer HTTP on port 80.
var metadataAddrs = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

// EgressCloudMetadata finds egress rules that allow the cloud metadata
// service.
//
// Reads: NetworkPolicy spec.egress[*].to[*].ipBlock and spec.egress[*].ports.
// Allows: rules whose ipBlocks exclude the metadata addresses (with except)
// or whose ports exclude 80/TCP. Only ipBlock peers are judged: a rule
// without peers (egress: [{}]) restricts nothing, like having no egress
// policy at all, which netpol-namespace-default-deny-egress reports; the
// mistake this check catches is a CIDR meant for the Internet or a subnet
// that also covers the metadata address.
var EgressCloudMetadata = &check.Check{
	Meta: check.Meta{
		ID:       "netpol-egress-cloud-metadata",
		Title:    "NetworkPolicy allows egress to the cloud metadata service",
		Severity: check.High,
		Category: check.CategoryNetwork,
		Rationale: "The metadata service at 169.254.169.254 hands out the node's cloud credentials and bootstrap data; " +
			"a pod that can reach it can often act as the node in the cloud account.",
		Fix:   "Add 169.254.169.254/32 (and fd00:ec2::254/128 on AWS IPv6) to the except list of the ipBlock, or narrow the cidr.",
		Reads: []string{"NetworkPolicy spec.egress[*].to[*].ipBlock", "NetworkPolicy spec.egress[*].ports"},
		Refs: append([]check.Reference{{Framework: check.FrameworkMITRE, ID: "T1552.005", Title: "Unsecured Credentials: Cloud Instance Metadata API"}},
			references...),
	},
	Needs:          needs,
	Inventory:      egressCloudMetadata,
	NamespaceLocal: true,
}

func init() { check.Register(EgressCloudMetadata) }

func egressCloudMetadata(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	a := analyze(ctx, inv)
	var out []check.Result
	for i, info := range a.infos {
		if !info.Affects[netpol.Egress] {
			continue
		}
		for ri, r := range info.Rules[netpol.Egress] {
			for _, addr := range metadataAddrs {
				peer, ok := a.eng.RuleAllowsIP(info.Ref.Index, netpol.Egress, ri, addr, 80, netpol.TCP)
				if !ok || peer < 0 {
					continue
				}
				path := fieldpath.Parse(r.Ref.Path).Child("to").Index(peer).Child("ipBlock")
				whom := "the pods the policy selects"
				if n := len(info.Selected); n > 0 {
					whom = fmt.Sprintf("the %d workload(s) the policy selects", n)
				}
				out = append(out, check.Result{Object: a.Policies[i], Path: path, Message: fmt.Sprintf(
					"egress rule %d allows %s port 80/TCP, the cloud metadata service, to %s: its ipBlock covers the address", r.Ref.Rule, addr, whom)})
				break
			}
		}
	}
	return out
}
