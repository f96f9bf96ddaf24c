// Package node is the assembled Brevet server as a library: New opens the
// data directory, the master key and the store, bootstraps the account,
// builds the request pipeline (authenticate, authorize, act, commit,
// audit) with every protocol's codec on it, and binds the listener; Run
// serves until its context ends, with the background loops (the one
// change-feed follower that keeps every cache current, housekeeping);
// Close releases everything. In the manner of dex's server.NewServer and
// step-ca's ca.New.
//
// cmd/brevet only turns flags into a config.Config and calls New and Run.
// What would otherwise be knobs hidden in globals (the trail's file
// opener for fault-injection tests, the benchmark build's switches) are
// Options.
package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/eventindex"
	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/broker"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/console"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/datadir"
	"github.com/brevet-dev/brevet/internal/hosts"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/identitypool"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/rolesanywhere"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/sso/portal"
	"github.com/brevet-dev/brevet/internal/sso/signin"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// LockHolder is how a node names itself in the data directory's lock file.
const LockHolder = "brevet serve"

// Options are the parts of a node that are not configuration.
type Options struct {
	// Logger receives structured logs; discarded when nil.
	Logger *slog.Logger
	// AccessLog, when set, is where the access log writes its JSON lines
	// directly (byte for byte what a JSON slog handler would write). Set it
	// only when Logger is a plain JSON handler on the same writer.
	AccessLog io.Writer
	// FirstStart receives the instructions for the admin key on the first
	// start; nothing is printed when nil.
	FirstStart io.Writer
	// AuditOpenFile opens the trail's files; os.OpenFile when nil. Tests
	// inject failing disks with it, and the benchmark build files that do
	// not sync.
	AuditOpenFile audit.OpenFileFunc
	// AuditStatfs reports the free space of the trail's file system;
	// statfs(2) when nil. Tests inject a nearly full disk with it.
	AuditStatfs audit.Statfs
	// SkipIssuanceRecords writes no issuance index: for the benchmark
	// build only (cmd/brevet, -tags benchknobs), to measure what it costs.
	// No flag or setting reaches it.
	SkipIssuanceRecords bool
}

// Node is one running Brevet server.
type Node struct {
	cfg  *config.Config
	opts Options
	log  *slog.Logger

	st     store.Store
	master *masterkey.Keyring
	boot   *bootstrap.Result
	authn  *authn.Authenticator
	// iamSvc records password uses (FlushPasswordUses) with key uses.
	iamSvc  *iamservice.Service
	authz   *authz.Authorizer
	auditor *audit.Auditor
	revoked revocation.List
	revoker *revocation.Service
	indexer *revocation.Indexer // nil on PostgreSQL, where the audit sink indexes
	// events is the audit event index's writer (eventindex.go); nil on
	// PostgreSQL, where the audit sink indexes.
	events  *eventindex.Indexer
	fed     *federation
	budgets *ratelimit.Budgets // nil when every rate budget is off; limits.go
	srv     *server.Server
	ln      net.Listener
	url     string
	// metricsLn serves /metrics when the config gives it an address of
	// its own; nil otherwise.
	metricsLn net.Listener
	// gw is the S3 gateway, nil when it is off (gateway.go).
	gw *s3Gateway
	// rest is the codec of the REST-JSON services (restjson.go).
	rest *restjson.Dispatcher
	// ra is IAM Roles Anywhere (rolesanywhere.go).
	ra *rolesanywhere.Service
	// pools are the identity pools (identitypool.go).
	pools *identitypool.Service
	// hosts is host enrollment and the hosts' credentials (hosts.go).
	hosts *hosts.Service
	// iot is the IoT service and its credentials provider (iot.go).
	iot *iotNode
	// assign is single sign-on's assignments (ssoportal.go).
	assign *assign.Assignments
	// sso is SSO OIDC and the sign-in sessions (sso.go); the portal and
	// the sign-in pages use it.
	sso *sso.Service
	// portal is the SSO portal (ssoportal.go).
	portal *portal.Service
	// signin is the SSO sign-in pages (signin.go).
	signin *signin.Handler
	// console is the web console (console.go).
	console *console.Handler
	// broker is the credential broker, brokerCalls its calls counter
	// (broker.go).
	broker      *broker.Service
	brokerCalls *prometheus.CounterVec

	// inFlight counts the API requests being served: the trail's group
	// commit waits for them.
	inFlight atomic.Int64
	// feed is the one reader of the store's change feed (follow.go).
	feed follower
	// down is set while the store does not answer the change-feed reads.
	down atomic.Bool
	// loops are the background goroutines Run starts; Run waits for them.
	loops sync.WaitGroup

	closers []func() error

	// authzAPI is nil unless authz_api.route_map is set; authzapi.go.
	authzAPI *authzAPI
}

