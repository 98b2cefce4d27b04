package admission

// warmPool runs functions on goroutines kept between calls. The HTTP/2
// server starts a goroutine per request, with a small stack, and decoding a
// review (json-iterator's recursion over a Pod) grows that stack four or
// five times, each growth a copy: 6% of the webhook's CPU over HTTP/2 at
// 5,000 reviews/s (docs/PERFORMANCE.md). A kept goroutine grew its stack
// once; the collector may halve it when idle, and one copy brings it back.
// HTTP/1.1 needs none of this: a connection's goroutine serves all of its
// requests.
type warmPool struct {
	// idle holds the inboxes of the goroutines waiting for work; its
	// capacity bounds how many wait. A call finding none starts one, which
	// stays if there is room when it is done.
	idle chan chan func()
}

// warmIdle is how many goroutines may wait for reviews: more than the
// reviews a machine of a few cores judges at once, and each holds a stack
// of a few tens of KiB.
const warmIdle = 64

func newWarmPool(n int) *warmPool { return &warmPool{idle: make(chan chan func(), n)} }

// do runs f on a kept goroutine and waits for it. A panic in f is raised
// again in the caller, where net/http (or the caller's own recover) deals
// with it as if f had run there.
func (p *warmPool) do(f func()) {
	if p == nil {
		f()
		return
	}
	var panicked any
	done := make(chan struct{})
	job := func() {
		defer func() {
			panicked = recover()
			close(done)
		}()
		f()
	}
	select {
	case inbox := <-p.idle:
		inbox <- job
	default:
		go p.work(job)
	}
	<-done
	if panicked != nil {
		panic(panicked)
	}
}

func (p *warmPool) work(job func()) {
	inbox := make(chan func(), 1)
	for {
		job()
		select {
		case p.idle <- inbox:
		default:
			return // enough goroutines wait already
		}
		job = <-inbox
	}
}
