package node

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/brevet-dev/brevet/internal/authzapi"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/server"
)

// authzAPI is the node's authorization API for other services
// (docs/authorization-api.md): the route map, the checker on the
// pipeline, and the gRPC ext_authz listener when one is configured.
type authzAPI struct {
	routes  *authzapi.Map
	checker *authzapi.Checker
	ln      net.Listener // nil without authz_api.grpc_listen
}

// loadRouteMap reads and validates the route map, before the
// Authenticator is built: it verifies SigV4 for the map's signing names.
func (n *Node) loadRouteMap() error {
	a := n.cfg.AuthzAPI
	if !a.Enabled() {
		return nil
	}
	data, from := a.Services, "authz_api.services"
	if a.RouteMap != "" {
		f, err := os.Open(a.RouteMap)
		if err != nil {
			return fmt.Errorf("authz_api.route_map: %w", err)
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, authzapi.MaxRouteMapBytes+1)); err != nil {
			return fmt.Errorf("authz_api.route_map: %w", err)
		}
		from = "authz_api.route_map " + a.RouteMap
	}
	m, err := authzapi.ParseRouteMap(data, authzapi.Defaults{Account: n.boot.AccountID, Region: n.cfg.Regions[0]})
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	n.authzAPI = &authzAPI{routes: m}
	return nil
}

// authzSigningNames are the SigV4 service names of the route map's
// services, for the Authenticator.
func (n *Node) authzSigningNames() []string {
	if n.authzAPI == nil {
		return nil
	}
	return n.authzAPI.routes.SigningNames()
}

// withAuthzAPI serves the authorization API's HTTP endpoints under
// /authz/ and everything else with api; both drive the pipeline p. It
// binds the gRPC listener, which Run serves.
func (n *Node) withAuthzAPI(api http.Handler, p *request.Pipeline) (http.Handler, error) {
	a := n.authzAPI
	if a == nil {
		return api, nil
	}
	var err error
	a.checker, err = authzapi.New(authzapi.Config{Map: a.routes, Pipeline: p, Bearer: n.bearerVerifier(), MapError: authzWireError, Logger: n.log})
	if err != nil {
		return nil, err
	}
	if addr := n.cfg.AuthzAPI.GRPCListen; addr != "" {
		if a.ln, err = n.bind(addr); err != nil {
			return nil, fmt.Errorf("authz_api.grpc_listen: %w", err)
		}
	}
	h := a.checker.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, authzapi.PathPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}), nil
}

// authzServerOptions let the checked requests' methods and paths reach
// the authorization API as sent.
func (n *Node) authzServerOptions() []server.Option {
	if n.authzAPI == nil {
		return nil
	}
	return []server.Option{server.WithRawPrefix(authzapi.PathPrefix)}
}

// authzWireError words the pipeline's other errors (the store down, a
// session whose principal is gone) as the Query protocol does.
func authzWireError(err error) *authzapi.WireError {
	wire, unmapped := awsquery.ToWire(err, errorMappers()...)
	if unmapped {
		return nil
	}
	return &authzapi.WireError{Status: wire.Code.Status, Code: wire.Code.Name, Message: wire.Message}
}

// AuthzGRPCAddr is the address of the gRPC ext_authz listener, "" when
// none is configured.
func (n *Node) AuthzGRPCAddr() string {
	if n.authzAPI == nil || n.authzAPI.ln == nil {
		return ""
	}
	return n.authzAPI.ln.Addr().String()
}

// authzGRPCCall wraps every gRPC check: it counts as a request in flight
// (the audit trail's group commit waits for those), and a panic outside
// the pipeline (which recovers its own) is logged and answered as the
// protocol's internal error instead of taking the process down.
func (n *Node) authzGRPCCall(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	n.inFlight.Add(1)
	defer n.inFlight.Add(-1)
	defer func() {
		if v := recover(); v != nil {
			n.log.ErrorContext(ctx, "panic in a gRPC check", "method", info.FullMethod, "panic", v, "stack", string(debug.Stack()))
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	return handler(ctx, req)
}

// serveAuthzGRPC serves Envoy's gRPC ext_authz until ctx ends, with the
// API's TLS settings; requests in flight then get the shutdown grace.
func (n *Node) serveAuthzGRPC(ctx context.Context) {
	if n.authzAPI == nil || n.authzAPI.ln == nil {
		return
	}
	var opts []grpc.ServerOption
	if tc := n.srv.TLSConfig(); tc != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	opts = append(opts, grpc.MaxRecvMsgSize(1<<20), grpc.MaxConcurrentStreams(1024), grpc.UnaryInterceptor(n.authzGRPCCall))
	s := grpc.NewServer(opts...)
	n.authzAPI.checker.RegisterGRPC(s)
	done := make(chan error, 1)
	go func() { done <- s.Serve(n.authzAPI.ln) }()
	n.log.InfoContext(ctx, "serving", "listener", "authz-grpc", "addr", n.authzAPI.ln.Addr().String())
	select {
	case err := <-done:
		if err != nil {
			n.log.ErrorContext(ctx, "the gRPC ext_authz listener stopped", "err", err)
		}
		return
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { s.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(n.cfg.ShutdownGrace):
		s.Stop()
	}
}
