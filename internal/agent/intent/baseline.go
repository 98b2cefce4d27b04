package intent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/flowlog"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/source"
	kwsource "github.com/kubeward/kubeward/internal/source"
)

// Baselines learn what each workload does during a window from the first
// thing it is seen doing (the executables it runs, the files it writes,
// the peers it connects to), then report what falls outside what they
// learned (novel-exec, novel-file-write, novel-peer). The baselines are a
// JSON file people can read and edit: an entry added by hand is known, a
// workload removed starts learning again.
type Baselines struct {
	rules *rules.Engine
	// Learn is the learning window; MaxEntries bounds each of a
	// workload's sets (past it the set stops learning early).
	Learn      time.Duration
	MaxEntries int
	// MaxWorkloads bounds the table.
	MaxWorkloads int
	// Resolver names a peer address (the pod's workload, a Service);
	// nil: peers are addresses.
	Resolver flowlog.Resolver

	mu sync.Mutex
	w  map[workloadKey]*Baseline
}

// workloadKey is a workload as events name it; the file names it
// namespace/Kind/name.
type workloadKey struct{ namespace, workload string }

func (k workloadKey) String() string { return k.namespace + "/" + k.workload }

func parseWorkloadKey(s string) (workloadKey, error) {
	ns, wl, _ := strings.Cut(s, "/")
	if ns == "" || strings.Count(wl, "/") != 1 {
		return workloadKey{}, fmt.Errorf("workload %q: namespace/Kind/name", s)
	}
	return workloadKey{ns, wl}, nil
}

// Baseline is one workload's. Files are paths or patterns (see
// NormalizePath); peers are workloads, namespaces, Services or addresses
// with a port and protocol.
type Baseline struct {
	// Since is the workload's first event seen; it learns until
	// Since+Learn.
	Since       time.Time `json:"since"`
	Executables []string  `json:"executables"`
	Files       []string  `json:"files"`
	Peers       []Peer    `json:"peers"`
	exes        map[string]bool
	files       fileSet
	peers       map[Peer]bool
	// recent holds connections judged known in the minute since
	// recentSince: a repeat skips naming the peer (pod addresses are
	// reused, so no longer than that).
	recent      map[recentPeer]bool
	recentSince time.Time
}

type recentPeer struct {
	addr  netip.Addr
	port  uint16
	proto uint16
}

// NewBaselines starts with no baseline.
func NewBaselines(eng *rules.Engine, learn time.Duration) *Baselines {
	return &Baselines{rules: eng, Learn: learn, MaxEntries: 256, MaxWorkloads: 10_000, w: map[workloadKey]*Baseline{}}
}

func key(p *event.Pod) workloadKey { return workloadKey{p.Namespace, p.Workload} }

// Observe learns or judges an exec, an open for writing or an outbound
// connection of a pod.
func (b *Baselines) Observe(e *event.Event, dst []detect.Alert) []detect.Alert {
	if e.Pod == nil || e.Pod.Workload == "" {
		return dst
	}
	switch e.Kind {
	case event.Exec:
		if e.Path != "" {
			return b.exec(e, dst)
		}
	case event.Open:
		if e.Path != "" && e.Flags&event.FlagWrite != 0 {
			return b.file(e, dst)
		}
	case event.Connect:
		if e.Inbound() || !e.Remote.IsValid() || e.Remote.Unmap().IsLoopback() || e.Remote.IsUnspecified() {
			return dst
		}
		// A TCP connection is judged at its attempt (the SYN: a scan
		// never establishes), a UDP flow at a datagram sent.
		if e.Op == event.ConnAttempt && e.Proto == 6 || e.Op == event.ConnDatagram && e.Proto == 17 {
			return b.peer(e, dst)
		}
	}
	return dst
}

// workload returns the baseline of e's workload, created at e, and
// whether it is still learning; nil when the table is full. Called with
// mu held.
func (b *Baselines) workload(e *event.Event) (*Baseline, bool) {
	k := key(e.Pod)
	bl := b.w[k]
	if bl == nil {
		if len(b.w) >= b.MaxWorkloads {
			return nil, false
		}
		bl = &Baseline{Since: e.Time}
		bl.index()
		b.w[k] = bl
	}
	return bl, e.Time.Before(bl.Since.Add(b.Learn))
}

// judge learns what e did into its workload's baseline while it learns
// (known: the baseline holds it; size: the set's; learn: add it), and
// reports whether it is novel: outside the baseline past the window, or
// past the set's bound, with the set's size and the baseline's start.
func (b *Baselines) judge(e *event.Event, known func(*Baseline) bool, size func(*Baseline) int, learn func(*Baseline)) (novel bool, n int, since time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bl, learning := b.workload(e)
	if bl == nil || known(bl) {
		return false, 0, since
	}
	if learning && size(bl) < b.MaxEntries {
		learn(bl)
		return false, 0, since
	}
	return true, size(bl), bl.Since
}

// alert reports a novel behaviour: the workload did what, outside a
// baseline of n of what.
func (b *Baselines) alert(rule string, e *event.Event, did string, n int, of string, since time.Time, details map[string]string, dst []detect.Alert) []detect.Alert {
	k := key(e.Pod).String()
	details["baseline"] = k
	h := &detect.Hit{Message: fmt.Sprintf("%s %s, outside its baseline of %d %s learned since %s", k, did, n, of, since.UTC().Format(time.RFC3339)), Details: details}
	return b.rules.Emit(rule, h, e, dst)
}

