package intent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
)

// TestBaselineEditable: the saved baseline is a file people edit; an
// executable added by hand is known after Load.
func TestBaselineEditable(t *testing.T) {
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	pod := &event.Pod{Namespace: "shop", Name: "web-1", Workload: "Deployment/web"}
	exec := func(b *Baselines, at time.Duration, path string) int {
		return len(b.Observe(&event.Event{Kind: event.Exec, Time: t0.Add(at), Path: path, Pod: pod}, nil))
	}
	b := NewBaselines(eng, time.Hour)
	exec(b, 0, "/usr/bin/web")
	if n := exec(b, 2*time.Hour, "/bin/sh"); n != 1 {
		t.Fatalf("novel exec after learning: %d alerts", n)
	}
	file := filepath.Join(t.TempDir(), "baselines.json")
	if err := b.Save(file); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	edited := strings.Replace(string(data), `"/usr/bin/web"`, `"/usr/bin/web", "/bin/sh"`, 1)
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	b2 := NewBaselines(eng, time.Hour)
	if err := b2.Load(file); err != nil {
		t.Fatal(err)
	}
	if n := exec(b2, 2*time.Hour, "/bin/sh"); n != 0 {
		t.Errorf("an executable added by hand still alerts")
	}
	if n := exec(b2, 2*time.Hour, "/usr/bin/curl"); n != 1 {
		t.Errorf("a novel executable after Load: %d alerts", n)
	}
}

func TestNormalizePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/etc/nginx/nginx.conf", "/etc/nginx/nginx.conf"},
		{"/tmp/tmpa8Xk2q", "/tmp/"},
		{"/tmp/build/x/y.o", "/tmp/"},
		{"/var/tmp/cache", "/var/tmp/"},
		{"/dev/shm/sem.x", "/dev/shm/"},
		{"/tmpfoo/x", "/tmpfoo/x"},
		{"/proc/1/fd/3", "/proc/*/fd/*"},
		{"/proc/4242/task/4243/comm", "/proc/*/task/*/comm"},
		{"/var/log/app-2026-12-07.log", "/var/log/app-*-*-*.log"},
		{"/var/log/app.log.1", "/var/log/app.log.1"},
		{"/var/lib/postgresql/data/base/16384/2619", "/var/lib/postgresql/data/base/*/*"},
		{"/var/lib/postgresql/data/pg_wal/000000010000000000000001", "/var/lib/postgresql/data/pg_wal/*"},
		{"/var/lib/php/sessions/sess_9f86d081884c7d65", "/var/lib/php/sessions/sess_*"},
		{"/data/uploads/550e8400-e29b-41d4-a716-446655440000.png", "/data/uploads/*.png"},
		{"/data/uploads/6ba7b810-9dad-11d1-80b4-00c04fd430c8.png", "/data/uploads/*.png"},
		{"/usr/lib/python3.11/x.pyc", "/usr/lib/python3.*/x.pyc"},
		{"/app/cafe.txt", "/app/cafe.txt"},
		{"/app/weird[1]*?.txt", `/app/weird\[1\]\*\?.txt`},
		{"/", "/"},
	} {
		got := NormalizePath(tc.in)
		if got != tc.want {
			t.Errorf("NormalizePath(%q) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		// What is learned covers the file that taught it.
		var s fileSet
		s.add(got)
		if !s.match(path.Clean(tc.in)) {
			t.Errorf("%q does not match %q", got, tc.in)
		}
	}
}

// TestFileSetCollapse: a directory collecting more than maxPerDir
// learned names becomes dir/*; other directories keep their entries.
func TestFileSetCollapse(t *testing.T) {
	var s fileSet
	list := s.learn(nil, "/etc/app.conf")
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		list = s.learn(list, "/var/cache/app/"+n+".idx")
	}
	if !slices.Equal(list, []string{"/etc/app.conf", "/var/cache/app/*"}) {
		t.Errorf("collapsed list %q", list)
	}
	if !s.match("/var/cache/app/zz.idx") || s.match("/var/cache/app/sub/x") || s.match("/etc/other.conf") || !s.match("/etc/app.conf") {
		t.Error("collapsed set matches wrongly")
	}
}

