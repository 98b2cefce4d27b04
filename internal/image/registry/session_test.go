package registry

import (
	"fmt"
	"testing"
)

// The sessions a client keeps are bounded: the webhook's keys come from
// the pods it reviews.
func TestSessionsBounded(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxSessions + 10 {
		if _, err := c.Session(fmt.Sprint("identity-", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.pullers); n > maxSessions {
		t.Errorf("%d sessions kept, at most %d", n, maxSessions)
	}
}
