package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/store"
)

// followInterval is how often the server reads the store's change feed to
// invalidate its caches and pick up rotated token keys. Writes made through
// this server are applied at once (see syncAfterWrite).
const followInterval = 100 * time.Millisecond

// app is the wired server and what must be closed after it stops.
type app struct {
	accountID string
	boot      *bootstrap.Result
	st        store.Store
	master    *masterkey.Keyring
	tokens    *credential.TokenKeyRing
	authn     *authn.Authenticator
	authz     *authz.Authorizer
	auditor   *audit.Auditor
	srv       *server.Server
	// inFlight counts the API requests being served: the group commits
	// of the audit trail and of the issuance records wait for them
	// (audit.Options.Callers, revocation.WithCallers; see wire).
	inFlight atomic.Int64
	cl       *cluster          // serve_cluster.go
	fed      *serverFederation // serve_federation.go
}

// wire builds everything `brevet serve` runs, from the store up. log
// writes to logOut.
func wire(ctx context.Context, cfg *config.Config, st store.Store, master *masterkey.Keyring, log *slog.Logger, logOut io.Writer) (*app, error) {
	now := time.Now()
	boot, err := bootstrap.Run(ctx, bootstrap.Config{
		Store: st, Master: master, AccountID: cfg.AccountID, DataDir: cfg.DataDir,
		SeedManaged: managedSeeder(), Now: now, Rand: rand.Reader, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	if boot.AdminKeyID != "" {
		log.WarnContext(ctx, "first start: created user admin with AdministratorAccess; its access key is in the credentials file, shown nowhere else",
			"account_id", boot.AccountID, "access_key_id", boot.AdminKeyID, "file", boot.CredentialsPath)
	}
	a := &app{accountID: boot.AccountID, boot: boot, st: st, master: master, tokens: boot.Tokens}
	// Two group commits are on the path of an issuance: its record
	// (revocation.Recorder), then its audit event. Each writer waits for
	// the requests in flight that may still reach it, not for those parked
	// in the other: waiting for them would be waiting for the other's
	// commit, and each writer would wait its longest every time. (The
	// recorder's callback runs only once requests are served, after
	// a.auditor is set.)
	recordCallers := func() int { return int(a.inFlight.Load()) - a.auditor.Trail().Waiting() }
	auditCallers := func() int { return int(a.inFlight.Load()) - a.cl.recorder.Waiting() }
	if a.cl, err = newCluster(ctx, st, now, recordCallers); err != nil {
		return nil, err
	}
	if a.authn, err = authn.New(ctx, authn.Config{
		Keys: st.Principals(), Changes: st.Changes(), Secrets: master, Tokens: boot.Tokens,
		Regions: cfg.Regions, Uses: st.AccessKeys(), Revoked: &a.cl.list, Logger: log,
	}); err != nil {
		return nil, err
	}
	if a.authz, err = authz.New(ctx, authz.Config{Store: st, MessageKey: boot.MessageKey, Region: cfg.Regions[0], PollInterval: authz.NoRequestPoll}); err != nil {
		return nil, err
	}
	if a.auditor, err = openAuditor(ctx, cfg, log, auditCallers); err != nil { // serve_audit.go
		return nil, err
	}
	d, err := awsquery.New(awsquery.Config{
		Authenticator: storeGate{next: a.authn, cl: a.cl},
		Authorizer:    a.authz,
		Auditor:       a.requestAuditor(log),
		MaxBodyBytes:  cfg.MaxRequestBody,
		ErrorMappers:  append(errorMappers(), revocationError),
		Logger:        log,
	})
	if err != nil {
		a.close(log)
		return nil, err
	}
	if err := registerServices(ctx, d, a, cfg, log); err != nil {
		a.close(log)
		return nil, err
	}
	registerBrevet(d, a)
	api, err := withLookup(d, a, cfg, log) // LookupEvents; serve_audit.go
	if err != nil {
		a.close(log)
		return nil, err
	}
	opts := []server.Option{
		server.WithAPI(countInFlight(a.fed.handler(api), &a.inFlight)), // the OIDC issuer's endpoints; serve_federation.go
		server.WithLogger(log),
		server.WithReadyCheck("store", func(ctx context.Context) error { _, err := st.Changes().Latest(ctx); return err }),
		server.WithReadyCheck("audit", func(context.Context) error { return a.auditor.Ready() }),
		server.WithCollectors(auditCollectors(a.auditor, a.cl.recorder)...), // serve_audit.go
	}
	if cfg.Log.Format == config.LogJSON {
		// log is a plain JSON handler on logOut (newLogger): the access
		// log may write its lines there directly.
		opts = append(opts, server.WithJSONAccessLog(logOut))
	}
	a.srv, err = server.New(server.Config{
		MaxRequestBody: cfg.MaxRequestBody, ShutdownGrace: cfg.ShutdownGrace,
		TLSCertFile: cfg.TLS.CertFile, TLSKeyFile: cfg.TLS.KeyFile,
	}, opts...)
	if err != nil {
		a.close(log)
		return nil, err
	}
	return a, nil
}

func (a *app) close(log *slog.Logger) {
	if a.authn != nil {
		if err := a.authn.FlushUses(context.Background()); err != nil {
			log.Warn("recording access key use", "err", err)
		}
	}
	if a.auditor != nil {
		if err := a.auditor.Close(); err != nil {
			log.Error("closing the audit trail", "err", err)
		}
	}
}

// follow applies the store's change feed until ctx is done: the
// authenticator's key cache, the authorizer's policy cache, the revocation
// list, and the token key ring when another process (brevet keys
// rotate-token-key) rotated it. See serve_cluster.go.
func (a *app) follow(ctx context.Context, log *slog.Logger) { a.followCluster(ctx, log) }

// applied reacts to changes other than the caches' own.
func (a *app) applied(ctx context.Context, changes []store.Change, log *slog.Logger) {
	a.fed.applied(ctx, changes) // providers and OIDC issuer keys; serve_federation.go
	for _, c := range changes {
		if c.Kind == store.ChangeKeyMaterial && c.Key == bootstrap.TokenRingPurpose+"/"+bootstrap.TokenRingID {
			if err := bootstrap.ReloadTokenRing(ctx, a.st, a.master, a.tokens); err != nil {
				log.ErrorContext(ctx, "reloading the session-token key ring", "err", err)
			} else {
				log.InfoContext(ctx, "session-token key ring reloaded", "active_key", a.tokens.ActiveKeyID())
			}
			return
		}
	}
}

// syncAfterWrite brings the caches up to date after every successful
// write action, before its response is sent: a key deleted or a policy
// detached through this server takes effect for the very next request.
type syncAfterWrite struct {
	next awsquery.Auditor
	app  *app
	log  *slog.Logger
}

func (s syncAfterWrite) Audit(ctx context.Context, rec *awsquery.AuditRecord) error {
	// Issued credentials are recorded first (serve_cluster.go); if that
	// fails, rec now says so and the request fails closed.
	err := errors.Join(s.app.recordIssued(ctx, rec), s.next.Audit(ctx, rec))
	if err == nil && s.app.srv != nil {
		count(s.app.srv.Metrics(), rec)
	}
	if err == nil && rec.ErrorCode == "" && rec.Service == "iam" && !audit.IsReadOnly(rec.Action) {
		changes, serr := s.app.authn.Sync(ctx)
		if serr == nil {
			serr = s.app.authz.Sync(ctx)
		}
		if serr != nil {
			s.log.WarnContext(ctx, "syncing caches after a write", "err", serr)
		}
		s.app.applied(ctx, changes, s.log)
	}
	return err
}

// issuedKind is the credential metric's kind for an action that issues
// credentials, or "".
func issuedKind(action string) string {
	switch action {
	case "AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken", "GetFederationToken":
		return action
	case "CreateAccessKey":
		return "AccessKey"
	}
	return ""
}

// count feeds the credential and denial metrics from the audit record,
// the one place that sees every request's action and outcome. Label values
// come from fixed sets.
func count(m *server.Metrics, rec *awsquery.AuditRecord) {
	switch kind := issuedKind(rec.Action); {
	case rec.ErrorCode == "" && kind != "":
		m.CredentialIssued(kind)
	case rec.ErrorCode == awsquery.CodeAccessDenied.Name:
		m.Denied("access_denied")
	}
}

// printFirstStart tells the operator how to use the admin key.
func printFirstStart(out io.Writer, endpoint, region string, boot *bootstrap.Result) {
	fmt.Fprintf(out, `
Brevet created account %s and the user admin (AdministratorAccess).
Its access key was written once to %s; keep that file safe.
Use it with any AWS client:

  export AWS_ENDPOINT_URL=%s
  export AWS_SHARED_CREDENTIALS_FILE=%s
  export AWS_DEFAULT_REGION=%s AWS_REGION=%s
  aws sts get-caller-identity

`, boot.AccountID, boot.CredentialsPath, endpoint, mustAbs(boot.CredentialsPath), region, region)
}

func mustAbs(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// countInFlight counts the requests next is serving in n.
func countInFlight(next http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		defer n.Add(-1)
		next.ServeHTTP(w, r)
	})
}
