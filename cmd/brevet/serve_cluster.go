package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/store"
)

// Cluster timing. With LISTEN/NOTIFY a change reaches every node's caches
// as soon as PostgreSQL delivers the notification; the poll is the
// fallback for a missed one (and the only mechanism on SQLite).
const (
	// listenFallback is the poll interval while a LISTEN connection is up.
	listenFallback = time.Second
	// syncTimeout bounds one read of the change feed, so that an
	// unreachable store is noticed (and reported) quickly.
	syncTimeout = 2 * time.Second
	// flushEvery is how often key last-use times are written, off the
	// request path.
	flushEvery = time.Second
	// pruneEvery is how often expired issuance records and revocations
	// are deleted.
	pruneEvery = 10 * time.Minute
	// revocationReload re-reads the whole revocation list this often even
	// without a change, so that every node converges whatever it missed.
	revocationReload = time.Minute
)

// msgStoreUnreachable is the ServiceUnavailable message of requests that
// need a store write while the store cannot be reached.
const msgStoreUnreachable = "The Brevet store (database) is unreachable, so this request, which must write to it, cannot be served; " +
	"requests signed with existing credentials are still verified. Try again later."

// cluster is the state a node keeps to act as one of many: the revocation
// list, whether the store answered last time, and the wake-up signal that
// LISTEN/NOTIFY sends.
type cluster struct {
	st      store.Store
	list    revocation.List
	revoker *revocation.Service
	// recorder group-commits the issuance records (recordIssued).
	recorder *revocation.Recorder
	// down is set while the store does not answer the change-feed reads.
	down atomic.Bool
	wake chan struct{}
}

// recordLinger bounds how long the issuance-record writer waits for the
// records of requests still in flight (revocation.WithCallers).
const recordLinger = time.Millisecond

// skipIssuanceRecords is false in every build but one made with -tags
// benchknobs, where a benchmark may set it to measure what the records
// cost (benchknobs.go). No flag or setting reaches it.
var skipIssuanceRecords bool

// newCluster sets up revocation and the issuance records. callers says
// how many requests may still bring a record, for the writer to wait for.
func newCluster(ctx context.Context, st store.Store, now time.Time, callers func() int) (*cluster, error) {
	c := &cluster{
		st: st, revoker: revocation.NewService(st),
		recorder: revocation.NewRecorder(st.Sessions(), syncTimeout, revocation.WithCallers(callers, recordLinger)),
		wake:     make(chan struct{}, 1),
	}
	if err := c.list.Load(ctx, st.Revocations(), now); err != nil {
		return nil, fmt.Errorf("loading the revocation list: %w", err)
	}
	return c, nil
}

// poke asks the follow loop to read the change feed now.
func (c *cluster) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// listener is implemented by stores that announce changes
// (postgres.Store).
type listener interface {
	Listen(ctx context.Context, fn func(seq int64)) error
}

// followCluster keeps the caches, the token key ring and the revocation
// list in step with the store until ctx is done: at once when PostgreSQL
// notifies a change, and every interval regardless.
func (a *app) followCluster(ctx context.Context, log *slog.Logger) {
	c := a.cl
	interval := followInterval
	if l, ok := a.st.(listener); ok {
		interval = listenFallback
		go func() { _ = l.Listen(ctx, func(int64) { c.poke() }) }()
	}
	go a.housekeep(ctx, log)
	t := time.NewTicker(interval)
	defer t.Stop()
	lastReload := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
		reload := time.Since(lastReload) > revocationReload
		if a.syncOnce(ctx, reload, log) && reload {
			lastReload = time.Now()
		}
	}
}

// syncOnce reads the change feed into every cache and reports whether the
// store answered.
func (a *app) syncOnce(ctx context.Context, reloadRevocations bool, log *slog.Logger) bool {
	sctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	changes, err := a.authn.Sync(sctx)
	if err == nil {
		err = a.authz.Sync(sctx)
	}
	for _, ch := range changes {
		if ch.Kind == store.ChangeRevocation {
			reloadRevocations = true
		}
	}
	if err == nil && reloadRevocations {
		err = a.cl.list.Load(sctx, a.st.Revocations(), time.Now())
	}
	if len(changes) > 0 {
		a.applied(sctx, changes, log)
	}
	a.setStoreState(ctx, err, log)
	return err == nil
}

func (a *app) setStoreState(ctx context.Context, err error, log *slog.Logger) {
	switch {
	case ctx.Err() != nil:
	case err != nil && !a.cl.down.Swap(true):
		log.ErrorContext(ctx, "store unreachable: serving from caches, refusing writes", "err", err)
	case err == nil && a.cl.down.Swap(false):
		log.InfoContext(ctx, "store reachable again")
	}
}

