package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics that other components keep (the audit sink's spool) are served
// at /metrics beside the server's own.
func TestWithCollectors(t *testing.T) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "brevet_test_extra", Help: "a component's own metric"})
	g.Set(7)
	r := start(t, Config{}, http.NotFoundHandler(), WithCollectors(g))
	_, body := r.do(t, http.MethodGet, "/metrics", nil, nil)
	if !strings.Contains(body, "brevet_test_extra 7") {
		t.Errorf("/metrics lacks the extra collector:\n%s", body)
	}
	// The same collector twice is a wiring mistake, reported by New.
	if _, err := New(Config{}, WithAPI(http.NotFoundHandler()), WithRegistry(prometheus.NewRegistry()), WithCollectors(g, g)); err == nil {
		t.Error("New accepted a collector registered twice")
	}
}
