package agent

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the agent's Prometheus metrics, in their own registry.
type Metrics struct {
	// Registry holds them all; serve it with promhttp.
	Registry  *prometheus.Registry
	refreshes *prometheus.CounterVec
	failures  *prometheus.CounterVec
	requests  *prometheus.CounterVec
	expiry    *prometheus.Desc

	mu      sync.Mutex
	keepers []*Keeper
}

// NewMetrics returns the agent's metrics, registered.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brevet_agent_refreshes_total",
			Help: "Credentials fetched from Brevet, by role."}, []string{"role"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brevet_agent_refresh_failures_total",
			Help: "Failed credential fetches, by role and kind (transient: an outage, served from cache; revoked: stopped serving)."},
			[]string{"role", "kind"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "brevet_agent_requests_total",
			Help: "Requests to the agent's endpoints, by endpoint (imds, container) and HTTP status."}, []string{"endpoint", "code"}),
		expiry: prometheus.NewDesc("brevet_agent_credentials_seconds_to_expiry",
			"Seconds until the served credentials expire, by role; 0 when not serving.", []string{"role"}, nil),
	}
	m.Registry.MustRegister(m.refreshes, m.failures, m.requests, m)
	return m
}

func (m *Metrics) watch(k *Keeper) {
	m.mu.Lock()
	m.keepers = append(m.keepers, k)
	m.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.expiry }

// Collect implements prometheus.Collector: seconds to expiry per role.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	ks := append([]*Keeper(nil), m.keepers...)
	m.mu.Unlock()
	seen := map[string]bool{}
	for _, k := range ks {
		if seen[k.Role] {
			continue
		}
		seen[k.Role] = true
		now := k.clock.Now()
		v := 0.0
		if c, _, ok := k.Current(now); ok {
			v = c.Expiration.Sub(now).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(m.expiry, prometheus.GaugeValue, v, k.Role)
	}
}
