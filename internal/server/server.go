package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxRequestBody = 1 << 20
	// DefaultReadHeaderTimeout bounds how long a client may take to send
	// its headers: the slow-loris defence.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading the whole request; a 1 MiB body
	// needs far less on any working link.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds a whole exchange from the end of the
	// headers; it must exceed the slowest action (a web identity
	// federation call that fetches the provider's keys).
	DefaultWriteTimeout = 60 * time.Second
	// DefaultIdleTimeout is how long a keep-alive connection may idle.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderBytes bounds the request line and headers. AWS
	// Query GET requests carry their parameters in the URL; the largest
	// realistic one (a web identity token of up to 20,000 characters,
	// percent-encoded) fits.
	DefaultMaxHeaderBytes = 64 << 10
	// readyCheckTimeout bounds each ReadyCheck, so a hung dependency makes
	// /readyz fail rather than hang the probe.
	readyCheckTimeout = 5 * time.Second
)

// aeadSuites are the TLS 1.2 cipher suites the server accepts: ECDHE key
// exchange with an AEAD cipher (AES-GCM, ChaCha20-Poly1305), as Mozilla's
// "intermediate" profile. Go's defaults also offer CBC suites with SHA-1
// MACs to TLS 1.2 clients; every client that speaks TLS 1.2 supports one
// of these. TLS 1.3 suites are AEAD only and not configurable.
func aeadSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// Config is what the server needs from the runtime configuration. Zero
// fields take the defaults above, except ShutdownGrace, where zero means
// stop at once.
type Config struct {
	// MaxRequestBody is the largest API request body accepted, in bytes.
	MaxRequestBody int64
	// ShutdownGrace is how long in-flight requests may run once the
	// context given to Run is cancelled.
	ShutdownGrace time.Duration
	// TLSCertFile and TLSKeyFile are PEM files; both empty means plain
	// HTTP. (internal/config refuses plain HTTP off loopback.)
	TLSCertFile, TLSKeyFile string
	// TLSExtraCertificates are served beside the main pair to clients
	// whose server name (SNI) they cover and the main certificate does
	// not (tls.go); they are reloaded with it.
	TLSExtraCertificates []CertFiles
	// TLSClientCAFile is a PEM file of the CAs that client certificates
	// are verified against, and TLSClientAuth says whether they are asked
	// for (tls.go). Both are reloaded with the certificate.
	TLSClientCAFile string
	TLSClientAuth   ClientAuth
	// CORSAllowedOrigins are the browser origins allowed to call the API,
	// the OIDC discovery endpoints and the streaming listener (the S3
	// gateway) (cors.go); none means no CORS.
	CORSAllowedOrigins []string

	// MetricsToken, when not empty, is the bearer token /metrics
	// requires ("Authorization: Bearer <token>"); a request without it is
	// answered 401.
	MetricsToken string
	// SeparateMetrics keeps /metrics off the API's listener: RunMetrics
	// serves it on a listener of its own.
	SeparateMetrics bool

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration

	// MaxConnections bounds the connections open on the API listener;
	// more are closed as soon as they are accepted. MaxInFlight bounds the
	// API requests being read or served; more are answered 503.
	// BodyMemory bounds the bytes of request bodies held at once; a
	// request that would take more is answered 503.
	// MaxConnectionsPerSource and MaxInFlightPerSource bound the
	// connections and requests of one source address (an IPv4 address,
	// or an IPv6 address's /64) in the same ways. Zero or less is no
	// bound (limits.go).
	MaxConnections, MaxInFlight                   int
	MaxConnectionsPerSource, MaxInFlightPerSource int
	BodyMemory                                    int64
}

// ReadyCheck reports whether a dependency (the store, the audit sink) can
// serve: nil when it can. It is called on every /readyz probe, with a
// deadline.
type ReadyCheck func(ctx context.Context) error

type namedCheck struct {
	name  string
	check ReadyCheck
	warn  bool // WithReadyWarning: reported, not failing
}

// Option configures a Server.
type Option func(*Server)

// WithAPI sets the AWS API handler (the awsquery Dispatcher), served at
// "/" for POST and GET. Required.
func WithAPI(h http.Handler) Option { return func(s *Server) { s.api = h } }

// WithRawPrefix serves requests whose path starts with prefix with the
// API handler (behind the same limits), whatever their method, and
// without the router's path cleaning: the authorization API checks
// requests to other services, whose methods and paths (dot segments
// included) are the checked request's and must reach its codec as sent,
// never be redirected to a cleaned path.
func WithRawPrefix(prefix string) Option {
	return func(s *Server) { s.rawPrefixes = append(s.rawPrefixes, prefix) }
}