func (b *Baselines) exec(e *event.Event, dst []detect.Alert) []detect.Alert {
	novel, n, since := b.judge(e,
		func(bl *Baseline) bool { return bl.exes[e.Path] },
		func(bl *Baseline) int { return len(bl.Executables) },
		func(bl *Baseline) {
			bl.exes[e.Path] = true
			bl.Executables = append(bl.Executables, e.Path)
		})
	if !novel {
		return dst
	}
	return b.alert("novel-exec", e, "ran "+e.Path, n, "executables", since, map[string]string{"executable": e.Path}, dst)
}

func (b *Baselines) file(e *event.Event, dst []detect.Alert) []detect.Alert {
	novel, n, since := b.judge(e,
		func(bl *Baseline) bool { return bl.files.match(e.Path) },
		func(bl *Baseline) int { return len(bl.Files) },
		func(bl *Baseline) { bl.Files = bl.files.learn(bl.Files, NormalizePath(e.Path)) })
	if !novel {
		return dst
	}
	return b.alert("novel-file-write", e, "wrote "+e.Path, n, "files", since, map[string]string{"path": e.Path, "pattern": NormalizePath(e.Path)}, dst)
}

func (b *Baselines) peer(e *event.Event, dst []detect.Alert) []detect.Alert {
	r := recentPeer{e.Remote.Unmap(), e.RemotePort, e.Proto}
	b.mu.Lock()
	bl := b.w[key(e.Pod)]
	if bl != nil && e.Time.Sub(bl.recentSince) > time.Minute {
		clear(bl.recent)
		bl.recentSince = e.Time
	}
	if bl != nil && bl.recent[r] {
		b.mu.Unlock()
		return dst
	}
	b.mu.Unlock()
	o := b.observe(e)
	p := o.entry()
	novel, n, since := b.judge(e,
		func(bl *Baseline) bool {
			if !bl.knows(&o, p) {
				return false
			}
			if len(bl.recent) < maxRecent {
				bl.recent[r] = true
			}
			return true
		},
		func(bl *Baseline) int { return len(bl.Peers) },
		func(bl *Baseline) {
			bl.peers[p] = true
			bl.Peers = append(bl.Peers, p)
		})
	if !novel {
		return dst
	}
	return b.alert("novel-peer", e, "connected to "+p.String(), n, "peers", since,
		map[string]string{"peer": p.name(), "address": o.addr.String(), "port": strconv.Itoa(int(o.port)), "protocol": o.proto}, dst)
}

// index builds the lookups of a baseline's lists.
func (bl *Baseline) index() {
	bl.exes = map[string]bool{}
	for _, x := range bl.Executables {
		bl.exes[x] = true
	}
	bl.files = fileSet{}
	for _, f := range bl.Files {
		bl.files.add(f)
	}
	bl.recent = map[recentPeer]bool{}
	bl.peers = map[Peer]bool{}
	for _, p := range bl.Peers {
		bl.peers[p] = true
	}
}

// Save writes the baselines to a file (atomically: a crash leaves the old
// one), each list sorted.
func (b *Baselines) Save(path string) error {
	b.mu.Lock()
	out := make(map[string]Baseline, len(b.w))
	for k, v := range b.w {
		out[k.String()] = Baseline{Since: v.Since, Executables: sorted(v.Executables), Files: sorted(v.Files), Peers: sortedPeers(v.Peers)}
	}
	b.mu.Unlock()
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return source.WriteFileAtomic(path, append(data, '\n'))
}

// sorted copies a list sorted, empty rather than nil (the file shows
// every list, so people see what they may edit).
func sorted(s []string) []string {
	c := append([]string{}, s...)
	sort.Strings(c)
	return c
}

func sortedPeers(s []Peer) []Peer {
	c := append([]Peer{}, s...)
	slices.SortFunc(c, func(a, b Peer) int {
		if x, y := a.String(), b.String(); x != y {
			if x < y {
				return -1
			}
			return 1
		}
		return 0
	})
	return c
}

// Load reads baselines saved (or edited) in a file; a missing file is no
// baseline.
func (b *Baselines) Load(path string) error {
	in, err := ReadBaselines(path)
	if err != nil || in == nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range in {
		wk, _ := parseWorkloadKey(k)
		b.w[wk] = v
	}
	return nil
}

// maxRecent bounds a baseline's memory of connections judged known.
const maxRecent = 1024

// maxBaselinesBytes bounds the file: 10,000 workloads of a few dozen
// entries each are a few megabytes.
const maxBaselinesBytes = 128 << 20

// ReadBaselines reads and checks a baselines file (nil, nil when it does
// not exist). The file is edited by hand: a misspelt field, a relative or
// malformed path pattern, or a peer that names no one is an error, not an
// entry silently forgotten.
func ReadBaselines(path string) (map[string]*Baseline, error) {
	data, err := kwsource.ReadFile(path, maxBaselinesBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("baselines: %w", err)
	}
	var in map[string]*Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("baselines %s: %w", path, err)
	}
	for k, v := range in {
		if v == nil {
			delete(in, k)
			continue
		}
		if _, err := parseWorkloadKey(k); err != nil {
			return nil, fmt.Errorf("baselines %s: %w", path, err)
		}
		if err := v.validate(); err != nil {
			return nil, fmt.Errorf("baselines %s: %s: %w", path, k, err)
		}
		v.index()
	}
	return in, nil
}

func (bl *Baseline) validate() error {
	for _, f := range bl.Files {
		if err := validPattern(f); err != nil {
			return err
		}
	}
	for i := range bl.Peers {
		if err := bl.Peers[i].validate(); err != nil {
			return fmt.Errorf("peer %d: %w", i+1, err)
		}
	}
	return nil
}
