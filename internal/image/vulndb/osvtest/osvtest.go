// Package osvtest builds OSV databases for tests: per-ecosystem all.zip
// archives of OSV JSON in the layout of osv.dev's export bucket, served
// from a loopback HTTP server, and fetched with the real update path.
package osvtest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/kubeward/kubeward/internal/image/vulndb"
)

// Archive zips advisories (OSV JSON documents) as osv.dev does: one
// <id>.json file each, deflated.
func Archive(t testing.TB, advisories ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range advisories {
		var head struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(a), &head); err != nil || head.ID == "" {
			t.Fatalf("advisory without an id: %v\n%s", err, a)
		}
		w, err := zw.Create(head.ID + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(a)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Server serves archives as <url>/<ecosystem>/all.zip on loopback, with an
// ETag so a second update is answered 304. Set replaces an archive.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	archives map[string][]byte
	gets     map[string]int
}

// Serve starts a server for the archives (ecosystem -> all.zip bytes).
func Serve(t testing.TB, archives map[string][]byte) *Server {
	t.Helper()
	s := &Server{archives: map[string][]byte{}, gets: map[string]int{}}
	for k, v := range archives {
		s.archives[k] = v
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Set replaces (or adds) an ecosystem's archive.
func (s *Server) Set(eco string, archive []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.archives[eco] = archive
}

// Downloads counts the full responses (200) served for an ecosystem.
func (s *Server) Downloads(eco string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[eco]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	eco, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
	s.mu.Lock()
	data, found := s.archives[eco]
	s.mu.Unlock()
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(data))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.mu.Lock()
	s.gets[eco]++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/zip")
	w.Write(data)
}

// DB fetches the archives into dir through vulndb.Update from a loopback
// server and opens the database.
func DB(t testing.TB, dir string, archives map[string][]byte) *vulndb.DB {
	t.Helper()
	srv := Serve(t, archives)
	var ecos []string
	for eco := range archives {
		ecos = append(ecos, eco)
	}
	if _, err := vulndb.Update(context.Background(), dir, vulndb.UpdateOptions{Remote: srv.URL, Ecosystems: ecos}); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Synthetic writes an archive of n advisories shaped like Debian's (an id,
// a CVE alias, a paragraph of details, one affected entry per release of
// eco with a fixed version) over the source packages pkg-0 ... pkg-(m-1),
// for benchmarks at the size of the real database. One package in fifty
// ("pkg-hot", as Linux is in Debian) draws 2% of the advisories. Package
// pkg-i is fixed in 1.(k)-1 for k = id mod 50, so an installed 1.25-1 is
// affected by about half of its advisories.
func Synthetic(w io.Writer, eco string, n, m int) error {
	zw := zip.NewWriter(w)
	words := strings.Fields("buffer overflow in the parser allows remote attackers to cause a denial of service " +
		"or possibly execute arbitrary code via a crafted request header when compression is enabled and the " +
		"length field exceeds the allocated size of the decoding table on thirty two bit platforms only")
	var details strings.Builder
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pkg-%d", (i*7919)%m)
		if i%50 == 0 {
			name = "pkg-hot"
		}
		details.Reset()
		for j := 0; details.Len() < 1200; j++ {
			details.WriteString(words[(i*31+j*17+j*j)%len(words)])
			details.WriteByte(' ')
		}
		var affected []any
		for _, release := range []string{"11", "12", "13"} {
			affected = append(affected, map[string]any{
				"package": map[string]string{"ecosystem": eco + ":" + release, "name": name, "purl": "pkg:deb/debian/" + name + "?arch=source"},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{
					map[string]string{"introduced": "0"}, map[string]string{"fixed": fmt.Sprintf("1.%d-1", i%50)}}}},
			})
		}
		doc, err := json.Marshal(map[string]any{
			"schema_version": "1.6.0",
			"id":             fmt.Sprintf("SYN-CVE-%07d", i),
			"modified":       "2025-01-01T00:00:00Z",
			"published":      "2024-01-01T00:00:00Z",
			"upstream":       []string{fmt.Sprintf("CVE-2024-%07d", i)},
			"details":        details.String(),
			"affected":       affected,
			"references":     []any{map[string]string{"type": "ADVISORY", "url": fmt.Sprintf("https://security-tracker.debian.org/tracker/CVE-2024-%07d", i)}},
		})
		if err != nil {
			return err
		}
		f, err := zw.Create(fmt.Sprintf("SYN-CVE-%07d.json", i))
		if err != nil {
			return err
		}
		if _, err := f.Write(doc); err != nil {
			return err
		}
	}
	return zw.Close()
}

// Real reads real OSV records of vulndb's testdata/osv by id (their
// sources are in its README).
func Real(t testing.TB, ids ...string) []string {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("osvtest: no source path")
	}
	var out []string
	for _, id := range ids {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "testdata", "osv", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}
