package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
)

// Encryption at rest: the flag (CIS 1.2.27) and the configuration it names
// (CIS 1.2.28). The flag check never says encryption is configured: it only
// reports the flag missing; what the file does is judged on the file.

var kindEncryptionConfiguration = schema.GroupKind{Group: "apiserver.config.k8s.io", Kind: "EncryptionConfiguration"}

// APIServerEncryptionProviderConfig: --encryption-provider-config is set (CIS 1.2.27).
var APIServerEncryptionProviderConfig = flagCheck(check.Meta{
	ID:       "apiserver-encryption-provider-config",
	Title:    "API server does not encrypt Secrets at rest",
	Severity: check.Medium,
	Rationale: "Without --encryption-provider-config Secrets are stored in etcd as plain text: etcd backups, " +
		"snapshots and disks hold every credential of the cluster readable.",
	Fix: "Write an EncryptionConfiguration whose first provider for secrets is kms (v2), aescbc or secretbox, " +
		"and pass it with --encryption-provider-config.",
	Reads: reads(apiserver, "encryption-provider-config"),
	Refs:  []check.Reference{check.CIS("1.2.27", "Ensure that the --encryption-provider-config argument is set as appropriate"), check.NSA("Authentication and authorization")},
}, apiserver, mustSet("Secrets are stored in etcd unencrypted", "encryption-provider-config"))

// EncryptionProviders judges an EncryptionConfiguration (CIS 1.2.28): the
// provider that writes Secrets is the first provider of the first entry
// that covers them ("secrets", "*." or "*.*", as k8s.io/apiserver
// pkg/server/options/encryptionconfig/config.go resolves them).
//
// An API server without --encryption-provider-config has no provider at
// all, which fails this item as well as 1.2.27: a report read by CIS id
// must not show 1.2.28 clean for a cluster that encrypts nothing.
//
// Reads: resources[*].resources and resources[*].providers of every
// EncryptionConfiguration, and kube-apiserver --encryption-provider-config
// (absent: no encryption; present: says which API server uses a file). Key material is never read into a message.
// Allows: kms with apiVersion v2, aescbc, secretbox; aesgcm is low (it needs
// key rotation every 200k writes); kms v1 is deprecated (low); identity
// first, or Secrets not covered, is high.
var EncryptionProviders = &check.Check{
	Meta: check.Meta{
		ID:       "encryption-providers",
		Title:    "Secrets are not encrypted by a real provider",
		Severity: check.High,
		Category: check.CategoryControlPlane,
		Rationale: "The first provider listed for a resource encrypts every new write. identity stores plain " +
			"text, and a configuration that does not cover secrets leaves them unencrypted even though the flag is set.",
		Fix: "Make the first provider for secrets kms (apiVersion: v2), aescbc or secretbox, keep identity only " +
			"last (to read old data), then rewrite all Secrets (kubectl get secrets -A -o json | kubectl replace -f -).",
		Reads: []string{"EncryptionConfiguration resources[*].resources", "EncryptionConfiguration resources[*].providers[0]",
			"kube-apiserver --encryption-provider-config"},
		Refs: []check.Reference{check.CIS("1.2.28", "Ensure that encryption providers are appropriately configured"), check.NSA("Authentication and authorization")},
	},
	Needs:     append([]schema.GroupKind{kindEncryptionConfiguration}, componentKinds...),
	Inventory: encryptionProviders,
	Subject:   apiserverSubject,
}

func encryptionProviders(ctx *check.Context, inv *inventory.Inventory) []check.Result {
	out := unheldFiles(ctx, inv, "encryption-provider-config", kindEncryptionConfiguration, GapEncryptionConfig, "an EncryptionConfiguration")
	for _, o := range objectsOf(inv) {
		for _, in := range instances(ctx, o, apiserver) {
			if strings.TrimSpace(in.args.Get("encryption-provider-config").Raw) == "" {
				out = append(out, check.Result{Object: o, Path: in.at("encryption-provider-config"),
					Message: fmt.Sprintf("%s: %s: there is no EncryptionConfiguration, so every Secret is written to etcd in plain text, as the identity provider writes it", in.name, in.describe("encryption-provider-config"))})
			}
		}
	}
	for _, o := range inv.ByKind(kindEncryptionConfiguration) {
		var cfg apiserverv1.EncryptionConfiguration
		if err := decodeRaw(o, &cfg); err != nil {
			continue
		}
		users := usedBy(ctx, inv, o, "encryption-provider-config")
		entry, ok := secretsEntry(&cfg)
		if !ok {
			out = append(out, check.Result{Object: o, Path: fieldpath.New("resources"),
				Message: "no resources entry covers secrets (secrets, *. or *.*): Secrets are stored unencrypted" + users})
			continue
		}
		at := fieldpath.New("resources").Index(entry).Child("providers")
		providers := cfg.Resources[entry].Providers
		if len(providers) == 0 {
			out = append(out, check.Result{Object: o, Path: at, Message: "the entry that covers secrets lists no provider" + users})
			continue
		}
		first := providers[0]
		switch {
		case first.Identity != nil:
			msg := "the first provider for secrets is identity: new Secrets are written in plain text"
			if len(providers) > 1 {
				msg += " (the other providers only decrypt what they wrote before)"
			}
			out = append(out, check.Result{Object: o, Path: at.Index(0).Child("identity"), Message: msg + users})
		case first.AESGCM != nil:
			out = append(out, check.Result{Object: o, Path: at.Index(0).Child("aesgcm"), Severity: check.Low,
				Message: "the first provider for secrets is aesgcm, which is safe only with a new key every 200,000 writes; prefer kms v2 or secretbox" + users})
		case first.KMS != nil && first.KMS.APIVersion != "v2":
			out = append(out, check.Result{Object: o, Path: at.Index(0).Child("kms", "apiVersion"), Severity: check.Low,
				Message: fmt.Sprintf("the first provider for secrets is KMS %s, which is deprecated and disabled by default since Kubernetes 1.29; use apiVersion: v2", kmsVersion(first.KMS))})
		}
	}
	return out
}

func kmsVersion(k *apiserverv1.KMSConfiguration) string {
	if k.APIVersion == "" {
		return "v1 (no apiVersion)"
	}
	return k.APIVersion
}

// secretsEntry returns the index of the entry whose providers write Secrets.
func secretsEntry(cfg *apiserverv1.EncryptionConfiguration) (int, bool) {
	for _, want := range []string{"secrets", "*.", "*.*"} {
		for i, r := range cfg.Resources {
			for _, name := range r.Resources {
				if name == want || want == "secrets" && name == "secrets." {
					return i, true
				}
			}
		}
	}
	return 0, false
}

func init() { check.Register(APIServerEncryptionProviderConfig, EncryptionProviders) }
