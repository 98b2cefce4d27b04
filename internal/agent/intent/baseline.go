package intent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/kubeward/kubeward/internal/agent/event"
	"github.com/kubeward/kubeward/internal/agent/rules"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/source"
)

// Baselines learn what each workload runs during a window from its first
// exec, then report executables outside what they learned (novel-exec).
// The baselines are a JSON file people can read and edit: an executable
// added by hand is known, a workload removed starts learning again.
type Baselines struct {
	rules *rules.Engine
	// Learn is the learning window; MaxExecutables bounds a workload's
	// baseline (past it the workload stops learning early).
	Learn          time.Duration
	MaxExecutables int
	// MaxWorkloads bounds the table.
	MaxWorkloads int

	mu sync.Mutex
	w  map[string]*Baseline
}

// Baseline is one workload's.
type Baseline struct {
	// Since is the workload's first exec seen; it learns until
	// Since+Learn.
	Since       time.Time `json:"since"`
	Executables []string  `json:"executables"`
	known       map[string]bool
}

// NewBaselines starts with no baseline.
func NewBaselines(eng *rules.Engine, learn time.Duration) *Baselines {
	return &Baselines{rules: eng, Learn: learn, MaxExecutables: 256, MaxWorkloads: 10_000, w: map[string]*Baseline{}}
}

// key names a workload as namespace/kind/name.
func key(p *event.Pod) string { return p.Namespace + "/" + p.Workload }

// Observe learns or judges an exec of a pod.
func (b *Baselines) Observe(e *event.Event, dst []detect.Alert) []detect.Alert {
	if e.Kind != event.Exec || e.Pod == nil || e.Pod.Workload == "" || e.Path == "" {
		return dst
	}
	b.mu.Lock()
	k := key(e.Pod)
	bl := b.w[k]
	if bl == nil {
		if len(b.w) >= b.MaxWorkloads {
			b.mu.Unlock()
			return dst
		}
		bl = &Baseline{Since: e.Time, known: map[string]bool{}}
		b.w[k] = bl
	}
	if bl.known[e.Path] {
		b.mu.Unlock()
		return dst
	}
	if e.Time.Before(bl.Since.Add(b.Learn)) && len(bl.Executables) < b.MaxExecutables {
		bl.known[e.Path] = true
		bl.Executables = append(bl.Executables, e.Path)
		b.mu.Unlock()
		return dst
	}
	n := len(bl.Executables)
	b.mu.Unlock()
	h := &detect.Hit{Message: fmt.Sprintf("%s ran %s, not in its baseline of %d executables learned since %s", k, e.Path, n, bl.Since.UTC().Format(time.RFC3339)),
		Details: map[string]string{"executable": e.Path, "baseline": k}}
	return b.rules.Emit("novel-exec", h, e, dst)
}

// Save writes the baselines to a file (atomically: a crash leaves the old
// one).
func (b *Baselines) Save(path string) error {
	b.mu.Lock()
	out := make(map[string]Baseline, len(b.w))
	for k, v := range b.w {
		c := *v
		c.Executables = slices.Clone(v.Executables)
		sort.Strings(c.Executables)
		out[k] = c
	}
	b.mu.Unlock()
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return source.WriteFileAtomic(path, append(data, '\n'))
}

// Load reads baselines saved (or edited) in a file; a missing file is no
// baseline.
func (b *Baselines) Load(path string) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("baselines: %w", err)
	}
	// The file is edited by hand: a misspelt field is an error, not an
	// executable silently forgotten.
	var in map[string]*Baseline
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("baselines %s: %w", path, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range in {
		if v == nil {
			continue
		}
		v.known = map[string]bool{}
		for _, x := range v.Executables {
			v.known[x] = true
		}
		b.w[k] = v
	}
	return nil
}
