// Package alert delivers detections: JSON lines to a writer, an HTTP
// webhook with retries and a bounded queue, and Prometheus counters. A
// Limiter folds duplicates of the same rule and identity into one alert
// with a count.
package alert

import (
	"context"

	"github.com/kubeward/kubeward/internal/audit/detect"
)

// Sink receives alerts. Send must not block for long: slow destinations
// queue (and count what they drop). Close flushes what is queued, within
// ctx.
type Sink interface {
	Name() string
	Send(a *detect.Alert) error
	Close(ctx context.Context) error
}