// WithAPIErrorWriter has errw pick, for each request to the API handler,
// the protocol in which the server writes its own errors (a body over
// the limit, an overload refusal, a panic): a REST-JSON service's
// request wants them as its SDK reads them, not in the Query protocol's
// XML. errw returns nil for the requests awsquery's envelope suits.
func WithAPIErrorWriter(errw func(*http.Request) ErrorWriter) Option {
	return func(s *Server) { s.apiErrw = errw }
}

// WithLogger sets the logger for the access log and the server's own
// messages. Its handler is wrapped with NewLogHandler. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithRegistry sets the Prometheus registry the metrics are registered
// with and /metrics serves. Default: a new registry with the Go and process
// collectors.
func WithRegistry(r *prometheus.Registry) Option { return func(s *Server) { s.reg = r } }

// WithCollectors adds metrics other components keep (for example the audit
// sink's spool) to those served at /metrics.
func WithCollectors(cs ...prometheus.Collector) Option {
	return func(s *Server) { s.extra = append(s.extra, cs...) }
}

// WithBuildInfo adds the gauge brevet_build_info{version,revision,goversion},
// always 1, so that dashboards can tell which build each node runs.
func WithBuildInfo(version, revision, goVersion string) Option {
	return func(s *Server) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "brevet_build_info",
			Help:        "Always 1; the labels name the running build: its module version, commit and Go toolchain.",
			ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
		})
		g.Set(1)
		s.extra = append(s.extra, g)
	}
}

// WithReadyCheck adds a check to /readyz under name, which /readyz reports
// when the check fails.
func WithReadyCheck(name string, check ReadyCheck) Option {
	return func(s *Server) { s.checks = append(s.checks, namedCheck{name: name, check: check}) }
}

// Server is Brevet's HTTP server. Build it with New and start it with Run.
type Server struct {
	cfg     Config
	api     http.Handler
	log     *slog.Logger
	reg     *prometheus.Registry
	checks  []namedCheck
	extra   []prometheus.Collector
	metrics *Metrics
	tls     *tls.Config
	certs   *certReloader // nil for plain HTTP; tls.go
	handler http.Handler
	// metricsHandler serves /metrics alone, for RunMetrics.
	metricsHandler http.Handler
	started        atomic.Bool
	metricsStarted atomic.Bool

	// stream is the streaming listener's handler, nil without one
	// (stream.go).
	stream        *streamListener
	streamStarted atomic.Bool

	// certLn is the client-certificate listener, nil without one
	// (mtls.go).
	certLn        *certListener
	certLnStarted atomic.Bool

	// accessJSON, when set, receives the access log's lines directly
	// (WithJSONAccessLog).
	accessJSON io.Writer

	limits limits // limits.go

	// rawPrefixes are the paths the API serves whatever the method,
	// unrouted (WithRawPrefix).
	rawPrefixes []string
	// apiErrw picks the protocol of the server's own errors for an API
	// request (WithAPIErrorWriter); nil: awsquery's for all.
	apiErrw func(*http.Request) ErrorWriter
}

// New builds a server. It loads the TLS certificate, so a bad certificate
// is an error here rather than on the first connection.
func New(cfg Config, opts ...Option) (*Server, error) {
	s := &Server{cfg: withDefaults(cfg)}
	for _, o := range opts {
		o(s)
	}
	if s.api == nil {
		return nil, errors.New("server: no API handler; pass WithAPI")
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = slog.New(NewLogHandler(s.log.Handler()))
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	var err error
	if s.metrics, err = NewMetrics(s.reg); err != nil {
		return nil, err
	}
	if err := s.newLimits(); err != nil {
		return nil, err
	}
	if err := registerAll(s.reg, s.extra); err != nil {
		return nil, err
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("server: TLS needs both a certificate and a key file")
	}
	if cfg.TLSCertFile != "" {
		if s.certs, err = newCertReloader(s.cfg, s.log, time.Now); err != nil {
			return nil, err
		}
		if err := registerAll(s.reg, s.certs.collectors()); err != nil {
			return nil, err
		}
		s.tls = s.certs.config()
	}
	s.handler, s.metricsHandler = s.routes()
	if s.stream != nil {
		// Outermost: a refused upload's draining (drain.go) happens after
		// its answer is sent, logged and measured.
		h := s.stream.wrap(s.limitInFlight(s.stream.h))
		if c := newCORS(s.cfg.CORSAllowedOrigins); c != nil { // cors.go: browser apps reading and writing objects
			c.s3 = true
			h = c.streaming(h)
		}
		s.stream.handler = s.stream.drainer.wrap(s.instrument(h))
	}
	if err := s.newCertListener(); err != nil { // mtls.go
		return nil, err
	}
	return s, nil
}

func registerAll(reg prometheus.Registerer, cs []prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("server: registering metrics: %w", err)
		}
	}
	return nil
}

