package vulndb

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultRemote is osv.dev's export bucket.
const DefaultRemote = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultMaxArchiveBytes bounds one downloaded archive (the largest real
// ones are a few hundred MiB): a broken or hostile mirror cannot fill the
// disk.
const DefaultMaxArchiveBytes = 4 << 30

// DefaultEcosystems are fetched when neither the command line, the
// configuration nor an existing database names any: the distributions of
// the common base images of container workloads (Debian, Ubuntu, Alpine,
// Wolfi and Chainguard, the RHEL family of UBI, Rocky Linux and AlmaLinux,
// SLE BCI and openSUSE Leap) and the language ecosystems images are made
// of. Left to --ecosystem: Azure Linux, whose versions osv-scalibr cannot
// compare (its packages would stay unjudged whatever is fetched), and
// distributions seldom under container images (Mageia, openEuler).
func DefaultEcosystems() []string {
	return []string{
		"AlmaLinux", "Alpine", "Chainguard", "Debian", "Red Hat", "Rocky Linux", "SUSE", "Ubuntu", "Wolfi", "openSUSE",
		"Go", "Maven", "npm", "NuGet", "Packagist", "PyPI", "RubyGems", "crates.io",
	}
}

// DefaultDir is the database directory when none is configured: the user's
// cache directory (XDG_CACHE_HOME, else ~/.cache, on Linux), kubeward/osv.
func DefaultDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the vulnerability database (give --vuln-db): %w", err)
	}
	return filepath.Join(d, "kubeward", "osv"), nil
}

// Ecosystems lists the ecosystems a database directory holds an archive of.
func Ecosystems(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), archiveFile)); err == nil && e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// UpdateOptions configure Update.
type UpdateOptions struct {
	// Remote serves <Remote>/<ecosystem>/all.zip: https, http, or file://
	// for a local copy of the bucket. Default DefaultRemote.
	Remote     string
	Ecosystems []string
	// Client makes the requests (its timeout, proxy and TLS settings
	// apply); default one that honours the proxy environment.
	Client          *http.Client
	MaxArchiveBytes int64
}

// Updated reports one ecosystem.
type Updated struct {
	Ecosystem string `json:"ecosystem"`
	// Unchanged is set when the remote archive had not changed.
	Unchanged bool  `json:"unchanged,omitempty"`
	Bytes     int64 `json:"bytes"`
	// Records counts the index records (package name, advisory).
	Records int `json:"records"`
}

// meta is kubeward.json: what was fetched, from where, and when.
type meta struct {
	URL          string    `json:"url"`
	Fetched      time.Time `json:"fetched"`
	Size         int64     `json:"size"`
	CRC32C       uint32    `json:"crc32c"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"lastModified,omitempty"`
	Records      int       `json:"records"`
}

const metaFile = "kubeward.json"

// ReadMeta reports when an ecosystem's archive was fetched (zero if never).
func ReadMeta(dir, eco string) (fetched time.Time, source string) {
	var m meta
	if b, err := os.ReadFile(filepath.Join(dir, eco, metaFile)); err == nil && json.Unmarshal(b, &m) == nil {
		return m.Fetched, m.URL
	}
	return time.Time{}, ""
}

