package alert

import (
	"context"
	"sync"

	"github.com/kubeward/kubeward/internal/audit/detect"
)

// Collector keeps alerts in memory, up to a bound, for a report written
// when reading ends (the table of audit scan). It is safe for concurrent
// use.
type Collector struct {
	mu      sync.Mutex
	max     int
	alerts  []detect.Alert
	dropped int
}

// NewCollector keeps at most max alerts and counts the rest.
func NewCollector(max int) *Collector { return &Collector{max: max} }

func (c *Collector) Name() string { return "report" }

func (c *Collector) Send(a *detect.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.alerts) >= c.max {
		c.dropped++
		return nil
	}
	c.alerts = append(c.alerts, *a)
	return nil
}

func (c *Collector) Close(context.Context) error { return nil }

// Alerts returns the alerts kept and how many were not.
func (c *Collector) Alerts() ([]detect.Alert, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alerts, c.dropped
}