func withDefaults(c Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.MaxRequestBody <= 0 {
		c.MaxRequestBody = DefaultMaxRequestBody
	}
	def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	return c
}

// Metrics returns the server's metrics, for the packages that count
// credentials issued and denials.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handler returns the routed handler with all middleware, for tests and
// for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// TLSConfig is a copy of the configuration the API's listener serves TLS
// with (its certificate reloaded as the files change), for another
// listener that must speak it (the authorization API's gRPC); nil for
// plain HTTP.
func (s *Server) TLSConfig() *tls.Config { return s.tls.Clone() }

// routes returns the API listener's handler and the metrics listener's.
// /metrics is on one of them, as Config.SeparateMetrics says.
func (s *Server) routes() (api, metrics http.Handler) {
	metricsMux := http.NewServeMux()
	metricsMux.Handle("GET /metrics", s.requireMetricsToken(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		Registry: s.reg,
	})))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	if !s.cfg.SeparateMetrics {
		mux.Handle("GET /metrics", metricsMux)
	}
	limited := s.apiErrors(s.limitInFlight(s.limitBody(s.api)))
	if c := newCORS(s.cfg.CORSAllowedOrigins); c != nil { // cors.go
		limited = c.wrap(limited)
		mux.HandleFunc("OPTIONS /", c.preflight)
	}
	mux.Handle("POST /", limited)
	mux.Handle("GET /", limited)
	// The REST-JSON services (IoT, Roles Anywhere) update and delete
	// with these methods, on paths of their own; the API handler routes
	// them. The Query protocol's / takes only GET and POST.
	restOnly := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		limited.ServeHTTP(w, r)
	})
	mux.Handle("PUT /", restOnly)
	mux.Handle("PATCH /", restOnly)
	mux.Handle("DELETE /", restOnly)
	if len(s.rawPrefixes) == 0 {
		return s.instrument(mux), s.instrument(metricsMux)
	}
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range s.rawPrefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				limited.ServeHTTP(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
	return s.instrument(routed), s.instrument(metricsMux)
}

// apiErrors sets, for the requests apiErrw picks a writer for, the
// protocol the server's own errors are written in.
func (s *Server) apiErrors(next http.Handler) http.Handler {
	if s.apiErrw == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			if errw := s.apiErrw(r); errw != nil {
				info.errw = errw
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Run serves the API on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish for up to
// ShutdownGrace, then closes what is left. It returns nil after a clean
// shutdown, and an error when serving fails or requests were cut off. Run
// can be called once.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("server: Run called twice")
	}
	return s.serve(ctx, s.limitConnections(ln), s.handler, "api", s.apiTimeouts(), s.tls)
}

// RunMetrics serves /metrics alone on ln, with the API's TLS settings,
// as Run serves the API. Use it with Config.SeparateMetrics, which takes
// /metrics off the API's listener. It can be called once.
func (s *Server) RunMetrics(ctx context.Context, ln net.Listener) error {
	if !s.metricsStarted.CompareAndSwap(false, true) {
		return errors.New("server: RunMetrics called twice")
	}
	return s.serve(ctx, ln, s.metricsHandler, "metrics", s.apiTimeouts(), s.tls)
}

// serve runs one http.Server with handler on ln until ctx is cancelled,
// over TLS with tlsCfg unless it is nil; listener names it in the log.
func (s *Server) serve(ctx context.Context, ln net.Listener, handler http.Handler, listener string, t timeouts, tlsCfg *tls.Config) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		// Each http.Server gets a copy: net/http adds its protocols to the
		// config it serves with, and the API's and the metrics' servers
		// start at once.
		TLSConfig: tlsCfg.Clone(),
		// net/http logs connection-level noise here (TLS handshakes
		// abandoned by port scanners and TCP probes): debug, not warn.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		// In-flight requests must not be cancelled by the shutdown
		// signal; Shutdown decides when they stop.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if tlsCfg != nil {
		srv.Protocols = tlsProtocols() // what the per-connection TLS configs offer; tls.go
	}
	served := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	s.log.InfoContext(ctx, "serving", "listener", listener, "addr", ln.Addr().String(), "tls", tlsCfg != nil)

	select {
	case err := <-served:
		return fmt.Errorf("server: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.log.InfoContext(ctx, "shutting down", "listener", listener, "grace", s.cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-served // http.ErrServerClosed once Shutdown has begun
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("server: in-flight requests did not finish within the %s shutdown grace and were cut off: %w", s.cfg.ShutdownGrace, err)
	}
	s.log.InfoContext(ctx, "stopped", "listener", listener)
	return nil
}
