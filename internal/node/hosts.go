package node

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/hosts"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// newHosts builds host enrollment on the store, with STS for the hosts'
// sessions, and registers its actions on the Query dispatcher.
func (n *Node) newHosts(d *awsquery.Dispatcher, stsSvc *sts.Service) error {
	h, err := hosts.New(hosts.Config{
		Store: n.st, Profiles: hosts.StoreProfiles(n.st), Sessions: stsSvc,
		Region: n.cfg.Regions[0], Regions: n.cfg.Regions, Rand: rand.Reader,
		// A parked WaitHostChange is no caller on its way to the trail,
		// and takes no place among the server's requests in flight.
		Parked: func(ctx context.Context) func() {
			n.inFlight.Add(-1)
			resume := server.Park(ctx)
			return func() { resume(); n.inFlight.Add(1) }
		},
	})
	if err != nil {
		return err
	}
	hosts.Register(d, h, hostRevoker{n})
	n.hosts = h
	return nil
}

// applyHosts wakes the hosts waiting in WaitHostChange when a host, an
// instance profile or a role changed, on every node.
func (n *Node) applyHosts(changes []store.Change) {
	if n.hosts != nil {
		n.hosts.Apply(changes, store.ChangeInstanceProfile)
	}
}

// stopHosts releases the WaitHostChange long polls when the node stops.
func (n *Node) stopHosts() {
	if n.hosts != nil {
		n.hosts.Stop()
	}
}

// hostRevoker revokes a deregistered host's sessions: the entry is
// enforced on this node at once, by reloading the list, and on the others
// through the change feed.
type hostRevoker struct{ n *Node }

func (r hostRevoker) RevokeSession(ctx context.Context, account, sessionARN, by string, now time.Time) ([]store.Revocation, error) {
	revs, err := r.n.revoker.Revoke(ctx, revocation.Request{Account: account, Principal: sessionARN, By: by}, now)
	if err != nil {
		return nil, err
	}
	if err := r.n.revoked.Load(ctx, r.n.st.Revocations(), now); err != nil {
		return nil, err
	}
	return revs, nil
}
