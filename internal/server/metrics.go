package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome label values besides the AWS error codes of client errors.
const (
	OutcomeSuccess     = "success"
	OutcomeClientError = "client_error" // a 4xx whose code nobody recorded
	OutcomeServerError = "server_error" // any 5xx
	// ActionUnknown labels requests that named no known action.
	ActionUnknown = "unknown"
)

// Metrics are Brevet's Prometheus metrics. The server counts requests
// itself; other packages report credentials issued and denials through
// CredentialIssued and Denied (define a one-method interface where you use
// them). Every label value must come from a fixed set in the code, never
// from the request, or the number of series grows without bound.
type Metrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	panics      prometheus.Counter
	credentials *prometheus.CounterVec
	denials     *prometheus.CounterVec
}

// latencyBuckets span a cached STS call (well under a millisecond) to a
// federation call that fetches a remote key set (seconds).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brevet_api_requests_total",
			Help: "AWS API requests by action and outcome (success, the AWS error code of a client error, or server_error).",
		}, []string{"action", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "brevet_api_request_duration_seconds",
			Help:    "Time to serve an AWS API request, by action.",
			Buckets: latencyBuckets,
		}, []string{"action"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "brevet_api_panics_total",
			Help: "Requests that panicked. Each one is a bug.",
		}),
		credentials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brevet_credentials_issued_total",
			Help: "Credentials issued, by kind.",
		}, []string{"kind"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brevet_authorization_denials_total",
			Help: "Requests denied by authorization, by reason.",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.panics, m.credentials, m.denials} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("server: register metrics: %w", err)
		}
	}
	return m, nil
}

// CredentialIssued counts one credential of the given kind (for example
// "AssumeRole" or "AccessKey"). kind must come from a fixed set.
func (m *Metrics) CredentialIssued(kind string) { m.credentials.WithLabelValues(kind).Inc() }

// Denied counts one request denied by authorization for reason (for
// example "explicit_deny" or "no_allow"). reason must come from a fixed
// set.
func (m *Metrics) Denied(reason string) { m.denials.WithLabelValues(reason).Inc() }

// observe counts one API request.
func (m *Metrics) observe(info *requestInfo, status int, seconds float64) {
	action := info.action
	if action == "" {
		action = ActionUnknown
	}
	m.requests.WithLabelValues(action, outcome(status, info.errorCode)).Inc()
	m.latency.WithLabelValues(action).Observe(seconds)
}

// outcome is the outcome label of a response: the status decides the
// class, the recorded code names a client error.
func outcome(status int, code string) string {
	switch {
	case status >= http.StatusInternalServerError:
		return OutcomeServerError
	case status >= http.StatusBadRequest && code != "":
		return code
	case status >= http.StatusBadRequest:
		return OutcomeClientError
	}
	return OutcomeSuccess
}

// requireMetricsToken answers 401 to a request that does not carry
// Config.MetricsToken as its bearer token, when one is configured. The
// tokens are compared by their SHA-256 digests in constant time, so the
// comparison shows neither the token's content nor its length.
func (s *Server) requireMetricsToken(next http.Handler) http.Handler {
	if s.cfg.MetricsToken == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearerToken(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="brevet metrics"`)
			writeText(w, http.StatusUnauthorized, "unauthorized: /metrics needs the bearer token\n")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken reads the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 9110, section 11.1).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
