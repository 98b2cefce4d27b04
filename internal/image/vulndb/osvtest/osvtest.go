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
	"net/http"
	"net/http/httptest"
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
