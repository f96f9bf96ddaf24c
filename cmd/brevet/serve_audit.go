package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/server"
)

// lookupAction is the IAM action LookupEvents requires, on resource "*"
// (CloudTrail's LookupEvents has no resource-level permissions).
const lookupAction = "cloudtrail:LookupEvents"

// auditOpenFile opens the trail's files: nil (os.OpenFile) in the
// program. The in-process tests of failing closed set it to simulate a
// full or failing disk, which cannot be arranged for a real process
// without root and a device; there is deliberately no flag for it.
var auditOpenFile audit.OpenFileFunc

// auditOptions are the trail's settings for serve.
func auditOptions(cfg *config.Config, log *slog.Logger) audit.Options {
	return audit.Options{
		Dir: filepath.Join(cfg.DataDir, "audit"), Region: cfg.Regions[0], Logger: log,
		TLSDetails: tlsDetails, OpenFile: auditOpenFile,
	}
}

// tlsDetails gives audit events the connection's TLS parameters, which
// the dispatcher's record carries; none for plain HTTP.
func tlsDetails(_ context.Context, rec *awsquery.AuditRecord) *audit.TLSDetails {
	return audit.TLSDetailsFromState(rec.TLS, rec.Host)
}

// requestAuditor is what audits every request: the trail, observed by the
// server's logs and metrics, and followed by the cache sync after writes.
func (a *app) requestAuditor(log *slog.Logger) awsquery.Auditor {
	return syncAfterWrite{next: server.ObserveAudit(a.auditor), app: a, log: log}
}

// withLookup routes CloudTrail's LookupEvents (JSON protocol, told apart by
// its X-Amz-Target header) to the trail's query handler, and everything
// else to the AWS Query dispatcher. LookupEvents goes through the same
// Authenticator (SigV4, service "cloudtrail"), Authorizer
// (cloudtrail:LookupEvents on "*") and Auditor as every other request.
func withLookup(next http.Handler, a *app, cfg *config.Config, log *slog.Logger) (http.Handler, error) {
	h, err := lookup.NewHandler(lookup.Config{
		Dir:       filepath.Join(cfg.DataDir, "audit"),
		Events:    lookupSource(a.auditor),
		Authorize: a.authorizeLookup,
		Auditor:   a.requestAuditor(log),
		Logger:    log,
	})
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isCloudTrailTarget(r.Header.Get("X-Amz-Target")) {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// isCloudTrailTarget reports whether an X-Amz-Target names a CloudTrail
// operation; the lookup handler answers the ones it does not serve with
// UnknownOperationException.
func isCloudTrailTarget(t string) bool {
	const prefix = "com.amazonaws.cloudtrail."
	return len(t) > len(prefix) && t[:len(prefix)] == prefix
}

// authorizeLookup authenticates a LookupEvents call and authorizes
// cloudtrail:LookupEvents for its caller.
func (a *app) authorizeLookup(r *http.Request, body []byte) (awsquery.Principal, error) {
	ctx, now := r.Context(), time.Now()
	p, err := a.authn.Authenticate(ctx, &awsquery.AuthnRequest{HTTP: r, Body: body, Operation: lookup.Operation, Now: now})
	if err != nil {
		wire, _ := awsquery.ToWire(err, errorMappers()...)
		return nil, &lookup.Error{Code: wire.Code.Name, Message: wire.Message, Status: wire.Code.Status}
	}
	host, _, serr := net.SplitHostPort(r.RemoteAddr)
	if serr != nil {
		host = r.RemoteAddr
	}
	dec, err := a.authz.Authorize(ctx, &awsquery.AuthzRequest{
		Principal: p, Action: lookupAction, Resource: "*",
		Now: now, SourceIP: host, UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil,
	})
	if err != nil {
		return p, err
	}
	if !dec.Allowed {
		msg := "User: " + p.ARN() + " is not authorized to perform: " + lookupAction + awsquery.DenialReason(dec)
		return p, &lookup.Error{Code: "AccessDeniedException", Message: awsquery.AppendEncodedMessage(msg, dec.EncodedMessage), Status: http.StatusBadRequest}
	}
	return p, nil
}

// openAuditor opens the audit trail serve records every request in: the
// file trail in DATA_DIR/audit, or, when the store is PostgreSQL (a
// cluster), the PostgreSQL sink, with this node's id and signing key kept
// in DATA_DIR/audit.
func openAuditor(ctx context.Context, cfg *config.Config, log *slog.Logger, callers func() int) (*audit.Auditor, error) {
	opts := auditOptions(cfg, log)
	opts.Callers = callers
	if cfg.Store.Driver != config.StorePostgres {
		return audit.Open(opts)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	signer, err := audit.LoadOrCreateKey(filepath.Join(opts.Dir, audit.KeyFile))
	if err != nil {
		return nil, err
	}
	node, err := pgsink.LoadOrCreateNodeID(opts.Dir)
	if err != nil {
		return nil, err
	}
	sink, err := pgsink.Open(ctx, pgsink.Config{DSN: cfg.Store.DSN, Node: node, PublicKey: signer.Public(), SpoolDir: opts.Dir, Logger: log})
	if err != nil {
		return nil, err
	}
	opts.Signer, opts.Durable = signer, sink
	log.InfoContext(ctx, "audit trail in PostgreSQL", "node", node, "key_id", signer.ID())
	return audit.Open(opts)
}

// auditCollectors are the metrics of the two group commits every issuance
// goes through, the audit trail's and the issuance records' (what each
// commit carries shows how well they batch under load), and the
// PostgreSQL sink's outage spool (spooling, events pending, spooled,
// shipped).
func auditCollectors(a *audit.Auditor, rc *revocation.Recorder) []prometheus.Collector {
	tr := a.Trail()
	cs := []prometheus.Collector{
		counterFunc("brevet_audit_events_total", "Audit events made durable.",
			func() uint64 { return tr.Stats().Events }),
		counterFunc("brevet_audit_commits_total", "Writes (one fsync each for the file trail, one transaction for "+
			"PostgreSQL) that made the audit events durable; events divided by commits is what group commit saves.",
			func() uint64 { return tr.Stats().Batches }),
		counterFunc("brevet_issuance_records_total", "Issuance records of temporary credentials written to the store.",
			func() uint64 { return rc.Stats().Records }),
		counterFunc("brevet_issuance_commits_total", "Store transactions that carried the issuance records.",
			func() uint64 { return rc.Stats().Commits }),
	}
	if s, ok := a.Durable().(*pgsink.Sink); ok {
		cs = append(cs, s.Collector())
	}
	return cs
}

// counterFunc is a counter read from f when scraped.
func counterFunc(name, help string, f func() uint64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
}

// lookupSource is where LookupEvents reads: every node's events when the
// trail is in PostgreSQL; nil (the files in DATA_DIR/audit) otherwise.
func lookupSource(a *audit.Auditor) func(fn func(uint64, []byte) error) error {
	if s, ok := a.Durable().(*pgsink.Sink); ok {
		return s.Reader().WalkAll(context.Background())
	}
	return nil
}