// Update fetches each ecosystem's archive into dir unless the remote copy
// is unchanged (a conditional request on the last fetch's ETag and date),
// and indexes it. Each ecosystem is replaced whole, so a failed or
// interrupted update leaves the previous copy in use.
func Update(ctx context.Context, dir string, opts UpdateOptions) ([]Updated, error) {
	if opts.Remote == "" {
		opts.Remote = DefaultRemote
	}
	if opts.MaxArchiveBytes <= 0 {
		opts.MaxArchiveBytes = DefaultMaxArchiveBytes
	}
	client, err := updateClient(opts)
	if err != nil {
		return nil, err
	}
	if len(opts.Ecosystems) == 0 {
		return nil, errors.New("no ecosystems to fetch")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vulnerability database: %w", err)
	}
	var out []Updated
	for _, eco := range opts.Ecosystems {
		if err := validEcosystem(eco); err != nil {
			return out, err
		}
		u, err := updateOne(ctx, client, dir, eco, opts)
		if err != nil {
			return out, fmt.Errorf("%s: %w", eco, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// validEcosystem refuses names that are not one directory: the name becomes
// a path under the database directory and a URL path segment.
func validEcosystem(eco string) error {
	if eco == "" || eco == "." || eco == ".." || strings.ContainsAny(eco, `/\`) || len(eco) > 64 {
		return fmt.Errorf("%q is not an OSV ecosystem name", eco)
	}
	for _, r := range eco {
		if r < 0x20 {
			return fmt.Errorf("%q is not an OSV ecosystem name", eco)
		}
	}
	return nil
}

func updateClient(opts UpdateOptions) (*http.Client, error) {
	u, err := url.Parse(opts.Remote)
	if err != nil {
		return nil, fmt.Errorf("remote host %q: %w", opts.Remote, err)
	}
	switch u.Scheme {
	case "https", "http":
		if opts.Client != nil {
			return opts.Client, nil
		}
		return &http.Client{Timeout: 30 * time.Minute}, nil
	case "file":
		// A copy of the bucket on disk or a mounted share: the same code
		// path, through net/http's file transport.
		t := &http.Transport{}
		t.RegisterProtocol("file", http.NewFileTransport(http.Dir("/")))
		return &http.Client{Transport: t}, nil
	}
	return nil, fmt.Errorf("remote host %q: want https://, http:// or file://", opts.Remote)
}

func updateOne(ctx context.Context, client *http.Client, dir, eco string, opts UpdateOptions) (Updated, error) {
	ecoDir := filepath.Join(dir, eco)
	archiveURL := strings.TrimRight(opts.Remote, "/") + "/" + url.PathEscape(eco) + "/" + archiveFile
	var old meta
	if b, err := os.ReadFile(filepath.Join(ecoDir, metaFile)); err == nil {
		_ = json.Unmarshal(b, &old)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, archiveURL, nil)
	if err != nil {
		return Updated{}, err
	}
	req.Header.Set("User-Agent", "kubeward")
	// An index an older kubeward built is rebuilt, so the archive is fetched
	// again even when it has not changed.
	current := old.URL == archiveURL && indexCurrent(ecoDir)
	if current {
		if old.ETag != "" {
			req.Header.Set("If-None-Match", old.ETag)
		}
		if old.LastModified != "" {
			req.Header.Set("If-Modified-Since", old.LastModified)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Updated{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && current {
		return Updated{Ecosystem: eco, Unchanged: true, Bytes: old.Size, Records: old.Records}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return Updated{}, fmt.Errorf("GET %s: %s", archiveURL, resp.Status)
	}
	if resp.ContentLength > opts.MaxArchiveBytes {
		return Updated{}, fmt.Errorf("GET %s: %d bytes, more than the limit of %d", archiveURL, resp.ContentLength, opts.MaxArchiveBytes)
	}

	stage, err := os.MkdirTemp(dir, ".update-*")
	if err != nil {
		return Updated{}, err
	}
	defer os.RemoveAll(stage)
	m := meta{URL: archiveURL, Fetched: time.Now().UTC(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	if m.Size, m.CRC32C, err = download(resp, filepath.Join(stage, archiveFile), opts.MaxArchiveBytes); err != nil {
		return Updated{}, fmt.Errorf("GET %s: %w", archiveURL, err)
	}
	if m.Records, err = buildIndex(stage); err != nil {
		return Updated{}, err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(stage, metaFile), append(b, '\n'), 0o644); err != nil {
		return Updated{}, err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return Updated{}, err
	}
	// Swap the directories: scans opening the ecosystem meanwhile see the
	// old copy or the new one, or (for an instant) none, never a mix.
	retired := ecoDir + ".old"
	os.RemoveAll(retired)
	if err := os.Rename(ecoDir, retired); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Updated{}, err
	}
	if err := os.Rename(stage, ecoDir); err != nil {
		return Updated{}, err
	}
	os.RemoveAll(retired)
	return Updated{Ecosystem: eco, Bytes: m.Size, Records: m.Records}, nil
}

// download streams the body to name, computing its CRC32C and checking it
// against the X-Goog-Hash header when the server sends one (Google Cloud
// Storage does), so a truncated or corrupted transfer is refused.
func download(resp *http.Response, name string, limit int64) (int64, uint32, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, 0, err
	}
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, err
	}
	if n > limit {
		return 0, 0, fmt.Errorf("more than the limit of %d bytes", limit)
	}
	sum := h.Sum32()
	if want, ok := googCRC32C(resp.Header); ok && want != sum {
		return 0, 0, fmt.Errorf("CRC32C %08x, the server says %08x: the transfer was damaged", sum, want)
	}
	return n, sum, nil
}

func googCRC32C(h http.Header) (uint32, bool) {
	for _, v := range h.Values("X-Goog-Hash") {
		for _, part := range strings.Split(v, ",") {
			if b64, ok := strings.CutPrefix(strings.TrimSpace(part), "crc32c="); ok {
				if b, err := base64.StdEncoding.DecodeString(b64); err == nil && len(b) == 4 {
					return binary.BigEndian.Uint32(b), true
				}
			}
		}
	}
	return 0, false
}
