package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/store"
)

// newSSO builds SSO OIDC (internal/sso) on the store's objects in the
// installation's account (the one bootstrap made or found), sealing under
// the master keyring, and registers its actions on the REST-JSON codec.
// Its URLs default to the server's own, known once the listener is bound
// (setSSOURL).
func (n *Node) newSSO() error {
	c := n.cfg.SSO
	svc, err := sso.New(sso.Config{
		Objects: n.st.Objects(), InstanceAccount: n.boot.AccountID, Sealer: n.master, Opener: n.master,
		Users: storeUsers{st: n.st}, URL: c.URL, StartURLs: c.StartURLs,
		SessionDuration: c.SessionDuration, AccessTokenDuration: c.AccessTokenDuration, Rand: rand.Reader,
	})
	if err != nil {
		return err
	}
	sso.Register(n.rest, svc)
	n.sso = svc
	return nil
}

// setSSOURL makes the server's own URL SSO's when the configuration
// names none.
func (n *Node) setSSOURL() {
	if n.sso != nil && n.cfg.SSO.URL == "" {
		n.sso.SetURL(n.url, n.cfg.SSO.StartURLs)
	}
}

// applySSO drops the sign-in sessions the changes make stale.
func (n *Node) applySSO(changes []store.Change) {
	if n.sso != nil {
		n.sso.Apply(changes)
	}
}

// sweepSSO deletes ended device authorizations, codes and sessions.
func (n *Node) sweepSSO(ctx context.Context, now time.Time) error {
	if n.sso == nil {
		return nil
	}
	return n.sso.Sweep(ctx, now)
}

// storeUsers is sso.UserChecker on the store: an IAM identity holds while
// the user of that name in that account has the same unique id and a
// login profile; its group ids are read afresh.
type storeUsers struct{ st store.Store }

func (u storeUsers) Check(ctx context.Context, id sso.Identity) (sso.Identity, bool, error) {
	if id.Source != sso.SourceIAM {
		return id, true, nil
	}
	user, err := u.st.Users().Get(ctx, id.Account, id.UserName)
	if errors.Is(err, store.ErrNotFound) {
		return id, false, nil
	}
	if err != nil {
		return id, false, fmt.Errorf("sso: checking user: %w", err)
	}
	if user.ID != id.UserID {
		return id, false, nil
	}
	if _, err := u.st.LoginProfiles().Get(ctx, id.Account, user.Name); errors.Is(err, store.ErrNotFound) {
		return id, false, nil
	} else if err != nil {
		return id, false, fmt.Errorf("sso: checking login profile: %w", err)
	}
	groups, err := u.st.Groups().ListForUser(ctx, id.Account, user.Name)
	if err != nil {
		return id, false, fmt.Errorf("sso: reading groups: %w", err)
	}
	fresh := id
	fresh.UserName, fresh.Path = user.Name, user.Path
	fresh.Groups = make([]string, 0, len(groups))
	for _, g := range groups {
		fresh.Groups = append(fresh.Groups, g.ID)
	}
	return fresh, true, nil
}
