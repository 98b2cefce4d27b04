// Package flows is the node agent's flow log (one JSON object per line,
// one per connection the kernel delivered, attributed to pods) and the
// least-privilege NetworkPolicies generated from it.
package flows

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/kubeward/kubeward/internal/netpol"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Directions: which end of the flow the agent observed.
const (
	Outbound = "outbound" // at the source pod: it opened the connection
	Inbound  = "inbound"  // at the destination pod: the peer opened it
)

// Record is one observed flow: Source opened a connection (or sent a
// datagram) to Destination on Port.
type Record struct {
	Time      time.Time `json:"time,omitzero"`
	Node      string    `json:"node,omitempty"`
	Direction string    `json:"direction"`
	Protocol  string    `json:"protocol"` // TCP, UDP or SCTP
	Port      int       `json:"port"`     // the destination's port
	Source    Endpoint  `json:"source"`
	// Destination is the address the source used: for a Service's
	// address (outbound, before load balancing), Service names it and the
	// pod behind it is known only from its own agent's inbound record.
	Destination Endpoint `json:"destination"`
}

// Endpoint is one end: a pod (Namespace and Workload set) or an address
// outside the pods the agent knows.
type Endpoint struct {
	IP        string `json:"ip,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	// Workload is the pod's top controller as Kind/name (a Deployment
	// through its ReplicaSet), or Pod/name.
	Workload string            `json:"workload,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	// Service is namespace/name when IP is a Service's cluster address.
	Service string `json:"service,omitempty"`
}

// IsPod reports whether the endpoint is an attributed pod.
func (e *Endpoint) IsPod() bool { return e.Workload != "" }

// Key names the endpoint's workload as namespace/Kind/name (the engine's
// pod ID), or its address.
func (e *Endpoint) Key() string {
	if e.IsPod() {
		return e.Namespace + "/" + e.Workload
	}
	return e.IP
}

// MaxLine bounds one record: labels included, a real record is well under
// 8 KiB.
const MaxLine = 64 << 10

// Problem is a line that was not a flow record.
type Problem struct {
	File string
	Line int
	Err  error
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %v", p.File, p.Line, p.Err) }

// Read decodes the records of r (named name in problems), calling fn for
// each record and problem for each other line that is not blank, at its
// line number, as it is read: a log of any length is read in bounded
// memory. err is a read error.
func Read(name string, r io.Reader, fn func(*Record), problem func(Problem)) error {
	br := bufio.NewReaderSize(r, 32<<10)
	for line := 1; ; line++ {
		b, tooLong, err := readLine(br)
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		switch {
		case tooLong:
			problem(Problem{name, line, fmt.Errorf("line longer than %d bytes", MaxLine)})
		case len(bytes.TrimSpace(b)) > 0:
			var rec Record
			if perr := Parse(b, &rec); perr != nil {
				problem(Problem{name, line, perr})
			} else {
				fn(&rec)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine returns the next line without its newline, reading at most
// MaxLine bytes of it into memory (the rest is skipped).
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)+len(frag) > MaxLine+1 {
			tooLong, buf = true, buf[:0]
		} else if !tooLong {
			buf = append(buf, frag...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimSuffix(buf, []byte("\n")), tooLong, err
	}
}

// Parse decodes and checks one record.
func Parse(b []byte, rec *Record) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(rec); err != nil {
		return fmt.Errorf("not a flow record: %w", err)
	}
	if dec.More() {
		return errors.New("not a flow record: more than one JSON value on the line")
	}
	return rec.check()
}

func (r *Record) check() error {
	if r.Direction != Outbound && r.Direction != Inbound {
		return fmt.Errorf("direction %q: want %s or %s", r.Direction, Outbound, Inbound)
	}
	if _, ok := netpol.ParseProtocol(r.Protocol); !ok {
		return fmt.Errorf("protocol %q: want TCP, UDP or SCTP", r.Protocol)
	}
	if r.Port < 1 || r.Port > 65535 {
		return fmt.Errorf("port %d: want 1-65535", r.Port)
	}
	if err := r.Source.check("source"); err != nil {
		return err
	}
	if err := r.Destination.check("destination"); err != nil {
		return err
	}
	if !r.Source.IsPod() && !r.Destination.IsPod() {
		return errors.New("neither end is a pod: NetworkPolicy governs pods only")
	}
	return nil
}

func (e *Endpoint) check(at string) error {
	if e.IP != "" {
		if _, err := netip.ParseAddr(e.IP); err != nil {
			return fmt.Errorf("%s.ip: %w", at, err)
		}
	}
	if !e.IsPod() {
		if e.IP == "" {
			return fmt.Errorf("%s: needs a workload or an ip", at)
		}
		if e.Namespace != "" || e.Pod != "" || len(e.Labels) > 0 {
			return fmt.Errorf("%s: namespace, pod and labels need a workload", at)
		}
		return nil
	}
	if msgs := validation.IsDNS1123Label(e.Namespace); len(msgs) > 0 {
		return fmt.Errorf("%s.namespace %q: %s", at, e.Namespace, strings.Join(msgs, "; "))
	}
	kind, name, ok := strings.Cut(e.Workload, "/")
	if !ok || kind == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("%s.workload %q: want Kind/name", at, e.Workload)
	}
	for k, v := range e.Labels {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			return fmt.Errorf("%s.labels: key %q: %s", at, k, strings.Join(msgs, "; "))
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			return fmt.Errorf("%s.labels[%s]: %s", at, k, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// ReadFiles reads each file in turn ("-" is stdin; gzip or not) into fn
// and problem (see Read). A file that holds no flow record (empty, or
// every line malformed) is an error, returned after every file has been
// read: the policies would miss what it held.
func ReadFiles(files []string, stdin io.Reader, fn func(*Record), problem func(Problem)) error {
	var errs []error
	for _, name := range files {
		n, bad := 0, 0
		var first Problem
		err := readFile(name, stdin, func(r *Record) { n++; fn(r) }, func(p Problem) {
			if bad == 0 {
				first = p
			}
			bad++
			problem(p)
		})
		display := name
		if name == "-" {
			display = "<stdin>"
		}
		switch {
		case err != nil:
			errs = append(errs, err)
		case n == 0 && bad == 0:
			errs = append(errs, fmt.Errorf("%s holds no flow records: it is empty", display))
		case n == 0:
			errs = append(errs, fmt.Errorf("%s holds no flow records: all %d of its lines are malformed (%s)", display, bad, first))
		}
	}
	return errors.Join(errs...)
}

func readFile(name string, stdin io.Reader, fn func(*Record), problem func(Problem)) error {
	r := stdin
	display := "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("opening flow log: %w", err)
		}
		defer f.Close()
		r, display = f, name
	}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", display, err)
		}
		defer zr.Close()
		return Read(display, zr, fn, problem)
	}
	return Read(display, br, fn, problem)
}