// housekeep writes key last-use times and prunes expired records, each
// bounded in time, so that neither ever delays the change feed.
func (a *app) housekeep(ctx context.Context, log *slog.Logger) {
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	prune := time.NewTicker(pruneEvery)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			if a.cl.down.Load() {
				continue // kept in memory until the store is back
			}
			fctx, cancel := context.WithTimeout(ctx, syncTimeout)
			if err := a.authn.FlushUses(fctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "recording access key use", "err", err)
			}
			cancel()
		case <-prune.C:
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			now := time.Now()
			_, err1 := a.st.Sessions().Prune(pctx, now)
			_, err2 := a.st.Revocations().Prune(pctx, now)
			if err := errors.Join(err1, err2); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "pruning expired sessions and revocations", "err", err)
			}
			cancel()
		}
	}
}

// storeGate admits requests: while the store is unreachable, actions that
// must write to it (issuing credentials, which records the session; IAM
// changes; revocation) are refused at once with ServiceUnavailable, and
// everything else goes on to authentication, which needs no store for
// cached keys and session tokens.
type storeGate struct {
	next awsquery.Authenticator
	cl   *cluster
}

func (g storeGate) Authenticate(ctx context.Context, req *awsquery.AuthnRequest) (awsquery.Principal, error) {
	if g.cl.down.Load() && req.Operation != nil && needsWrite(req.Operation) {
		return nil, awsquery.CodeServiceUnavailable.New(msgStoreUnreachable)
	}
	return g.next.Authenticate(ctx, req)
}

// needsWrite reports whether an action writes to the store.
func needsWrite(op *awsquery.OperationInfo) bool {
	switch op.Service.Name {
	case "iam":
		return !audit.IsReadOnly(op.Name)
	case "sts":
		return issuedKind(op.Name) != ""
	case brevetapi.Service.Name:
		return op.Name == brevetapi.RevokeSessions.Name
	}
	return false
}

// storeUnreachable maps an error that says the database could not be
// reached (connection refused or reset, a timed-out query) to
// ServiceUnavailable: the request is fine, the store is not.
func storeUnreachable(err error) *awsquery.Error {
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) {
		return &awsquery.Error{Code: awsquery.CodeServiceUnavailable, Message: msgStoreUnreachable, Cause: err}
	}
	return nil
}

