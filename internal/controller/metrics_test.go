package controller

import (
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/source/cluster"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestWatchedObjectsAfterFirstEvaluation: a scrape while Run starts the
// watch (the health server serves before Run) exports no object count,
// not a 0 that would read as a cluster emptied at every start, and does
// not read what Run is writing (go test -race); once the first
// evaluation is done it exports the objects evaluated.
func TestWatchedObjectsAfterFirstEvaluation(t *testing.T) {
	c := New(Options{Checks: check.Defaults()})
	started := make(chan struct{})
	go func() { c.watched = &cluster.Watched{}; close(started) }() // as Run does
	if n := testutil.CollectAndCount(c.metrics, "kubeward_watched_objects"); n != 0 {
		t.Errorf("before the first evaluation: %d kubeward_watched_objects series, want none", n)
	}
	<-started
	if n := testutil.CollectAndCount(c.metrics, "kubeward_watched_objects"); n != 0 {
		t.Errorf("watching, before the first evaluation: %d kubeward_watched_objects series, want none", n)
	}
	c.objects[objKey{name: "a"}] = nil
	c.objects[objKey{name: "b"}] = nil
	c.ready.Store(true)
	want := "# HELP kubeward_watched_objects Objects held by the controller's informers.\n# TYPE kubeward_watched_objects gauge\nkubeward_watched_objects 2\n"
	if err := testutil.CollectAndCompare(c.metrics, strings.NewReader(want), "kubeward_watched_objects"); err != nil {
		t.Error(err)
	}
}
