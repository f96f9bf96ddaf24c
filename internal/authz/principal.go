package authz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
)

var _ request.PrincipalChecker = (*Authorizer)(nil)

// PrincipalGoneError refuses a temporary credential whose principal no
// longer exists: its own user or role was deleted (or deleted and made
// again under its name, with a new unique id), or so was the user or role
// of a session in its lineage. It unwraps to the authentication failure
// AWS answers for a token it does not accept (InvalidClientTokenId, "The
// security token included in the request is invalid."), the answer a
// revoked session gets too: the token is no longer anyone's.
type PrincipalGoneError struct {
	SessionARN   string // the credential's caller
	PrincipalARN string // the user or role that is gone
}

func (e *PrincipalGoneError) Error() string {
	return fmt.Sprintf("authz: session %s: %s no longer exists", e.SessionARN, e.PrincipalARN)
}

func (e *PrincipalGoneError) Unwrap() error {
	return &sigv4.Error{Kind: sigv4.KindInvalidClientTokenID, Message: "The security token included in the request is invalid."}
}

// CheckPrincipal implements request.PrincipalChecker: a temporary
// credential is refused (*PrincipalGoneError) once its user or role no
// longer exists or no longer has the unique id its token names, or once
// the user or role of any session in its lineage no longer exists.
// Ancestors carry ARNs only, so they are checked by name: an ancestor's
// role deleted and made again under its name passes here (the sessions of
// the old one do not, their own tokens name its unique id).
//
// Answers come from the entity cache, loading on a miss as authorization
// does: a deletion through this node is seen at once (it syncs after IAM
// writes), on other nodes within the change feed's latency. Other
// principals (long-term keys, whose deletion the authenticator sees, and
// anonymous callers) pass.
func (a *Authorizer) CheckPrincipal(ctx context.Context, rp request.Principal, now time.Time) error {
	p, _ := rp.(*identity.Principal)
	if p == nil || p.Session == nil {
		return nil
	}
	if err := a.c.maybePoll(ctx, now); err != nil {
		return err
	}
	cl := p.Session
	if _, err := a.c.sessionView(ctx, p); err != nil {
		return gone(err, cl.SessionARN, cl.PrincipalARN)
	}
	for i := range cl.Lineage {
		if err := a.c.ancestorExists(ctx, cl.Lineage[i].PrincipalARN); err != nil {
			return gone(err, cl.SessionARN, cl.Lineage[i].PrincipalARN)
		}
	}
	return nil
}

// gone turns a principal not found into a *PrincipalGoneError; other
// errors (a store that does not answer) fail the request as they are.
func gone(err error, session, principal string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &PrincipalGoneError{SessionARN: session, PrincipalARN: principal}
	}
	return err
}

// ancestorExists checks the user or role of a session in a lineage by
// name. The root user always exists; any other kind of principal cannot
// make sessions and is refused (fail closed).
func (c *cache) ancestorExists(ctx context.Context, arn string) error {
	ref, err := iam.ParseEntityARN(arn)
	if err != nil {
		return fmt.Errorf("authz: ancestor %q: %w", arn, store.ErrNotFound)
	}
	var k entityKey
	switch ref.Type {
	case iam.ResourceRoot:
		return nil
	case iam.ResourceUser:
		k = entityKey{kindUser, ref.Account, ref.Name}
	case iam.ResourceRole:
		k = entityKey{kindRole, ref.Account, ref.Name}
	default:
		return fmt.Errorf("authz: ancestor %q is neither a user nor a role: %w", arn, store.ErrNotFound)
	}
	_, err = c.entity(ctx, k)
	return err
}
