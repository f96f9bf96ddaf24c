package node

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
)

// msgStoreUnreachable is the ServiceUnavailable message of requests that
// need a store write while the store cannot be reached.
const msgStoreUnreachable = "The Brevet store (database) is unreachable, so this request, which must write to it, cannot be served; " +
	"requests signed with existing credentials are still verified. Try again later."

// errStoreDown refuses a write while the store is known to be down.
var errStoreDown = fmt.Errorf("%w: the change feed does not answer", store.ErrUnavailable)

// storeGate admits requests: while the store is unreachable, actions whose
// declared effect writes (issuing credentials, IAM changes, revocation)
// are refused at once, and everything else goes on to authentication,
// which needs no store for cached keys and session tokens.
type storeGate struct {
	next request.Authenticator
	down *atomic.Bool
}

func (g storeGate) Authenticate(ctx context.Context, req *request.AuthnRequest) (request.Principal, error) {
	if req.Operation != nil && req.Operation.Effect.Writes() && g.down.Load() {
		return nil, errStoreDown
	}
	return g.next.Authenticate(ctx, req)
}

// storeError maps an unreachable store to ServiceUnavailable: the request
// is fine, the store is not. PostgreSQL's reads that go straight to its
// pool return the driver's own error, which postgres.IsUnavailable knows.
func storeError(err error) *awsquery.Error {
	if errors.Is(err, store.ErrUnavailable) || postgres.IsUnavailable(err) {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: msgStoreUnreachable, Cause: err}
	}
	return nil
}

// syncAfterWrite is the commit step that brings every cache up to date
// after an action that wrote, before its response is sent: a key deleted
// or a policy detached through this node takes effect for the very next
// request. Issuing credentials changes nothing a cache holds (new keys
// are loaded on first use), so only Writes syncs, and not when the action
// said it wrote nothing this time (request.Exchange.Unchanged: GetId of a
// returning identity). A failed sync does not fail the request (the
// write is done); the follower catches up.
func (n *Node) syncAfterWrite(ctx context.Context, x *request.Exchange) error {
	if !syncsAfter(x) {
		return nil
	}
	if err := n.sync(ctx); err != nil {
		n.log.WarnContext(ctx, "syncing caches after a write", "err", err)
	}
	return nil
}

// syncsAfter reports whether syncAfterWrite syncs after x: a Writes
// action that did not say it wrote nothing.
func syncsAfter(x *request.Exchange) bool {
	return x.Op != nil && x.Op.Effect == request.Writes && x.Wrote()
}

// count feeds the credential and denial metrics from the record, which
// every request has. Label values come from fixed sets.
func (n *Node) count(_ context.Context, rec *request.Record) {
	n.countUpstream(rec) // broker.go
	m := n.srv.Metrics()
	switch {
	case rec.ErrorCode == "" && rec.Issued != nil:
		m.CredentialIssued(rec.Issued.Kind)
	case rec.ErrorCode == awsquery.CodeAccessDenied.Name:
		m.Denied("access_denied")
	}
}
