package pipeline_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/detect"
	"github.com/kubeward/kubeward/internal/audit/event"
	"github.com/kubeward/kubeward/internal/audit/pipeline"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestProcessorAccountsForEveryEvent(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := pipeline.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	eng, _ := detect.NewEngine(detect.DefaultOptions())
	var got []detect.Alert
	var logs bytes.Buffer
	p := pipeline.New("scan", eng, m, slog.New(slog.NewTextHandler(&logs, nil)), func(a []detect.Alert) { got = append(got, a...) })
	input := append(audittest.Lines(
		audittest.New("alice", "get").On("", "secrets", "dev", "db"),
		audittest.New("alice", "get").On("", "pods", "dev", "p"),
	), []byte(`{"verb":"get","requestObject":{"data":{"password":"hunter2"}},"user":`+"\n")...)
	if err := event.Read(bytes.NewReader(input), "audit.log", event.NewDecoder(event.Limits{}), p); err != nil {
		t.Fatal(err)
	}
	c := p.Counts()
	if c.Processed != 2 || c.Malformed != 1 || c.Alerts != 1 || len(got) != 1 || got[0].Source != "audit.log:1" {
		t.Errorf("counts %+v, alerts %+v", c, got)
	}
	for result, want := range map[string]float64{pipeline.Processed: 2, pipeline.Malformed: 1} {
		var d dto.Metric
		m.Events.WithLabelValues("scan", result).Write(&d)
		if d.Counter.GetValue() != want {
			t.Errorf("%s counter %v, want %v", result, d.Counter.GetValue(), want)
		}
	}
	if !strings.Contains(logs.String(), "line=3") || strings.Contains(logs.String(), "hunter2") {
		t.Errorf("log: %s", logs.String())
	}
}
