package checkdoc

import "github.com/kubeward/kubeward/internal/check"

// DeclinedPeer is a check of another scanner that kubeward deliberately does
// not implement, with the reason, so that people switching find the answer
// instead of a gap.
type DeclinedPeer struct {
	Peer  check.Peer
	Title string // what the peer reports
	Why   string
}

// Declined lists the peer checks kubeward does not adopt, by tool and id.
func Declined() []DeclinedPeer {
	return []DeclinedPeer{}
}
