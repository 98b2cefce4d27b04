package sbomtest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeward/kubeward/internal/sharedtest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaDir holds the formats' official JSON schemas, as published (see
// its README).
func SchemaDir(tb testing.TB) string {
	tb.Helper()
	return sharedtest.ModulePath(tb, "github.com/kubeward/kubeward", "internal/image/sbom/testdata/schema")
}

// ValidateSchema validates an SBOM against the official JSON schema of the
// format and version it declares (SPDX 2.3; CycloneDX by its specVersion),
// with the schemas it references, asserting formats as the formats'
// validators do.
func ValidateSchema(tb testing.TB, data []byte) {
	tb.Helper()
	var head struct {
		SPDXVersion string `json:"spdxVersion"`
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		tb.Fatalf("not a JSON SBOM: %v", err)
	}
	var id string
	switch {
	case head.SPDXVersion == "SPDX-2.3":
		id = "http://spdx.org/rdf/terms/2.3"
	case head.BOMFormat == "CycloneDX":
		id = "http://cyclonedx.org/schema/bom-" + head.SpecVersion + ".schema.json"
	default:
		tb.Fatalf("neither SPDX 2.3 nor CycloneDX: %+v", head)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("not JSON: %v", err)
	}
	if err := officialSchema(tb, id).Validate(inst); err != nil {
		tb.Errorf("invalid against %s:\n%v", id, err)
	}
}

func officialSchema(tb testing.TB, id string) *jsonschema.Schema {
	tb.Helper()
	dir := SchemaDir(tb)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no schema in %s: %v", dir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		var head struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(data, &head); err != nil || head.ID == "" {
			tb.Fatalf("%s has no $id (%v)", f, err)
		}
		if err := c.AddResource(head.ID, doc); err != nil {
			tb.Fatal(err)
		}
	}
	s, err := c.Compile(id)
	if err != nil {
		tb.Fatalf("no official schema %s in %s: %v", id, dir, err)
	}
	return s
}
