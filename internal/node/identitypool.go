package node

import (
	"crypto/rand"

	"github.com/brevet-dev/brevet/internal/identitypool"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// newIdentityPools builds the identity pools (Cognito Identity's API) on
// the store's objects, with STS for their sessions and logins and the
// federation's pool token signer, and registers their actions on the
// JSON 1.1 codec.
func (n *Node) newIdentityPools(stsSvc *sts.Service, tokens *identitypool.Tokens) error {
	r := n.cfg.IdentityPools.GuestRate
	svc, err := identitypool.New(identitypool.Config{
		Objects: n.st.Objects(), Region: n.cfg.Regions[0], Rand: rand.Reader, Sessions: stsSvc, Tokens: tokens,
		GuestRate: r.PerSecond, GuestBurst: r.Burst,
	})
	if err != nil {
		return err
	}
	identitypool.Register(n.rest, svc)
	n.pools = svc
	return nil
}

// applyIdentityPools drops what the identity pools cached of the objects
// that changed, on every node.
func (n *Node) applyIdentityPools(changes []store.Change) {
	if n.pools != nil {
		n.pools.Apply(changes)
	}
}
