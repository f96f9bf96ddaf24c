package pgsink

import "github.com/prometheus/client_golang/prometheus"

var (
	spoolingDesc = prometheus.NewDesc("brevet_audit_spooling",
		"1 while this node spools audit events because PostgreSQL is unreachable.", nil, nil)
	pendingDesc = prometheus.NewDesc("brevet_audit_spool_pending_events",
		"Audit events in this node's spool, acknowledged but not yet shipped to PostgreSQL.", nil, nil)
	spooledDesc = prometheus.NewDesc("brevet_audit_spooled_events_total",
		"Audit events written to this node's spool since it started.", nil, nil)
	shippedDesc = prometheus.NewDesc("brevet_audit_shipped_events_total",
		"Spooled audit events shipped to PostgreSQL since this node started.", nil, nil)
)

// collector exports a sink's Stats.
type collector struct{ s *Sink }

// Collector exports Stats as Prometheus metrics, read at each scrape;
// register it with the server's registry. Alert on
// brevet_audit_spool_pending_events staying above zero: those events are
// only on this node's disk.
func (s *Sink) Collector() prometheus.Collector { return collector{s} }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- spoolingDesc
	ch <- pendingDesc
	ch <- spooledDesc
	ch <- shippedDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	spooling := 0.0
	if st.Spooling {
		spooling = 1
	}
	ch <- prometheus.MustNewConstMetric(spoolingDesc, prometheus.GaugeValue, spooling)
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(spooledDesc, prometheus.CounterValue, float64(st.Spooled))
	ch <- prometheus.MustNewConstMetric(shippedDesc, prometheus.CounterValue, float64(st.Shipped))
}
