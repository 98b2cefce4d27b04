package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/kubeward/kubeward/internal/audit/detect"
)

// JSONLines writes one alert per line.
type JSONLines struct {
	name    string
	mu      sync.Mutex
	w       io.Writer
	closer  io.Closer
	metrics *Metrics
}

// NewJSONLines writes to w; if w is an io.Closer other than os.Stdout the
// caller passes, Close closes it (pass closer nil to keep it open).
func NewJSONLines(name string, w io.Writer, closer io.Closer, m *Metrics) *JSONLines {
	return &JSONLines{name: name, w: w, closer: closer, metrics: m}
}

func (j *JSONLines) Name() string { return j.name }

func (j *JSONLines) Send(a *detect.Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		j.metrics.delivered(j.name, "error")
		return fmt.Errorf("encoding alert: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	_, err = j.w.Write(b)
	j.mu.Unlock()
	if err != nil {
		j.metrics.delivered(j.name, "error")
		return fmt.Errorf("writing alert to %s: %w", j.name, err)
	}
	j.metrics.delivered(j.name, "ok")
	return nil
}

func (j *JSONLines) Close(context.Context) error {
	if j.closer != nil {
		return j.closer.Close()
	}
	return nil
}
