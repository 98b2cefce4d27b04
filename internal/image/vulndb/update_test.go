package vulndb_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	rpmmeta "github.com/google/osv-scalibr/extractor/filesystem/os/rpm/metadata"
	"github.com/kubeward/kubeward/internal/image/vulndb"
	"github.com/kubeward/kubeward/internal/image/vulndb/osvtest"
)

func matchOne(t *testing.T, dir string, p *extractor.Package) []string {
	t.Helper()
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Match(context.Background(), []*extractor.Package{p})
	if err != nil {
		t.Fatal(err)
	}
	return summary(res.Findings)
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	v1 := osvtest.Archive(t, advisory("DEBIAN-CVE-2024-3000", "Debian:12", "openssl", "introduced:0", "fixed:3.1-1"))
	srv := osvtest.Serve(t, map[string][]byte{"Debian": v1})
	opts := vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: []string{"Debian"}}
	pkg := deb("openssl", "openssl", "3.0-1")

	up, err := vulndb.Update(ctx, dir, opts)
	if err != nil || len(up) != 1 || up[0].Unchanged || up[0].Bytes != int64(len(v1)) || up[0].Records != 1 {
		t.Fatalf("first update: %+v, %v", up, err)
	}
	if got := matchOne(t, dir, pkg); !slices.Equal(got, []string{"DEBIAN-CVE-2024-3000 openssl 3.0-1 -> 3.1-1"}) {
		t.Errorf("after the first update: %v", got)
	}
	if fetched, source := vulndb.ReadMeta(dir, "Debian"); fetched.IsZero() || source != srv.URL+"/Debian/all.zip" {
		t.Errorf("meta: %v %q", fetched, source)
	}

	// Unchanged remote: a conditional request, no download.
	up, err = vulndb.Update(ctx, dir, opts)
	if err != nil || !up[0].Unchanged || srv.Downloads("Debian") != 1 {
		t.Fatalf("second update: %+v, %v, %d downloads", up, err, srv.Downloads("Debian"))
	}

	// A new archive replaces the old one and its index.
	srv.Set("Debian", osvtest.Archive(t, advisory("DEBIAN-CVE-2024-3001", "Debian:12", "openssl", "introduced:0", "fixed:3.2-1")))
	if up, err = vulndb.Update(ctx, dir, opts); err != nil || up[0].Unchanged {
		t.Fatalf("third update: %+v, %v", up, err)
	}
	if got := matchOne(t, dir, pkg); !slices.Equal(got, []string{"DEBIAN-CVE-2024-3001 openssl 3.0-1 -> 3.2-1"}) {
		t.Errorf("after the archive changed: %v", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if old, _ := filepath.Glob(filepath.Join(dir, "*.old")); len(leftovers)+len(old) > 0 {
		t.Errorf("update left %v %v behind", leftovers, old)
	}
}

func TestUpdateRefusesDamagedAndUnknown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := osvtest.Archive(t, advisory("DEBIAN-CVE-2024-3000", "Debian:12", "openssl", "introduced:0", "fixed:3.1-1"))
	osvtest.DB(t, dir, map[string][]byte{"Debian": good})

	// A server that says the transfer's CRC32C should be another: the
	// download is refused and the copy in use stays.
	damaged := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sum [4]byte
		binary.BigEndian.PutUint32(sum[:], crc32.Checksum([]byte("other"), crc32.MakeTable(crc32.Castagnoli)))
		w.Header().Set("X-Goog-Hash", "crc32c="+base64.StdEncoding.EncodeToString(sum[:])+",md5=AAAA")
		w.Write(osvtest.Archive(t, advisory("DEBIAN-CVE-2024-9999", "Debian:12", "openssl", "introduced:0")))
	}))
	defer damaged.Close()
	_, err := vulndb.Update(ctx, dir, vulndb.UpdateOptions{Remote: damaged.URL, Ecosystems: []string{"Debian"}})
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged transfer: %v", err)
	}
	if got := matchOne(t, dir, deb("openssl", "openssl", "3.0-1")); !slices.Equal(got, []string{"DEBIAN-CVE-2024-3000 openssl 3.0-1 -> 3.1-1"}) {
		t.Errorf("the previous copy was lost: %v", got)
	}

	// Too large for the limit.
	srv := osvtest.Serve(t, map[string][]byte{"Debian": good})
	if _, err := vulndb.Update(ctx, dir, vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: []string{"Debian"}, MaxArchiveBytes: 10}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized archive: %v", err)
	}
	// An ecosystem the server does not have, a name that is a path, a scheme it cannot fetch.
	for _, tc := range []struct {
		opts vulndb.UpdateOptions
		want string
	}{
		{vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: []string{"Nope"}}, "404"},
		{vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: []string{"../etc"}}, "not an OSV ecosystem"},
		{vulndb.UpdateOptions{Remote: "ftp://example.invalid", Ecosystems: []string{"Debian"}}, "want https://"},
	} {
		if _, err := vulndb.Update(ctx, dir, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
	}
}

