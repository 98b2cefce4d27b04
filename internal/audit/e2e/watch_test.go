package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/kubeward/kubeward/internal/audit/source"
	"github.com/kubeward/kubeward/internal/kubetest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestWatchRotatedLogEndToEnd runs the real kube-apiserver writing its
// audit log with a 1 MB rotation size; kubeward follows the log while
// traffic rotates it several times, is restarted half-way from its saved
// position, and must see the alerts and every line exactly once.
func TestWatchRotatedLogEndToEnd(t *testing.T) {
	kubetest.SkipIfShort(t)
	c := kubetest.Start(t, kubetest.Options{
		APIServerFlags: []string{
			"--audit-policy-file={{DIR}}/audit/policy.yaml",
			"--audit-log-path={{DIR}}/auditlog/audit.log",
			"--audit-log-maxsize=1",
			"--audit-log-maxbackup=100",
		},
		Files: map[string][]byte{"audit/policy.yaml": recommendedPolicy(t), "auditlog/.keep": nil},
	})
	logDir := filepath.Join(c.Dir, "auditlog")
	logPath := filepath.Join(logDir, "audit.log")
	state := filepath.Join(t.TempDir(), "position.json")
	r := newRig(t, "watch")
	follow := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- source.Follow(ctx, source.FollowOptions{Path: logPath, StateFile: state, FromStart: true, Poll: 50 * time.Millisecond},
				event.NewDecoder(event.Limits{}), r)
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Follow: %v", err)
			}
		}
	}
	stop := follow()
	cs := c.Client()
	ctx := t.Context()
	setup(t, ctx, cs)
	traffic(t, ctx, cs, 1500)
	done := attack(t, ctx, cs)
	expectAlerts(t, r, done)

	// Restart kubeward while the log keeps rotating.
	stop()
	traffic(t, ctx, cs, 1500)
	stop = follow()
	traffic(t, ctx, cs, 1500)
	if _, err := cs.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	// Every line the API server wrote, across the rotated files, is
	// processed exactly once.
	files, lines := countLines(t, logDir)
	if files < 3 {
		t.Fatalf("the log rotated into %d files only; traffic too small", files)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, lines = countLines(t, logDir)
		processed := r.count(t, "watch", pipeline.Processed)
		if processed == float64(lines) {
			break
		}
		if processed > float64(lines) || time.Now().After(deadline) {
			t.Fatalf("processed %v events, the logs hold %d lines", processed, lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if bad := r.count(t, "watch", pipeline.Malformed); bad != 0 {
		t.Errorf("%v malformed lines", bad)
	}
	t.Logf("%d lines in %d files, all processed once", lines, files)
}

// traffic makes n audited requests (configmap reads, about 700 bytes of
// log each).
func traffic(t *testing.T, ctx context.Context, cs kubernetes.Interface, n int) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "traffic"}, Data: map[string]string{"k": "v"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	for range n {
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "traffic", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func countLines(t *testing.T, dir string) (files, lines int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "audit") || !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files++
		lines += bytes.Count(b, []byte("\n"))
	}
	return files, lines
}
