package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/broker"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/hosts"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/sts"
	"github.com/prometheus/client_golang/prometheus"
)

// wire builds the pipeline and everything on it, from the store up.
func (n *Node) wire(ctx context.Context) error {
	cfg, st, now := n.cfg, n.st, time.Now()
	if err := n.feed.start(ctx, st); err != nil { // follow.go
		return err
	}
	if err := n.revoked.Load(ctx, st.Revocations(), now); err != nil {
		return err
	}
	n.revoker = revocation.NewService(st)
	if err := n.loadRouteMap(); err != nil { // authzapi.go
		return err
	}
	var err error
	if n.authn, err = authn.New(ctx, authn.Config{
		Keys: st.Principals(), Changes: st.Changes(), Secrets: n.master, Tokens: n.boot.Tokens,
		Regions: cfg.Regions, Uses: st.AccessKeys(), Revoked: &n.revoked, Logger: n.log,
		ExtraServices: n.authzSigningNames(),
	}); err != nil {
		return err
	}
	if n.authz, err = authz.New(ctx, authz.Config{Store: st, MessageKey: n.boot.MessageKey, Region: cfg.Regions[0], PollInterval: authz.NoRequestPoll}); err != nil {
		return err
	}
	if err := n.openTrail(ctx); err != nil { // audit.go: the trail, and the issuance index behind it
		return err
	}
	p := &request.Pipeline{
		Authenticator: storeGate{next: portalAuthenticator{next: certAuthenticator{next: n.authn, n: n}, n: n}, down: &n.down}, // ssoportal.go, rolesanywhere.go
		Principals:    n.authz,                                                                                                 // a session whose user or role is gone is refused
		Authorizer:    n.authz,
		Committers:    []request.Committer{request.CommitFunc(n.syncAfterWrite)}, // commit.go
		Auditor:       n.auditor,
		Observers:     []request.Observer{request.ObserveFunc(server.Observe), request.ObserveFunc(n.count)},
		Logger:        n.log,
	}
	n.limitRequests(p)                            // limits.go
	if err := n.wireGateway(ctx, p); err != nil { // gateway.go
		return err
	}
	d, err := awsquery.New(awsquery.Config{Pipeline: p, MaxBodyBytes: cfg.MaxRequestBody, ErrorMappers: errorMappers(), Logger: n.log})
	if err != nil {
		return err
	}
	if n.rest, err = n.newRESTJSON(p); err != nil { // restjson.go
		return err
	}
	if err := n.registerServices(ctx, d); err != nil {
		return err
	}
	if err := n.newConsole(d, p); err != nil { // console.go
		return err
	}
	if err := n.wireIoT(p); err != nil { // iot.go
		return err
	}
	api, err := n.withLookup(withRESTJSON(d, n.rest), p) // audit.go
	if err != nil {
		return err
	}
	if api, err = n.withAuthzAPI(api, p); err != nil { // authzapi.go
		return err
	}
	return n.newServer(n.withConsole(n.withSignin(api))) // console.go, signin.go
}

// errorMappers map the domain errors of the services to Query wire errors.
func errorMappers() []awsquery.ErrorMapper {
	return []awsquery.ErrorMapper{broker.WireError, sts.WireError, iamservice.WireError, iamservice.ProviderWireError, revocation.WireError, hosts.WireError, assign.WireError, storeError}
}

// registerServices puts the STS, IAM and session actions on the
// dispatcher.
func (n *Node) registerServices(ctx context.Context, d *awsquery.Dispatcher) error {
	fed, fedCfg, err := newFederation(ctx, n.st, n.master, n.cfg, n.log) // federation.go
	if err != nil {
		return err
	}
	if err := n.newBroker(d, fed); err != nil { // broker.go
		return err
	}
	stsSvc, err := sts.New(sts.Config{Store: n.st, TokenKeys: n.boot.Tokens, Authz: n.authz, Secrets: n.master, Rand: rand.Reader,
		Region: n.cfg.Regions[0], Federation: fedCfg, Broker: n.broker,
		MFA: sts.MFALimits{MaxFailures: n.cfg.MFA.MaxFailures, Lockout: n.cfg.MFA.Lockout, MaxLockout: n.cfg.MFA.MaxLockout}})
	if err != nil {
		return err
	}
	fed.sts, n.fed = stsSvc, fed
	sts.Register(d, stsSvc)
	iamSvc, err := iamservice.New(iamservice.Config{Store: n.st, MasterKey: n.master, Rand: rand.Reader, Logger: n.log})
	if err != nil {
		return err
	}
	iamservice.Register(d, iamSvc)
	n.iamSvc = iamSvc
	revocation.Register(d, n.revoker, &n.revoked, n.st.Revocations(), n.flushIndex)
	if err := n.newHosts(d, stsSvc); err != nil { // hosts.go
		return err
	}
	if err := n.newAssignments(d); err != nil { // ssoportal.go
		return err
	}
	if err := n.newSSO(); err != nil { // sso.go
		return err
	}
	if err := n.newSSOPortal(stsSvc); err != nil { // ssoportal.go
		return err
	}
	if err := n.newSignin(iamSvc, stsSvc); err != nil { // signin.go
		return err
	}
	if err := n.newIdentityPools(stsSvc, fed.poolTokens); err != nil { // identitypool.go
		return err
	}
	return n.newRolesAnywhere(stsSvc) // rolesanywhere.go
}