// TestUpdateFromFiles fetches from a local copy of the bucket, as an
// air-gapped site would from a mounted share.
func TestUpdateFromFiles(t *testing.T) {
	mirror := t.TempDir()
	if err := os.MkdirAll(filepath.Join(mirror, "Red Hat"), 0o755); err != nil {
		t.Fatal(err)
	}
	archive := osvtest.Archive(t, advisory("RHSA-2024:0001", "Red Hat:enterprise_linux:9::baseos", "openssl", "introduced:0", "fixed:1:3.0.7-25.el9"))
	if err := os.WriteFile(filepath.Join(mirror, "Red Hat", "all.zip"), archive, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	up, err := vulndb.Update(context.Background(), dir, vulndb.UpdateOptions{Remote: "file://" + mirror, Ecosystems: []string{"Red Hat"}})
	if err != nil || up[0].Bytes != int64(len(archive)) {
		t.Fatalf("update from files: %+v, %v", up, err)
	}
	if got := vulndb.Ecosystems(dir); !slices.Equal(got, []string{"Red Hat"}) {
		t.Errorf("ecosystems: %v", got)
	}
	// Red Hat advisories write rpm epochs: 1:3.0.7-24.el9 is affected,
	// 3.0.7-24.el9 with epoch 1 is the same version.
	rpm := &extractor.Package{Name: "openssl", Version: "3.0.7-24.el9", PURLType: "rpm", Metadata: &rpmmeta.Metadata{
		PackageName: "openssl", Epoch: 1, OSID: "rhel", OSVersionID: "9.4", OSCPEName: "cpe:/o:redhat:enterprise_linux:9::baseos"}}
	if got := matchOne(t, dir, rpm); !slices.Equal(got, []string{"RHSA-2024:0001 openssl 1:3.0.7-24.el9 -> 1:3.0.7-25.el9"}) {
		t.Errorf("rpm with an epoch: %v", got)
	}
}

// An index an older kubeward built (of another format) is rebuilt by the
// next update even when the archive has not changed.
func TestUpdateRebuildsOldIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	archive := osvtest.Archive(t, advisory("DEBIAN-CVE-2024-3100", "Debian:12", "openssl", "introduced:0", "fixed:3.1-1"))
	srv := osvtest.Serve(t, map[string][]byte{"Debian": archive})
	opts := vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: []string{"Debian"}}
	if _, err := vulndb.Update(ctx, dir, opts); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, "Debian", "kubeward.index")
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(header)
	f[1] = "1"
	if err := os.WriteFile(index, []byte(strings.Join(f, " ")+"\n"+rest), 0o644); err != nil {
		t.Fatal(err)
	}
	up, err := vulndb.Update(ctx, dir, opts)
	if err != nil || up[0].Unchanged || srv.Downloads("Debian") != 2 {
		t.Fatalf("update over an old index: %+v, %v, %d downloads", up, err, srv.Downloads("Debian"))
	}
	if got := matchOne(t, dir, deb("openssl", "openssl", "3.0-1")); !slices.Equal(got, []string{"DEBIAN-CVE-2024-3100 openssl 3.0-1 -> 3.1-1"}) {
		t.Errorf("after the update: %v", got)
	}
}

// TestDefaultEcosystemsJudgeBaseImages: after a default update, the OS
// packages of the common base images of Kubernetes workloads (as
// osv-scalibr describes them from their os-release) are all judged: each
// ecosystem a match looks them up in is fetched by default.
func TestDefaultEcosystemsJudgeBaseImages(t *testing.T) {
	db, err := vulndb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bases := map[string]*extractor.Package{
		"debian:12":                  dpkg("libssl3", "openssl", "3.0.11-1~deb12u2", "debian", "12", "bookworm"),
		"ubuntu:24.04":               dpkg("libssl3t64", "openssl", "3.0.13-0ubuntu3", "ubuntu", "24.04", "noble"),
		"alpine:3.20":                alpine("libssl3", "openssl", "3.3.1-r0", "3.20.1"),
		"wolfi-base":                 {Name: "glibc", Version: "2.40-r1", PURLType: "apk", Metadata: &apkmeta.Metadata{PackageName: "glibc", OSID: "wolfi"}},
		"ubi9":                       rpm("openssl-libs", "3.0.7-27.el9", 1, "rhel", "9.4", "cpe:/o:redhat:enterprise_linux:9::baseos"),
		"rockylinux:9":               rpm("openssl-libs", "3.0.7-27.el9", 1, "rocky", "9.4", ""),
		"almalinux:9":                rpm("openssl-libs", "3.0.7-27.el9", 1, "almalinux", "9.4", ""),
		"registry.suse.com/bci:15.6": rpm("libopenssl3", "3.1.4-150600.5.7.1", 0, "sles", "15.6", ""),
		"opensuse/leap:15.6":         rpm("libopenssl3", "3.1.4-150600.5.7.1", 0, "opensuse-leap", "15.6", ""),
	}
	for base, pkg := range bases {
		res, err := db.Match(context.Background(), []*extractor.Package{pkg})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Problems) != 0 || res.Unidentified != 0 || len(res.Missing) != 1 {
			t.Errorf("%s: missing %v, problems %q, %d unidentified", base, res.Missing, res.Problems, res.Unidentified)
		}
		for eco := range res.Missing {
			if !slices.Contains(vulndb.DefaultEcosystems(), eco) {
				t.Errorf("%s: %s is not fetched by default", base, eco)
			}
		}
	}
}