// New builds a node from cfg and binds its listener; it serves nothing
// until Run. On error everything it opened is closed again.
func New(ctx context.Context, cfg *config.Config, opts Options) (_ *Node, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, opts: opts, log: opts.Logger}
	defer func() {
		if err != nil {
			err = errors.Join(err, n.Close())
		}
	}()
	if len(cfg.IgnoredEnv) > 0 {
		n.log.WarnContext(ctx, "ignoring environment variables that are not settings", "names", cfg.IgnoredEnv)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	warnDataDirMode(ctx, n.log, cfg.DataDir)
	// Held while the node runs: brevet keys rotate-master-key refuses to
	// re-seal secrets under a server that holds the old key ring.
	lock, err := datadir.Acquire(cfg.DataDir, LockHolder)
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, lock.Release)
	if err := n.openState(ctx); err != nil {
		return nil, err
	}
	if err := n.wire(ctx); err != nil { // wire.go
		return nil, err
	}
	if err := n.listen(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// openState loads the master key, opens the store and bootstraps it.
func (n *Node) openState(ctx context.Context) error {
	cfg := n.cfg
	master, src, err := cfg.MasterKey.Load(cfg.DataDir)
	if err != nil {
		return err
	}
	n.master = master
	if src == masterkey.SourceGenerated {
		n.log.WarnContext(ctx, "GENERATED A NEW MASTER KEY: every stored secret is encrypted under it. "+
			"Back it up apart from the data; without it the data directory cannot be read",
			"file", filepath.Join(cfg.DataDir, masterkey.DataDirKeyFile))
	} else {
		n.log.InfoContext(ctx, "master key loaded", "source", src.String(), "active_key", master.ActiveID())
	}
	if n.st, err = OpenStore(ctx, cfg); err != nil {
		return err
	}
	n.closers = append(n.closers, n.st.Close)
	n.boot, err = bootstrap.Run(ctx, bootstrap.Config{
		Store: n.st, Master: master, AccountID: cfg.AccountID, DataDir: cfg.DataDir,
		SeedManaged: managed.Seed, Now: time.Now(), Rand: rand.Reader, Logger: n.log,
	})
	if err != nil {
		return err
	}
	if n.boot.AdminKeyID != "" {
		n.log.WarnContext(ctx, "first start: created user admin with AdministratorAccess; its access key is in the credentials file, shown nowhere else",
			"account_id", n.boot.AccountID, "access_key_id", n.boot.AdminKeyID, "file", n.boot.CredentialsPath)
	}
	return nil
}

// listen binds the API listener and, when configured, the profiler's.
func (n *Node) listen(ctx context.Context) error {
	ln, err := n.bind(n.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	n.ln = ln
	n.url = n.scheme() + "://" + ln.Addr().String()
	n.log.InfoContext(ctx, "listening", "url", n.url, "account_id", n.boot.AccountID)
	if n.cfg.Metrics.Listen != "" {
		if n.metricsLn, err = n.bind(n.cfg.Metrics.Listen); err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		n.log.InfoContext(ctx, "metrics listening", "url", n.MetricsURL()+"/metrics")
	}
	if err := n.listenGateway(ctx); err != nil { // gateway.go
		return err
	}
	if err := n.listenIoT(ctx); err != nil { // iot.go
		return err
	}
	n.fed.setServerURL(ctx, n.url) // the default OIDC issuer URL; federation.go
	n.setSSOURL()                  // sso.go
	n.setSigninURL()               // signin.go
	n.setConsoleURL()              // console.go
	if n.boot.AdminKeyID != "" && n.opts.FirstStart != nil {
		printFirstStart(n.opts.FirstStart, n.url, n.cfg.Regions[0], n.boot)
	}
	if n.cfg.DebugListen != "" {
		_, stop, err := startDebug(ctx, n.cfg.DebugListen, n.log) // debug.go
		if err != nil {
			return err
		}
		n.closers = append(n.closers, func() error { stop(); return nil })
	}
	return nil
}

// dataDirModeWarning is logged when other users may read the data
// directory.
const dataDirModeWarning = "the data directory is open to other users"

// warnDataDirMode warns when the data directory grants its group or others
// any access. Brevet creates it 0700 and every file in it 0600, but a
// directory that existed before keeps its mode: Brevet does not change
// the operator's directory, it says what to do.
func warnDataDirMode(ctx context.Context, log *slog.Logger, dir string) {
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	log.WarnContext(ctx, dataDirModeWarning+"; it holds the store, the audit trail and the master key: run chmod 700 on it",
		"dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
}

// bind listens on addr and closes the listener when the node closes.
func (n *Node) bind(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, func() error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	return ln, nil
}

func (n *Node) scheme() string {
	if n.cfg.TLS.Enabled() {
		return "https"
	}
	return "http"
}

// URL is the API's base URL (http or https, the bound address).
func (n *Node) URL() string { return n.url }

// MetricsURL is the base URL of the metrics listener, "" when /metrics is
// served on the API's (config metrics_listen).
func (n *Node) MetricsURL() string {
	if n.metricsLn == nil {
		return ""
	}
	return n.scheme() + "://" + n.metricsLn.Addr().String()
}

// AccountID is the account the node's store holds.
func (n *Node) AccountID() string { return n.boot.AccountID }

// Run serves until ctx ends, then stops gracefully: requests in flight
// finish (up to the configured grace), and the background loops end
// before it returns. Call Close afterwards.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer n.loops.Wait()
	defer cancel()                       // also when the server fails: the loops must not outlive it
	n.loops.Go(func() { n.follow(ctx) }) // follow.go
	n.loops.Go(func() { n.housekeep(ctx) })
	n.loops.Go(func() { n.rotateUpstreamKeys(ctx) }) // broker.go
	n.loops.Go(func() { n.srv.WatchTLS(ctx) })       // reloads a renewed certificate
	n.loops.Go(func() { n.serveAuthzGRPC(ctx) })
	n.loops.Go(func() { <-ctx.Done(); n.stopHosts() }) // long polls answer at once on shutdown; hosts.go
	iotOn := n.iot != nil && n.iot.ln != nil
	if n.metricsLn == nil && n.gw == nil && !iotOn {
		return n.srv.Run(ctx, n.ln)
	}
	// Any listener failing stops the others.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.srv.Run(gctx, n.ln) })
	if n.metricsLn != nil {
		g.Go(func() error { return n.srv.RunMetrics(gctx, n.metricsLn) })
	}
	if n.gw != nil {
		g.Go(func() error { return n.srv.RunStreaming(gctx, n.gw.ln) }) // gateway.go
	}
	if iotOn {
		g.Go(func() error { return n.runIoT(gctx) }) // iot.go
	}
	return g.Wait()
}

// Close flushes key and password last-use times, closes the audit trail (flushed and
// signed) and the store, in that order. It is safe to call after a failed
// New and more than once.
func (n *Node) Close() error {
	var errs []error
	if n.authn != nil {
		if err := n.authn.FlushUses(context.Background()); err != nil {
			n.log.Warn("recording access key use", "err", err)
		}
	}
	if n.iamSvc != nil {
		if err := n.iamSvc.FlushPasswordUses(context.Background()); err != nil {
			n.log.Warn("recording password use", "err", err)
		}
	}
	if n.auditor != nil {
		if err := n.auditor.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the audit trail: %w", err))
		}
		n.auditor = nil
	}
	if n.indexer != nil {
		n.indexer.Close() // after the trail: its last batches are indexed
		n.indexer = nil
	}
	if n.events != nil {
		n.events.Close()
		n.events = nil
	}
	for i := len(n.closers) - 1; i >= 0; i-- {
		errs = append(errs, n.closers[i]())
	}
	n.closers = nil
	return errors.Join(errs...)
}

// OpenStore opens the configured store backend: for the server, and for
// the CLI commands that act on the same state.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	switch cfg.Store.Driver {
	case config.StoreSQLite:
		return sqlite.Open(ctx, sqlite.Config{Path: cfg.Store.Path, Now: time.Now})
	case config.StorePostgres:
		return postgres.Open(ctx, cfg.Store.DSN, postgres.Options{Now: time.Now})
	}
	return nil, fmt.Errorf("store %s: unknown store driver", cfg.Store)
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

`, boot.AccountID, boot.CredentialsPath, endpoint, absPath(boot.CredentialsPath), region, region)
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
