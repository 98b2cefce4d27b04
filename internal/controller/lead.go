package controller

import (
	"context"
	"errors"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Election makes replicas take turns: the holder of a Lease writes the
// reports; the others evaluate too (so a new leader is ready at once) but
// write nothing.
type Election struct {
	Namespace, Name string
	Identity        string
	LeaseDuration   time.Duration // default 15s
	RenewDeadline   time.Duration // default 10s
	RetryPeriod     time.Duration // default 2s
}

// lead writes reports while this replica leads (always, without an
// election). Losing the lease while ctx lasts is an error: the process
// exits and restarts as a candidate, as controllers do.
func (c *Controller) lead(ctx context.Context) error {
	e := c.opts.Election
	if e == nil {
		c.metrics.leader.Set(1)
		defer c.metrics.leader.Set(0)
		return c.writer.lead(ctx)
	}
	cs, err := kubernetes.NewForConfig(c.opts.Config)
	if err != nil {
		return err
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, e.Namespace, e.Name, cs.CoreV1(), cs.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: e.Identity})
	if err != nil {
		return err
	}
	def := func(d, v time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return v
	}
	var leadErr error
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   def(e.LeaseDuration, 15*time.Second),
		RenewDeadline:   def(e.RenewDeadline, 10*time.Second),
		RetryPeriod:     def(e.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Name:            e.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(lctx context.Context) {
				c.log.Info("leading: writing reports", "identity", e.Identity)
				c.metrics.leader.Set(1)
				leadErr = c.writer.lead(lctx)
			},
			OnStoppedLeading: func() {
				c.metrics.leader.Set(0)
				c.log.Info("not leading", "identity", e.Identity)
			},
			OnNewLeader: func(id string) {
				if id != e.Identity {
					c.log.Info("another replica leads", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return err
	}
	le.Run(ctx)
	if leadErr != nil {
		return leadErr
	}
	if ctx.Err() == nil {
		return errors.New("lost the leader election lease")
	}
	return nil
}
