package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3wire"
)

// Backend is one S3-compatible store behind the gateway.
type Backend struct {
	Name string
	// Endpoint is the store's base URL, http(s)://host:port.
	Endpoint *url.URL
	// Region is the region requests to the store are signed for.
	Region string
	// Credentials are the store's own key; never logged.
	Credentials aws.Credentials
	// Buckets are the bucket name patterns the store serves (path.Match
	// syntax, "*" for all). The first backend with a matching pattern
	// serves a bucket.
	Buckets []string
	// VirtualHosted addresses the store as bucket.host; the default is
	// path-style (MinIO, moto, Ceph).
	VirtualHosted bool
}

// BucketPolicies holds the bucket policies the gateway enforces
// (s3/bucketpolicy implements it).
type BucketPolicies interface {
	Put(ctx context.Context, bucket, doc string, now time.Time) error
	Get(ctx context.Context, bucket string) (string, error)
	Delete(ctx context.Context, bucket string) error
	Status(ctx context.Context, bucket string) (public bool, err error)
	// Compiled returns the bucket's policy, nil when it has none.
	Compiled(ctx context.Context, bucket string) (*policy.Compiled, error)
}

// Config configures a Gateway.
type Config struct {
	Pipeline *request.Pipeline
	// Domains are the base domains of virtual-hosted addressing.
	Domains  []string
	Backends []Backend
	// Transport carries requests to the backends; nil means a tuned
	// *http.Transport.
	Transport http.RoundTripper
	Policies  BucketPolicies
	// Account owns the buckets: the resource account of every
	// authorization and the owner in listings.
	Account string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Gateway serves the S3 API in front of its backends. It is safe for
// concurrent use.
type Gateway struct {
	cfg      Config
	resolver *s3wire.Resolver
	backends []*backend
	rt       http.RoundTripper
	log      *slog.Logger

	opsMu sync.RWMutex
	ops   map[opKey]*request.Operation
}

// backend is a Backend ready to sign for.
type backend struct {
	Backend
	signer *v4.Signer
}

type opKey struct{ name, action string }

// New checks cfg and returns a Gateway.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.Pipeline.Check(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if cfg.Policies == nil {
		return nil, errors.New("gateway: Policies is required")
	}
	if cfg.Account == "" {
		return nil, errors.New("gateway: Account is required")
	}
	if len(cfg.Backends) == 0 {
		return nil, errors.New("gateway: at least one backend is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	res, err := s3wire.NewResolver(cfg.Domains)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g := &Gateway{cfg: cfg, resolver: res, rt: cfg.Transport, log: cfg.Logger, ops: map[opKey]*request.Operation{}}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.rt == nil {
		g.rt = NewTransport()
	}
	for i, b := range cfg.Backends {
		if err := checkBackend(&b); err != nil {
			return nil, fmt.Errorf("gateway: backend %d (%s): %w", i, b.Name, err)
		}
		g.backends = append(g.backends, &backend{Backend: b, signer: v4.NewSigner(func(o *v4.SignerOptions) {
			o.DisableURIPathEscaping = true // S3 signs the path as sent
		})})
	}
	return g, nil
}

func checkBackend(b *Backend) error {
	if b.Endpoint == nil || (b.Endpoint.Scheme != "http" && b.Endpoint.Scheme != "https") || b.Endpoint.Host == "" {
		return errors.New("the endpoint must be an http or https URL with a host")
	}
	if b.Endpoint.Path != "" && b.Endpoint.Path != "/" {
		return errors.New("the endpoint must not have a path")
	}
	if b.Region == "" {
		b.Region = "us-east-1"
	}
	if b.Credentials.AccessKeyID == "" || b.Credentials.SecretAccessKey == "" {
		return errors.New("the backend needs credentials")
	}
	if len(b.Buckets) == 0 {
		return errors.New("the backend serves no bucket (Buckets is empty)")
	}
	for _, p := range b.Buckets {
		if _, err := path.Match(p, "x"); err != nil {
			return fmt.Errorf("bucket pattern %q: %w", p, err)
		}
	}
	return nil
}

// NewTransport returns the transport the gateway uses by default: many
// idle connections per backend, no transparent decompression (bodies pass
// through as the store sent them), 64 KiB socket buffers.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// A backend that takes the request and never answers frees the
		// request after this long (S3 starts answering even a long
		// CompleteMultipartUpload at once).
		ResponseHeaderTimeout: 5 * time.Minute,
		DisableCompression:    true,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
		ForceAttemptHTTP2:     false,
	}
}

// backendFor returns the backend serving bucket, or nil.
func (g *Gateway) backendFor(bucket string) *backend {
	for _, b := range g.backends {
		if b.serves(bucket) {
			return b
		}
	}
	return nil
}

func (b *backend) serves(bucket string) bool {
	for _, p := range b.Buckets {
		if ok, _ := path.Match(p, bucket); ok {
			return true
		}
	}
	return false
}

// operation returns the shared Operation for an S3 operation whose first
// authorization is action.
func (g *Gateway) operation(name, action, method string) *request.Operation {
	k := opKey{name, action}
	g.opsMu.RLock()
	op := g.ops[k]
	g.opsMu.RUnlock()
	if op != nil {
		return op
	}
	g.opsMu.Lock()
	defer g.opsMu.Unlock()
	if op = g.ops[k]; op != nil {
		return op
	}
	if action == "" {
		action = "s3:" + name
	}
	effect := request.Writes
	if method == http.MethodGet || method == http.MethodHead {
		effect = request.ReadOnly
	}
	op = &request.Operation{Service: "s3", Version: "2006-03-01", Name: name, Action: action, Unsigned: true, Effect: effect}
	g.ops[k] = op
	return op
}

// ServeHTTP serves one S3 request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c := &call{g: g}
	id := request.IDFromContext(ctx)
	if id == "" {
		id = request.NewID()
	}
	c.Begin(r, id, g.cfg.Now())
	c.hostID = hostID(id)
	err := g.cfg.Pipeline.Run(ctx, &c.Exchange, c)
	defer c.close()
	c.respond(ctx, w, err)
}

// hostID is the x-amz-id-2 of a request: derived from its id, so that it
// costs no randomness and still differs for every request.
func hostID(id string) string {
	return strings.ReplaceAll(id, "-", "")
}