// TestBaselineFileFormat: files and peers are saved beside executables,
// sorted, and read back; what a person adds by hand (a pattern, a
// directory, a CIDR, any port) is honoured; malformed entries are errors.
func TestBaselineFileFormat(t *testing.T) {
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	pod := &event.Pod{Namespace: "shop", Name: "web-1", Workload: "Deployment/web"}
	write := func(b *Baselines, at time.Duration, p string) []detect.Alert {
		return b.Observe(&event.Event{Kind: event.Open, Flags: event.FlagWrite, Time: t0.Add(at), Path: p, Pod: pod}, nil)
	}
	connect := func(b *Baselines, at time.Duration, peer string, proto uint16) []detect.Alert {
		ap := netip.MustParseAddrPort(peer)
		op := event.ConnAttempt
		if proto == 17 {
			op = event.ConnDatagram
		}
		return b.Observe(&event.Event{Kind: event.Connect, Op: op, Proto: proto, Time: t0.Add(at), Remote: ap.Addr(), RemotePort: ap.Port(), Pod: pod}, nil)
	}
	b := NewBaselines(eng, time.Hour)
	write(b, 0, "/var/log/web/access-2026-12-07.log")
	write(b, time.Minute, "/tmp/upload-x1")
	connect(b, 0, "10.96.0.10:53", 17)
	connect(b, 0, "203.0.113.7:443", 6)
	// Reads, inbound connections and loopback are not learned.
	b.Observe(&event.Event{Kind: event.Open, Time: t0, Path: "/etc/passwd", Pod: pod}, nil)
	b.Observe(&event.Event{Kind: event.Connect, Op: event.ConnEstablished, Flags: event.FlagInbound, Proto: 6, Time: t0, Remote: netip.MustParseAddr("10.0.0.9"), RemotePort: 40000, Pod: pod}, nil)
	connect(b, 0, "127.0.0.1:8080", 6)

	after := 2 * time.Hour
	if a := write(b, after, "/var/log/web/access-2026-12-08.log"); len(a) != 0 {
		t.Errorf("tomorrow's log file alerts: %v", a[0].Message)
	}
	if a := write(b, after, "/tmp/other"); len(a) != 0 {
		t.Errorf("another file in /tmp alerts")
	}
	if a := write(b, after, "/etc/passwd"); len(a) != 1 || a[0].Rule != "novel-file-write" || a[0].Details["path"] != "/etc/passwd" {
		t.Errorf("novel write: %v", a)
	}
	if a := connect(b, after, "10.96.0.10:53", 17); len(a) != 0 {
		t.Errorf("learned peer alerts")
	}
	if a := connect(b, after, "203.0.113.7:8443", 6); len(a) != 1 || a[0].Rule != "novel-peer" || a[0].Details["peer"] != "203.0.113.7" || a[0].Details["port"] != "8443" {
		t.Errorf("a learned address on a new port: %v", a)
	}
	if a := connect(b, after, "10.96.0.10:53", 6); len(a) != 1 {
		t.Errorf("a learned peer over another protocol: %d alerts", len(a))
	}

	file := filepath.Join(t.TempDir(), "baselines.json")
	if err := b.Save(file); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	var saved map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatal(err)
	}
	w := saved["shop/Deployment/web"]
	if got := string(w["files"]); !strings.Contains(got, `"/tmp/"`) || !strings.Contains(got, `"/var/log/web/access-*-*-*.log"`) {
		t.Errorf("saved files %s", got)
	}
	if got := string(w["peers"]); !strings.Contains(got, `"address": "10.96.0.10"`) || !strings.Contains(got, `"protocol": "UDP"`) || strings.Contains(got, "127.0.0.1") {
		t.Errorf("saved peers %s", got)
	}
	if got := string(w["executables"]); got != "[]" {
		t.Errorf("executables saved as %s, want an empty list to edit", got)
	}

	// Edited by hand: a directory, a CIDR on any port, a namespace.
	edited := strings.Replace(string(data), `"files": [`, `"files": ["/srv/data/", "/etc/passwd", `, 1)
	edited = strings.Replace(edited, `"peers": [`, `"peers": [{"address": "198.51.100.0/24", "protocol": "TCP"}, {"namespace": "cache", "port": 6379, "protocol": "TCP"}, `, 1)
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	b2 := NewBaselines(eng, time.Hour)
	if err := b2.Load(file); err != nil {
		t.Fatalf("%v\n%s", err, edited)
	}
	for _, p := range []string{"/srv/data/a/b", "/etc/passwd", "/tmp/zz"} {
		if a := write(b2, after, p); len(a) != 0 {
			t.Errorf("%s added by hand still alerts", p)
		}
	}
	if a := write(b2, after, "/srv/database"); len(a) != 1 {
		t.Errorf("/srv/database is not below /srv/data/: %d alerts", len(a))
	}
	if a := connect(b2, after, "198.51.100.20:9000", 6); len(a) != 0 {
		t.Errorf("an address in a CIDR added by hand alerts")
	}
	if a := connect(b2, after, "198.51.100.20:9000", 17); len(a) != 1 {
		t.Errorf("UDP to a TCP-only CIDR: %d alerts", len(a))
	}

	for name, bad := range map[string]string{
		"misspelt peer field": `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "executables": [], "peers": [{"adress": "10.0.0.1", "protocol": "TCP"}]}}`,
		"misspelt files":      `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "file": ["/x"]}}`,
		"two names":           `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "peers": [{"namespace": "a", "address": "10.0.0.1", "protocol": "TCP"}]}}`,
		"no protocol":         `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "peers": [{"address": "10.0.0.1"}]}}`,
		"lower-case protocol": `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "peers": [{"address": "10.0.0.1", "protocol": "tcp"}]}}`,
		"bad address":         `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "peers": [{"address": "10.0.0.300", "protocol": "TCP"}]}}`,
		"port out of range":   `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "peers": [{"address": "10.0.0.1", "port": 70000, "protocol": "TCP"}]}}`,
		"workload not keyed":  `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "peers": [{"workload": "Deployment/db", "protocol": "TCP"}]}}`,
		"relative file":       `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "files": ["var/log/x"]}}`,
		"workload key":        `{"web": {"since": "2026-01-01T00:00:00Z"}}`,
		"bad glob":            `{"w/Pod/x": {"since": "2026-01-01T00:00:00Z", "files": ["/var/log/[x"]}}`,
	} {
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := NewBaselines(eng, time.Hour).Load(file); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// A misspelt field in the hand-edited file is an error, not an edit
// silently lost.
func TestBaselineMisspeltField(t *testing.T) {
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "baselines.json")
	if err := os.WriteFile(file, []byte(`{"shop/Deployment/web": {"since": "2026-01-01T00:00:00Z", "executable": ["/bin/sh"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewBaselines(eng, time.Hour).Load(file); err == nil || !strings.Contains(err.Error(), `"executable"`) {
		t.Errorf("misspelt field: %v", err)
	}
}

// FuzzReadBaselines: any file either fails to load or loads into
// baselines that save and read back the same.
func FuzzReadBaselines(f *testing.F) {
	f.Add(`{"shop/Deployment/web": {"since": "2026-12-07T08:00:00Z", "executables": ["/usr/bin/web"], "files": ["/tmp/", "/var/log/web/*.log"], "peers": [{"workload": "shop/Deployment/db", "port": 5432, "protocol": "TCP"}, {"address": "10.0.0.0/8", "protocol": "UDP"}]}}`)
	f.Add(`{"a/Pod/b": null}`)
	f.Add(`{"a/Pod/b": {"since": "x"}}`)
	f.Add(`{"a/Pod/b": {"files": ["/[a"]}}`)
	f.Add(`[]`)
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data string) {
		in := filepath.Join(dir, "in.json")
		if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		b := NewBaselines(eng, time.Hour)
		if b.Load(in) != nil {
			return
		}
		out := filepath.Join(dir, "out.json")
		if err := b.Save(out); err != nil {
			t.Fatal(err)
		}
		first, _ := os.ReadFile(out)
		b2 := NewBaselines(eng, time.Hour)
		if err := b2.Load(out); err != nil {
			t.Fatalf("saved baselines do not load: %v\n%s", err, first)
		}
		if err := b2.Save(out); err != nil {
			t.Fatal(err)
		}
		if second, _ := os.ReadFile(out); !bytes.Equal(first, second) {
			t.Fatalf("not stable:\n%s\n%s", first, second)
		}
	})
}

// BenchmarkBaselineObserve: the cost per event of a workload past its
// window, against the exec path that was there first (docs/PERFORMANCE.md).
// The baseline holds 64 learned files (some of them patterns) and 32 peers.
func BenchmarkBaselineObserve(b *testing.B) {
	eng, err := rules.NewEngine(rules.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	pod := &event.Pod{Namespace: "shop", Name: "web-1", Workload: "Deployment/web"}
	bl := NewBaselines(eng, time.Hour)
	for i := range 64 {
		bl.Observe(&event.Event{Kind: event.Open, Flags: event.FlagWrite, Time: t0, Path: fmt.Sprintf("/var/lib/web/d%c/file-%d.log", 'a'+i%8, i), Pod: pod}, nil)
	}
	for i := range 32 {
		bl.Observe(&event.Event{Kind: event.Connect, Op: event.ConnAttempt, Proto: 6, Time: t0, Remote: netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}), RemotePort: 5432, Pod: pod}, nil)
	}
	bl.Observe(&event.Event{Kind: event.Exec, Time: t0, Path: "/usr/bin/web", Pod: pod}, nil)
	after := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		name string
		e    event.Event
	}{
		{"exec-known", event.Event{Kind: event.Exec, Time: after, Path: "/usr/bin/web", Pod: pod}},
		{"file-known-exact", event.Event{Kind: event.Open, Flags: event.FlagWrite, Time: after, Path: "/var/lib/web/da/file-0.log", Pod: pod}},
		{"file-known-pattern", event.Event{Kind: event.Open, Flags: event.FlagWrite, Time: after, Path: "/var/lib/web/dh/file-99.log", Pod: pod}},
		{"file-novel", event.Event{Kind: event.Open, Flags: event.FlagWrite, Time: after, Path: "/etc/crontab", Pod: pod}},
		{"peer-known", event.Event{Kind: event.Connect, Op: event.ConnAttempt, Proto: 6, Time: after, Remote: netip.AddrFrom4([4]byte{10, 0, 1, 31}), RemotePort: 5432, Pod: pod}},
		{"peer-novel", event.Event{Kind: event.Connect, Op: event.ConnAttempt, Proto: 6, Time: after, Remote: netip.AddrFrom4([4]byte{192, 0, 2, 1}), RemotePort: 4444, Pod: pod}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var dst []detect.Alert
			for b.Loop() {
				dst = bl.Observe(&tc.e, dst[:0])
			}
		})
	}
}

// FuzzNormalizePath: what learning records of a path is a valid pattern
// that covers the path (or a baseline would alert on the very file it
// learned), and normalising it again changes nothing the path needs.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/var/log/app-2026-12-07.log", "/a/[b]*?\\c", "/proc/1/fd/3", "/x/550e8400-e29b-41d4-a716-446655440000", "/tmp/x", "/é/\x00/\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		p = path.Clean("/" + p)
		n := NormalizePath(p)
		if err := validPattern(n); err != nil {
			t.Fatalf("NormalizePath(%q) = %q: %v", p, n, err)
		}
		var s fileSet
		s.add(n)
		if !s.match(p) {
			t.Fatalf("NormalizePath(%q) = %q does not cover it", p, n)
		}
	})
}
