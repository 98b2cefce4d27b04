package event_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kubeward/kubeward/internal/audit/audittest"
	"github.com/kubeward/kubeward/internal/audit/event"
)

type collect struct {
	users []string
	lines []int
	bad   []string
}

func (c *collect) Events(evs []*event.Event, pos event.Pos) error {
	for _, e := range evs {
		c.users = append(c.users, e.User.Username)
		c.lines = append(c.lines, pos.Line)
	}
	return nil
}

func (c *collect) Malformed(err *event.ReadError) { c.bad = append(c.bad, err.Error()) }

func read(t *testing.T, input []byte, l event.Limits) *collect {
	t.Helper()
	c := &collect{}
	if err := event.Read(bytes.NewReader(input), "audit.log", event.NewDecoder(l), c); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return c
}

func TestReadJSONLinesWithBadLines(t *testing.T) {
	a := audittest.New("a", "get").On("", "pods", "ns", "x").JSON()
	b := audittest.New("b", "get").On("", "pods", "ns", "x").JSON()
	list := audittest.List(audittest.New("c", "get"), audittest.New("d", "get"))
	input := bytes.Join([][]byte{a, []byte(`{"verb": broken`), []byte(""), b, []byte(`{"kind":"Event","verb":"get"`), list, []byte("garbage"), a[:len(a)/2]}, []byte("\n"))
	c := read(t, input, event.Limits{})
	if got := strings.Join(c.users, ","); got != "a,b,c,d" {
		t.Errorf("users = %q", got)
	}
	if got := fmt.Sprint(c.lines); got != "[1 4 6 6]" {
		t.Errorf("lines = %s", got)
	}
	want := []string{"audit.log:2:", "audit.log:5:", "audit.log:7:", "audit.log:8:"}
	if len(c.bad) != len(want) {
		t.Fatalf("malformed = %q", c.bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(c.bad[i], w) {
			t.Errorf("malformed[%d] = %q, want prefix %q", i, c.bad[i], w)
		}
	}
}

func TestReadGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(audittest.Lines(audittest.New("a", "get"), audittest.New("b", "get")))
	zw.Close()
	c := read(t, buf.Bytes(), event.Limits{})
	if got := strings.Join(c.users, ","); got != "a,b" || len(c.bad) != 0 {
		t.Errorf("users = %q, malformed %q", got, c.bad)
	}
}

func TestReadPrettyDocuments(t *testing.T) {
	var buf bytes.Buffer
	for _, doc := range [][]byte{audittest.List(audittest.New("a", "get"), audittest.New("b", "get")), audittest.New("c", "get").JSON()} {
		var pretty bytes.Buffer
		if err := indent(&pretty, doc); err != nil {
			t.Fatal(err)
		}
		buf.Write(pretty.Bytes())
		buf.WriteString("\n")
	}
	buf.WriteString("{\n \"verb\": oops\n}\n")
	buf.WriteString("{\n \"kind\": \"Event\", \"user\": {\"username\": \"d\"}\n")
	c := read(t, buf.Bytes(), event.Limits{})
	if got := strings.Join(c.users, ","); got != "a,b,c" {
		t.Errorf("users = %q", got)
	}
	if len(c.bad) != 2 || !strings.Contains(c.bad[1], "not terminated") {
		t.Errorf("malformed = %q", c.bad)
	}
	if c.lines[0] != 1 || c.lines[2] <= c.lines[1] {
		t.Errorf("lines = %v", c.lines)
	}
}

func TestReadOversizedLine(t *testing.T) {
	big := audittest.New("big", "create").On("", "configmaps", "ns", "c").Req(map[string]any{"data": map[string]string{"k": strings.Repeat("x", 200<<10)}}).JSON()
	input := bytes.Join([][]byte{audittest.New("a", "get").JSON(), big, audittest.New("b", "get").JSON(), big}, []byte("\n"))
	c := read(t, input, event.Limits{MaxDocBytes: 100 << 10})
	if got := strings.Join(c.users, ","); got != "a,b" {
		t.Errorf("users = %q", got)
	}
	if len(c.bad) != 2 || !strings.HasPrefix(c.bad[0], "audit.log:2:") || !strings.HasPrefix(c.bad[1], "audit.log:4:") {
		t.Errorf("malformed = %q", c.bad)
	}
	for _, b := range c.bad {
		if !strings.Contains(b, event.ErrTooLong.Error()) {
			t.Errorf("malformed %q", b)
		}
	}
}

func TestReadStopsOnHandlerError(t *testing.T) {
	stop := errors.New("stop")
	h := handlerFunc(func([]*event.Event, event.Pos) error { return stop })
	err := event.Read(bytes.NewReader(audittest.Lines(audittest.New("a", "get"), audittest.New("b", "get"))), "x", event.NewDecoder(event.Limits{}), h)
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v", err)
	}
}

func TestStreamOffsetsAndPartialLines(t *testing.T) {
	input := audittest.Lines(audittest.New("a", "get"), audittest.New("b", "get"))
	c := &collect{}
	s := event.NewStream("f", event.NewDecoder(event.Limits{}), c)
	cut := len(input) - 10
	s.Feed(input[:cut])
	if len(c.users) != 1 || !s.Pending() {
		t.Fatalf("after partial feed: %v pending %v", c.users, s.Pending())
	}
	first := bytes.IndexByte(input, '\n') + 1
	if s.Offset() != int64(first) || s.Line() != 1 {
		t.Errorf("offset %d line %d, want %d 1", s.Offset(), s.Line(), first)
	}
	s.Feed(input[cut:])
	if len(c.users) != 2 || s.Pending() || s.Offset() != int64(len(input)) {
		t.Errorf("after full feed: %v offset %d of %d pending %v", c.users, s.Offset(), len(input), s.Pending())
	}
}

type handlerFunc func([]*event.Event, event.Pos) error

func (f handlerFunc) Events(evs []*event.Event, pos event.Pos) error { return f(evs, pos) }
func (handlerFunc) Malformed(*event.ReadError)                       {}
