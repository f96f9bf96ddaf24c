package authzapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/brevet-dev/brevet/internal/request"
)

// RegisterGRPC puts Envoy's ext_authz service
// (envoy.service.auth.v3.Authorization) on s.
func (c *Checker) RegisterGRPC(s *grpc.Server) {
	authv3.RegisterAuthorizationServer(s, &grpcServer{c: c})
}

type grpcServer struct {
	authv3.UnimplementedAuthorizationServer
	c *Checker
}

// Check answers one ext_authz check. It never returns a gRPC error: a
// check Brevet cannot answer is a denial (503), so that no Envoy
// failure_mode_allow setting lets a request through on Brevet's
// account.
func (g *grpcServer) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	env := &http.Request{Method: "POST", URL: &url.URL{Path: "/envoy.service.auth.v3.Authorization/Check"}, Header: http.Header{}, Host: "ext_authz"}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		env.RemoteAddr = p.Addr.String()
	}
	env = env.WithContext(ctx)
	res := g.c.Check(ctx, env, ProtocolEnvoyGRPC, func() (*Original, error) { return g.c.original(req) })
	if res.Allowed {
		ok := &authv3.OkHttpResponse{HeadersToRemove: res.Remove}
		for _, h := range res.Headers {
			ok.Headers = append(ok.Headers, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: strings.ToLower(h.Name), Value: h.Value},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
			})
		}
		return &authv3.CheckResponse{Status: &status.Status{Code: int32(code.Code_OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok}}, nil
	}
	rpc := code.Code_PERMISSION_DENIED
	if res.Status == http.StatusUnauthorized {
		rpc = code.Code_UNAUTHENTICATED
	}
	headers := []*corev3.HeaderValueOption{
		{Header: &corev3.HeaderValue{Key: "content-type", Value: "application/json"}},
		{Header: &corev3.HeaderValue{Key: strings.ToLower(HeaderErrorCode), Value: res.Code}},
		{Header: &corev3.HeaderValue{Key: strings.ToLower(HeaderRequestID), Value: res.RequestID}},
	}
	if res.RetryAfter > 0 {
		headers = append(headers, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "retry-after",
			Value: request.RetryAfterSeconds(res.RetryAfter)}})
	}
	return &authv3.CheckResponse{
		Status: &status.Status{Code: int32(rpc), Message: res.Code},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: typev3.StatusCode(res.Status)}, Headers: headers, Body: string(res.errorJSON()),
		}},
	}, nil
}

// original reads the checked request out of Envoy's attributes.
func (c *Checker) original(req *authv3.CheckRequest) (*Original, error) {
	a := req.GetAttributes()
	hr := a.GetRequest().GetHttp()
	if hr == nil {
		return nil, malformed("the check request carries no HTTP request attributes")
	}
	path, query, _ := strings.Cut(hr.GetPath(), "?")
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	o := &Original{Method: hr.GetMethod(), Path: path, RawQuery: query, Host: hr.GetHost(),
		Secure: hr.GetScheme() == "https", Header: http.Header{}}
	n := len(hr.GetHeaders())
	if raw := hr.GetHeaderMap().GetHeaders(); len(raw) > 0 {
		n = len(raw)
	}
	if n > c.cfg.MaxHeaders {
		return nil, malformed("the request has more than %d header fields", c.cfg.MaxHeaders)
	}
	for k, v := range hr.GetHeaders() {
		addHeader(o.Header, k, v)
	}
	for _, h := range hr.GetHeaderMap().GetHeaders() {
		v := h.GetValue()
		if v == "" {
			v = string(h.GetRawValue())
		}
		addHeader(o.Header, h.GetKey(), v)
	}
	o.SourceIP = a.GetSource().GetAddress().GetSocketAddress().GetAddress() // checked as every protocol's
	return o, nil
}

// addHeader adds an Envoy header, leaving out pseudo-headers (:path,
// :authority: the attributes carry them).
func addHeader(h http.Header, k, v string) {
	if k == "" || k[0] == ':' {
		return
	}
	ck := http.CanonicalHeaderKey(k)
	h[ck] = append(h[ck], v)
}
