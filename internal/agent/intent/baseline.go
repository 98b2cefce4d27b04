package intent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/flowlog"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/source"
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
	w  map[string]*Baseline
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
}

// NewBaselines starts with no baseline.
func NewBaselines(eng *rules.Engine, learn time.Duration) *Baselines {
	return &Baselines{rules: eng, Learn: learn, MaxEntries: 256, MaxWorkloads: 10_000, w: map[string]*Baseline{}}
}

// key names a workload as namespace/kind/name.
func key(p *event.Pod) string { return p.Namespace + "/" + p.Workload }

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

func (b *Baselines) exec(e *event.Event, dst []detect.Alert) []detect.Alert {
	b.mu.Lock()
	bl, learning := b.workload(e)
	if bl == nil || bl.exes[e.Path] {
		b.mu.Unlock()
		return dst
	}
	if learning && len(bl.Executables) < b.MaxEntries {
		bl.exes[e.Path] = true
		bl.Executables = append(bl.Executables, e.Path)
		b.mu.Unlock()
		return dst
	}
	n, since := len(bl.Executables), bl.Since
	b.mu.Unlock()
	k := key(e.Pod)
	h := &detect.Hit{Message: fmt.Sprintf("%s ran %s, not in its baseline of %d executables learned since %s", k, e.Path, n, since.UTC().Format(time.RFC3339)),
		Details: map[string]string{"executable": e.Path, "baseline": k}}
	return b.rules.Emit("novel-exec", h, e, dst)
}

func (b *Baselines) file(e *event.Event, dst []detect.Alert) []detect.Alert {
	b.mu.Lock()
	bl, learning := b.workload(e)
	if bl == nil || bl.files.match(e.Path) {
		b.mu.Unlock()
		return dst
	}
	if learning && len(bl.Files) < b.MaxEntries {
		bl.Files = bl.files.learn(bl.Files, NormalizePath(e.Path))
		b.mu.Unlock()
		return dst
	}
	n, since := len(bl.Files), bl.Since
	b.mu.Unlock()
	k := key(e.Pod)
	h := &detect.Hit{Message: fmt.Sprintf("%s wrote %s, outside its baseline of %d files learned since %s", k, e.Path, n, since.UTC().Format(time.RFC3339)),
		Details: map[string]string{"path": e.Path, "pattern": NormalizePath(e.Path), "baseline": k}}
	return b.rules.Emit("novel-file-write", h, e, dst)
}

func (b *Baselines) peer(e *event.Event, dst []detect.Alert) []detect.Alert {
	o := b.observe(e)
	b.mu.Lock()
	bl, learning := b.workload(e)
	if bl == nil || bl.knows(&o) {
		b.mu.Unlock()
		return dst
	}
	if learning && len(bl.Peers) < b.MaxEntries {
		p := o.entry()
		bl.peers[p] = true
		bl.Peers = append(bl.Peers, p)
		b.mu.Unlock()
		return dst
	}
	n, since := len(bl.Peers), bl.Since
	b.mu.Unlock()
	k := key(e.Pod)
	p := o.entry()
	h := &detect.Hit{Message: fmt.Sprintf("%s connected to %s, outside its baseline of %d peers learned since %s", k, p.String(), n, since.UTC().Format(time.RFC3339)),
		Details: map[string]string{"peer": p.name(), "address": o.addr.String(), "port": strconv.Itoa(int(o.port)), "protocol": o.proto, "baseline": k}}
	return b.rules.Emit("novel-peer", h, e, dst)
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
		out[k] = Baseline{Since: v.Since, Executables: sorted(v.Executables), Files: sorted(v.Files), Peers: sortedPeers(v.Peers)}
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
		b.w[k] = v
	}
	return nil
}

// ReadBaselines reads and checks a baselines file (nil, nil when it does
// not exist). The file is edited by hand: a misspelt field, a relative or
// malformed path pattern, or a peer that names no one is an error, not an
// entry silently forgotten.
func ReadBaselines(path string) (map[string]*Baseline, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
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