// recordIssued writes the issuance record of credentials the request just
// issued, before the response is sent (and before the audit record is
// written: the caller passes rec on). If it cannot, the request fails
// closed: rec is turned into a ServiceUnavailable failure and the error
// returned, so the dispatcher withholds the credentials. Concurrent
// issuances share one store transaction (revocation.Recorder); each still
// waits for its own record's commit.
func (a *app) recordIssued(ctx context.Context, rec *awsquery.AuditRecord) error {
	if rec.ErrorCode != "" || rec.Service != "sts" || issuedKind(rec.Action) == "" || skipIssuanceRecords {
		return nil
	}
	r, ok := issuanceRecord(rec)
	if !ok {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	err := a.cl.recorder.Record(rctx, r)
	if err == nil {
		return nil
	}
	if storeUnreachable(err) != nil {
		a.cl.down.Store(true) // the next writes are refused at once; the follow loop clears it
	}
	rec.Status, rec.ErrorCode, rec.ErrorMessage = 503, awsquery.CodeServiceUnavailable.Name, msgStoreUnreachable
	rec.ResponseElements, rec.Err = nil, err
	return fmt.Errorf("recording the issued session %s: %w", r.AccessKeyID, err)
}

// issuanceRecord reads the issued session from the audit record: the
// response's credentials and who they were issued to, the caller's keys.
func issuanceRecord(rec *awsquery.AuditRecord) (store.SessionRecord, bool) {
	creds, _ := rec.ResponseElements["credentials"].(map[string]any)
	id, _ := creds["accessKeyId"].(string)
	expStr, _ := creds["expiration"].(string)
	exp, err := time.Parse(time.RFC3339, expStr)
	if id == "" || err != nil {
		return store.SessionRecord{}, false
	}
	r := store.SessionRecord{
		AccessKeyID: id, Kind: rec.Action, SourceIP: rec.SourceIP, Issued: rec.Start.UTC().Truncate(time.Microsecond), Expires: exp,
	}
	if p, ok := rec.Principal.(*identity.Principal); ok && p != nil {
		r.Account, r.ParentAccessKeyID, r.RootAccessKeyID = p.Account, p.AccessKeyID, p.AccessKeyID
		if p.Session != nil && p.Session.RootAccessKeyID != "" {
			r.RootAccessKeyID = p.Session.RootAccessKeyID
		}
		r.PrincipalARN, r.SessionARN = p.CallerARN, p.CallerARN // GetSessionToken: the caller itself
	}
	params := rec.RequestParameters
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	switch rec.Action {
	case "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML":
		user, _ := rec.ResponseElements["assumedRoleUser"].(map[string]any)
		r.PrincipalARN, r.SessionARN, r.SessionName = str(params, "roleArn"), str(user, "arn"), str(params, "roleSessionName")
		if acct := iam.ARNAccount(r.PrincipalARN); acct != "" {
			r.Account = acct
		}
	case "GetFederationToken":
		user, _ := rec.ResponseElements["federatedUser"].(map[string]any)
		r.SessionARN, r.SessionName = str(user, "arn"), str(params, "name")
	}
	return r, true
}

// registerBrevet puts Brevet's own actions (brevetapi) on the dispatcher:
// they are authenticated, authorized as brevet:ACTION and audited like
// every AWS action.
func registerBrevet(d *awsquery.Dispatcher, a *app) {
	awsquery.Register(d, brevetapi.ListSessions, awsquery.Handler[brevetapi.ListSessionsRequest, brevetapi.ListSessionsResponse]{
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.ListSessionsRequest]) (awsquery.Target, error) {
			return sessionsTarget(r.Input.PrincipalArn), nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.ListSessionsRequest]) (*brevetapi.ListSessionsResponse, error) {
			p, ok := r.Principal.(*identity.Principal)
			if !ok {
				return nil, errors.New("brevet: unexpected principal")
			}
			recs, err := a.cl.revoker.Sessions(ctx, p.Account, r.Input.PrincipalArn, r.Input.ActiveOnly, r.Now, int(r.Input.MaxItems))
			if err != nil {
				return nil, err
			}
			out := &brevetapi.ListSessionsResponse{Sessions: make([]brevetapi.Session, len(recs))}
			for i, s := range recs {
				out.Sessions[i] = brevetapi.Session{
					AccessKeyId: s.AccessKeyID, PrincipalArn: s.PrincipalARN, SessionArn: s.SessionARN, Kind: s.Kind,
					SessionName: s.SessionName, SourceIp: s.SourceIP, ParentAccessKeyId: s.ParentAccessKeyID,
					RootAccessKeyId: s.RootAccessKeyID, Issued: s.Issued, Expiration: s.Expires,
				}
			}
			return out, nil
		},
	})
	awsquery.Register(d, brevetapi.RevokeSessions, awsquery.Handler[brevetapi.RevokeSessionsRequest, brevetapi.RevokeSessionsResponse]{
		Target: func(_ context.Context, r *awsquery.Request[brevetapi.RevokeSessionsRequest]) (awsquery.Target, error) {
			return sessionsTarget(r.Input.PrincipalArn), nil
		},
		Serve: func(ctx context.Context, r *awsquery.Request[brevetapi.RevokeSessionsRequest]) (*brevetapi.RevokeSessionsResponse, error) {
			p, ok := r.Principal.(*identity.Principal)
			if !ok {
				return nil, errors.New("brevet: unexpected principal")
			}
			revs, err := a.cl.revoker.Revoke(ctx, revocation.Request{
				Account: p.Account, AccessKeyID: r.Input.AccessKeyId, Principal: r.Input.PrincipalArn,
				IssuedBefore: r.Input.IssuedBefore, By: p.CallerARN,
			}, r.Now)
			if err != nil {
				return nil, err
			}
			// Enforced here at once; other nodes follow the change feed.
			if err := a.cl.list.Load(ctx, a.st.Revocations(), r.Now); err != nil {
				return nil, err
			}
			out := &brevetapi.RevokeSessionsResponse{RevokedCount: int32(len(revs))}
			for _, e := range revs {
				out.Revocations = append(out.Revocations, brevetapi.Revocation{Kind: e.Kind, Target: e.Target, NotBefore: e.NotBefore, ExpiresAt: e.ExpiresAt})
			}
			return out, nil
		},
	})
}

// sessionsTarget is the resource of the session actions: the principal
// they concern, or "*".
func sessionsTarget(principal string) awsquery.Target {
	if principal == "" {
		return awsquery.Target{Resource: "*"}
	}
	return awsquery.Target{Resource: principal}
}

// revocationError maps the revocation service's errors.
func revocationError(err error) *awsquery.Error {
	var nf *revocation.NotFoundError
	if errors.As(err, &nf) {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: nf.Error(), Cause: err}
	}
	var inv *revocation.InvalidError
	if errors.As(err, &inv) {
		return &awsquery.Error{Code: awsquery.CodeValidationError, Message: inv.Error(), Cause: err}
	}
	return storeUnreachable(err)
}
