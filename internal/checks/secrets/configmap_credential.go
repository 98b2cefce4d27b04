package secrets

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/fieldpath"
	"github.com/kubeward/kubeward/internal/inventory"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ConfigMapCredential reports ConfigMap values that hold credentials:
// a single-line value by its shape or its key's name (as for environment
// variables), and config files held in a key by the token shapes in them
// and by settings such as "password: ..." or "client_secret=..." with a
// literal value, naming the line.
//
// Reads: data, binaryData. One finding per key, at data[key] or
// binaryData[key], describing the strongest detection and counting the rest.
// Allows: the same placeholders, references and non-credential names as
// env-literal-credential; inside config files, high-entropy strings alone
// (digests, ids and dashboards are full of them); "_example" keys, which
// Knative and Tekton use to document settings. Binary values are only
// searched for token shapes.
var ConfigMapCredential = &check.Check{
	Meta: check.Meta{
		ID:       "configmap-credential",
		Title:    "Credential stored in a ConfigMap",
		Severity: check.High,
		Category: check.CategorySecrets,
		Rationale: "ConfigMaps are not treated as secret: they are readable by more roles, shown by kubectl describe, " +
			"copied into logs and repositories, and never encrypted at rest.",
		Fix: "Rotate the credential; move it into a Secret created outside the repository, mount it as a file and " +
			"reference it from the configuration (many formats accept a password file or an environment reference).",
		Reads: []string{"data", "binaryData"},
		Peers: []check.Peer{check.Trivy("KSV109"), check.Kubescape("C-0012")},
		Refs:  externalStorageRefs,
	},
	Object: configMapCredential,
	Kinds:  []schema.GroupKind{inventory.KindConfigMap},
}

func init() { check.Register(ConfigMapCredential) }

var (
	dataPath       = fieldpath.New("data")
	binaryDataPath = fieldpath.New("binaryData")
)

func configMapCredential(_ *check.Context, o *inventory.Object) []check.Result {
	return configMapResults(o, false)
}

// ConfigMapCredentialsInUse is the check's judgement of a ConfigMap
// written to a running cluster (the audit rule configmap-credentials): a
// value that only looks like a placeholder (changeme, MY-KEY) is the value
// in use there and is reported; templates, variables and null words are
// not.
func ConfigMapCredentialsInUse(o *inventory.Object) []check.Result {
	return configMapResults(o, true)
}

func configMapResults(o *inventory.Object, inUse bool) []check.Result {
	cm, ok := o.Typed.(*corev1.ConfigMap)
	if !ok {
		return nil
	}
	aws := false
	for _, v := range cm.Data {
		aws = aws || HasAWSKeyID(v)
	}
	var out []check.Result
	report := func(field string, at *fieldpath.Path, k string, ds []Detection) {
		if len(ds) == 0 {
			return
		}
		path, line := keyPath(at, k), 0
		out = append(out, check.Result{
			Path:     path,
			Message:  fmt.Sprintf("%s key %q holds %s", field, SafeName(k), describe(ds, lines(o, path, "the value", &line))),
			Severity: ds[0].Severity(),
			Line:     line,
		})
	}
	for _, k := range sortedKeys(cm.Data) {
		if strings.HasPrefix(k, "_example") {
			continue // Knative and Tekton document their settings in an "_example" key
		}
		report("data", dataPath, k, classify(k, cm.Data[k], aws, inUse))
	}
	for _, k := range sortedKeys(cm.BinaryData) {
		v, text := textOrBinary(cm.BinaryData[k])
		if text {
			report("binaryData", binaryDataPath, k, classify(k, v, aws, inUse))
			continue
		}
		var ds []Detection
		scanShapes(v, func(kind Kind, _ int) bool {
			ds = append(ds, Detection{Kind: kind})
			return len(ds) < maxHits
		})
		sortBest(ds)
		report("binaryData", binaryDataPath, k, ds)
	}
	return out
}