// newServer puts the API behind the server's middleware.
func (n *Node) newServer(api http.Handler) error {
	cfg, b := n.cfg, ReadBuild()
	opts := []server.Option{
		server.WithAPI(countInFlight(n.fed.handler(api), &n.inFlight)), // the OIDC issuer's endpoints; federation.go
		server.WithLogger(n.log),
		server.WithReadyCheck("store", func(ctx context.Context) error { _, err := n.st.Changes().Latest(ctx); return err }),
		server.WithReadyCheck("audit", func(context.Context) error { return n.auditor.Ready() }),
		server.WithReadyWarning("audit-disk", func(context.Context) error { return n.auditor.CheckDisk() }),
		server.WithCollectors(n.collectors()...), // audit.go
		server.WithCollectors(mfaCollectors(n.fed.sts)...),
		server.WithCollectors(n.cacheCollectors()...),  // cachemetrics.go
		server.WithCollectors(n.brokerCollectors()...), // broker.go
		server.WithBuildInfo(b.Version, b.Revision, b.GoVersion),
	}
	if n.opts.AccessLog != nil && cfg.Log.Format == config.LogJSON {
		opts = append(opts, server.WithJSONAccessLog(n.opts.AccessLog))
	}
	token, err := readMetricsToken(cfg.Metrics.BearerTokenFile)
	if err != nil {
		return err
	}
	sc := server.Config{
		MaxRequestBody: cfg.MaxRequestBody, ShutdownGrace: cfg.ShutdownGrace,
		MetricsToken: token, SeparateMetrics: cfg.Metrics.Listen != "",
		MaxConnections: cfg.Limits.MaxConnections, MaxInFlight: cfg.Limits.MaxInFlight, BodyMemory: cfg.Limits.BodyMemory,
		MaxConnectionsPerSource: cfg.Limits.MaxConnectionsPerSource, MaxInFlightPerSource: cfg.Limits.MaxInFlightPerSource,
	}
	serverTLS(cfg, &sc) // tls.go
	opts = append(opts, n.authzServerOptions()...)
	opts = append(opts, n.gatewayServerOption()...) // gateway.go
	opts = append(opts, n.iotServerOption()...)     // iot.go
	opts = append(opts, n.restServerOption()...)    // restjson.go
	n.srv, err = server.New(sc, append(opts, n.limitCollectors()...)...)
	return err
}

// mfaCollectors are the metrics of the MFA throttle (docs/sts.md#mfa).
func mfaCollectors(s *sts.Service) []prometheus.Collector {
	return []prometheus.Collector{
		counterFunc("brevet_mfa_failures_total", "MFA codes checked and refused: wrong, or already used.",
			func() uint64 { return s.MFAStats().Failures }),
		counterFunc("brevet_mfa_refused_total", "MFA attempts refused, their codes unchecked, during a lockout.",
			func() uint64 { return s.MFAStats().Refused }),
		counterFunc("brevet_mfa_lockouts_total", "MFA lockouts started (a device and its user locked out after too many failed codes).",
			func() uint64 { return s.MFAStats().Lockouts }),
	}
}

// readMetricsToken reads the bearer token /metrics requires, "" when no
// file is configured. White space around it is dropped; an empty file is
// an error, never a token that anyone matches.
func readMetricsToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("metrics bearer token: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("metrics bearer token: %s is empty", path)
	}
	return token, nil
}

// countInFlight counts the requests next is serving in n.
func countInFlight(next http.Handler, n interface{ Add(int64) int64 }) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		defer n.Add(-1)
		next.ServeHTTP(w, r)
	})
}
