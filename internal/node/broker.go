package node

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/broker"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// rotateEvery is how often the node rotates the upstream keys that are
// due (broker.RotateDue: one node of a cluster rotates each, the one that
// takes the lease).
const rotateEvery = time.Minute

// rotateTimeout bounds one pass of RotateDue: each upstream call has its
// own 10 s deadline, and a pass may rotate several upstreams.
const rotateTimeout = 5 * time.Minute

// newBroker builds the credential broker (issue 18, docs/broker.md) on the
// store, sealing upstream keys under the master keyring and minting the
// OIDC mode's tokens with the node's issuer, and registers its Brevet
// actions on the Query dispatcher. STS reaches it through sts.Config.Broker
// (registerServices).
func (n *Node) newBroker(d *awsquery.Dispatcher, fed *federation) error {
	b, err := broker.New(broker.Config{Store: n.st, Keys: n.master, Issuer: fed, Log: n.log, Dial: upstream.New})
	if err != nil {
		return err
	}
	broker.Register(d, b)
	n.broker = b
	n.brokerCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "brevet_broker_upstream_calls_total",
		Help: "Brokered calls to upstream accounts, by upstream account, upstream action and outcome (ok, cached, or why it failed: limited, refused, invalid, credentials, throttled, unavailable).",
	}, []string{"upstream_account", "action", "outcome"})
	return nil
}

// applyBroker hands the changes to the broker's index of upstream accounts
// and brokered roles.
func (n *Node) applyBroker(changes []store.Change) {
	if n.broker != nil {
		n.broker.Apply(changes)
	}
}

// rotateUpstreamKeys rotates, every rotateEvery, the upstream keys whose
// schedule is due, until ctx ends. It runs apart from housekeeping: a pass
// waits on upstream calls.
func (n *Node) rotateUpstreamKeys(ctx context.Context) {
	if n.broker == nil {
		return
	}
	t := time.NewTicker(rotateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n.down.Load() {
				continue // the lease and the new key need the store
			}
			rctx, cancel := context.WithTimeout(ctx, rotateTimeout)
			n.broker.RotateDue(rctx, time.Now())
			cancel()
		}
	}
}

// countUpstream feeds brevet_broker_upstream_calls_total from a request's
// record: a brokered issuance (ok, or cached) or an upstream failure (the
// upstream.Error's kind). Key rotations that fail show in
// brevet_broker_key_rotation_failing.
func (n *Node) countUpstream(rec *request.Record) {
	if n.brokerCalls == nil {
		return
	}
	if rec.ErrorCode == "" && rec.Issued != nil && rec.Issued.Upstream != nil {
		u := rec.Issued.Upstream
		outcome := "ok"
		if u.Cached {
			outcome = "cached"
		}
		n.brokerCalls.WithLabelValues(u.Account, u.Action, outcome).Inc()
		return
	}
	if e, ok := errors.AsType[*upstream.Error](rec.Err); ok {
		n.brokerCalls.WithLabelValues(e.Account, e.Op, e.Kind.String()).Inc()
	}
}

// brokerCollectors are the broker's metrics: the calls counter and the
// rotation alert gauge.
func (n *Node) brokerCollectors() []prometheus.Collector {
	if n.broker == nil {
		return nil
	}
	return []prometheus.Collector{n.brokerCalls, rotationCollector{b: n.broker}}
}

// descRotationFailing is 1 for each upstream account whose last key
// rotation failed, until one succeeds.
var descRotationFailing = prometheus.NewDesc("brevet_broker_key_rotation_failing",
	"1 while the last rotation of an upstream account's key failed (the old key is still in use, or still alive upstream); alert on it.",
	[]string{"upstream_account"}, nil)

// rotationCollector reads broker.Failing at each scrape.
type rotationCollector struct{ b *broker.Service }

func (c rotationCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descRotationFailing }

func (c rotationCollector) Collect(ch chan<- prometheus.Metric) {
	for _, id := range c.b.Failing() {
		ch <- prometheus.MustNewConstMetric(descRotationFailing, prometheus.GaugeValue, 1, id)
	}
}
