package node

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/bucketpolicy"
	"github.com/brevet-dev/brevet/internal/s3/gateway"
	"github.com/brevet-dev/brevet/internal/s3wire"
	"github.com/brevet-dev/brevet/internal/server"
	"github.com/brevet-dev/brevet/internal/store"
)

// s3Gateway is the node's S3 gateway (docs/gateway.md): its handler, the
// bucket policies it enforces, and its listener.
type s3Gateway struct {
	handler  http.Handler
	policies *bucketpolicy.Service
	ln       net.Listener
	url      string
}

// wireGateway builds the S3 gateway on the node's pipeline p when the
// config enables it: the backends with their secrets (sealed into the
// store, or opened from it), the bucket policies, and the handler the
// server's streaming listener serves.
func (n *Node) wireGateway(ctx context.Context, p *request.Pipeline) error {
	gc := n.cfg.Gateway.S3
	if !gc.Enabled() {
		return nil
	}
	backends := make([]gateway.Backend, 0, len(gc.Backends))
	for _, b := range gc.Backends {
		gb, err := n.gatewayBackend(ctx, b)
		if err != nil {
			return err
		}
		backends = append(backends, gb)
	}
	policies, err := bucketpolicy.New(bucketpolicy.Config{Store: n.st, Resolver: n.st, Account: n.boot.AccountID, Logger: n.log})
	if err != nil {
		return err
	}
	// The gateway's pipeline is the node's with two differences. Its
	// requests are counted in flight until their audit event is written,
	// not while their bodies stream afterwards: the trail's group commit
	// waits for the callers on their way to it. And an S3 write changes
	// the backend, not Brevet's store: it needs no store to be up (no
	// storeGate) and no cache sync after it; the bucket-policy operations,
	// the only ones that write the store, update the policy cache
	// themselves and reach other nodes through the change feed.
	gp := *p
	gp.Authenticator = n.authn
	gp.Committers = nil
	gp.Auditor = countedAuditor{next: p.Auditor}
	g, err := gateway.New(gateway.Config{
		Pipeline: &gp, Domains: gc.Domains, Backends: backends, Policies: policies,
		Account: n.boot.AccountID, Logger: n.log,
	})
	if err != nil {
		return err
	}
	n.gw = &s3Gateway{handler: countUntilAudited(g, &n.inFlight), policies: policies}
	return nil
}

// gatewayBackend is b ready for the gateway, with its secret.
func (n *Node) gatewayBackend(ctx context.Context, b config.S3Backend) (gateway.Backend, error) {
	given := b.SecretAccessKey.Reveal()
	if b.SecretAccessKeyFile != "" {
		data, err := os.ReadFile(b.SecretAccessKeyFile)
		if err != nil {
			return gateway.Backend{}, fmt.Errorf("S3 backend %s: reading its secret: %w", b.Name, err)
		}
		if given = strings.TrimSpace(string(data)); given == "" {
			return gateway.Backend{}, fmt.Errorf("S3 backend %s: %s is empty", b.Name, b.SecretAccessKeyFile)
		}
	}
	secret, err := bootstrap.S3BackendSecret(ctx, n.st, n.master, b.Name, b.AccessKeyID, given, time.Now())
	if err != nil {
		return gateway.Backend{}, err
	}
	u, err := url.Parse(b.Endpoint) // config checked it
	if err != nil {
		return gateway.Backend{}, fmt.Errorf("S3 backend %s: %w", b.Name, err)
	}
	return gateway.Backend{
		Name: b.Name, Endpoint: u, Region: b.Region, Buckets: b.Buckets, VirtualHosted: b.VirtualHosted,
		Credentials: aws.Credentials{AccessKeyID: b.AccessKeyID, SecretAccessKey: secret, Source: "brevet"},
	}, nil
}

// gatewayServerOption puts the gateway on the server's streaming listener.
func (n *Node) gatewayServerOption() []server.Option {
	if n.gw == nil {
		return nil
	}
	return []server.Option{server.WithStreaming("s3", n.gw.handler, writeS3ServerError)}
}

// writeS3ServerError writes the errors the server raises itself (an
// overload refusal, a panic) as S3 does: SlowDown for an overload, which
// the SDKs retry, and InternalError for a bug.
func writeS3ServerError(w http.ResponseWriter, ctx context.Context, e *awsquery.Error) {
	code := s3wire.CodeInternalError
	if e.Code.Status == http.StatusServiceUnavailable {
		code = s3wire.CodeSlowDown
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", request.RetryAfterSeconds(e.RetryAfter))
	}
	s3wire.WriteError(w, "", s3wire.IDs{RequestID: request.IDFromContext(ctx)}, code.New(code.Message))
}

// listenGateway binds the gateway's listener.
func (n *Node) listenGateway(ctx context.Context) error {
	if n.gw == nil {
		return nil
	}
	ln, err := n.bind(n.cfg.Gateway.S3.Listen)
	if err != nil {
		return fmt.Errorf("S3 gateway listener: %w", err)
	}
	n.gw.ln, n.gw.url = ln, n.scheme()+"://"+ln.Addr().String()
	n.log.InfoContext(ctx, "S3 gateway listening", "url", n.gw.url, "backends", len(n.cfg.Gateway.S3.Backends))
	return nil
}

// S3URL is the S3 gateway's base URL, "" without a gateway.
func (n *Node) S3URL() string {
	if n.gw == nil {
		return ""
	}
	return n.gw.url
}

// applyGateway drops the bucket policies that changed from the gateway's
// cache.
func (n *Node) applyGateway(changes []store.Change) {
	if n.gw != nil {
		n.gw.policies.Apply(changes)
	}
}

// auditedKey marks, in a gateway request's context, whether its audit
// event was written.
type auditedKey struct{}

// countUntilAudited counts a gateway request in n from its start until its
// audit event is written (countedAuditor), or until it ends if it never
// reaches the audit.
func countUntilAudited(next http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := &auditedFlag{n: n}
		n.Add(1)
		defer done.release()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), auditedKey{}, done)))
	})
}

// auditedFlag releases its request's count once.
type auditedFlag struct {
	n    *atomic.Int64
	done atomic.Bool
}

func (f *auditedFlag) release() {
	if f.done.CompareAndSwap(false, true) {
		f.n.Add(-1)
	}
}

// countedAuditor releases the request's in-flight count as soon as its
// event is written.
type countedAuditor struct{ next request.Auditor }

func (a countedAuditor) Audit(ctx context.Context, rec *request.Record) error {
	err := a.next.Audit(ctx, rec)
	if f, ok := ctx.Value(auditedKey{}).(*auditedFlag); ok {
		f.release()
	}
	return err
}
