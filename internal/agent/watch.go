package agent

import (
	"context"
	"errors"
	"time"
)

// watchFallbackPoll is how often the host's credentials are fetched to
// see a revocation when the server has no WaitHostChange.
const watchFallbackPoll = 30 * time.Second

// watchHost follows the host's state with WaitHostChange: when the host
// is deregistered or its profile loses its role, the host role (and every
// workload role chained from it) stops being served at once; when the
// role changes, fresh credentials are fetched. A server without
// WaitHostChange is polled instead: the host's credentials are fetched
// every watchFallbackPoll and a refusal stops serving.
func (a *Agent) watchHost(ctx context.Context) {
	var gen int64
	failures := 0
	for ctx.Err() == nil {
		start := a.clock.Now()
		st, err := a.client.WaitHostChange(ctx, a.state.Key, a.state.Cert, a.region(), gen, a.clock.Now())
		var ae *APIError
		switch {
		case err == nil:
			failures = 0
			if st.Generation == gen {
				if a.clock.Since(start) < time.Second { // a server that does not wait: do not spin
					a.clock.Sleep(time.Second)
				}
				continue
			}
			first := gen == 0
			gen = st.Generation
			if st.Status != "active" {
				a.log.Warn("agent: the host has no role to serve any more; stopped serving", "status", st.Status)
				a.host.Clear()
			} else if !first {
				a.log.Info("agent: the host's role changed; fetching its credentials")
				a.host.Kick()
			}
			continue
		case errors.As(err, &ae) && (ae.Code == "InvalidAction" || ae.Code == "UnknownOperationException"):
			a.log.Info("agent: the server has no WaitHostChange; polling for revocations", "every", watchFallbackPoll)
			a.pollHost(ctx)
			return
		case IsRevoked(err):
			a.host.Clear()
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := backoff(failures, a.host.rand())
		select {
		case <-ctx.Done():
		case <-a.clock.After(wait):
		}
	}
}

func (a *Agent) pollHost(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.clock.After(watchFallbackPoll):
			a.host.Kick()
		}
	}
}
