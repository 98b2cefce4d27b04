package sbom

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/klauspost/compress/zstd"

	"github.com/kubeward/kubeward/internal/sharedtest"
)

// FuzzChiselManifest feeds chisel manifests, as an image could hold them
// (compressed or not, truncated, hostile), through the bound and
// osv-scalibr's chisel extractor: they may be refused, never panic or
// inflate past the bound. osv-scalibr's real manifests are seeds.
func FuzzChiselManifest(f *testing.F) {
	walls, _ := filepath.Glob(filepath.Join(sharedtest.ModulePath(f, "github.com/google/osv-scalibr", "extractor/filesystem/os/chisel/testdata/chisel"), "*.wall"))
	for _, w := range walls {
		b, err := os.ReadFile(w)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc.EncodeAll([]byte(`{"jsonwall":"1.0","schema":"1.0","count":2}
{"kind":"package","name":"libc6","version":"2.39-0ubuntu8.4","arch":"amd64"}
{"kind":"package","name":"","version":""}
`), nil))
	f.Add(enc.EncodeAll([]byte(`{"jsonwall":"2.0","schema":"9","count":99999999}`+"\n"), nil))
	e, err := chiselManifests(&cpb.PluginConfig{})
	if err != nil {
		f.Fatal(err)
	}
	fsys := fstest.MapFS{"etc/os-release": {Data: []byte("ID=ubuntu\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\n")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := e.Extract(context.Background(), &filesystem.ScanInput{FS: fsys, Path: "var/lib/chisel/manifest.wall", Reader: bytes.NewReader(data)})
		if err != nil && len(inv.Packages) > 0 {
			t.Fatalf("refused, yet %d packages", len(inv.Packages))
		}
		for _, p := range inv.Packages {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("a package without name or version: %+v", p)
			}
		}
	})
}
