package node

import (
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/server"
)

// limitRequests puts the configured rate budgets on the pipeline: its
// Limiter, and an Observer that counts failures once each request is
// audited. Every budget is kept in this node's memory, so N nodes admit N
// times each budget (docs/configuration.md, "Limits").
func (n *Node) limitRequests(p *request.Pipeline) {
	l := n.cfg.Limits
	n.budgets = ratelimit.New(ratelimit.Config{
		FailuresPerSource: rate(l.FailuresPerSource), FailuresPerKey: rate(l.FailuresPerKey),
		RequestsPerCaller: rate(l.RequestsPerCaller), MaxKeys: l.TrackedKeys,
	})
	if n.budgets == nil {
		return
	}
	p.Limiter = n.budgets
	p.Observers = append(p.Observers, n.budgets)
}

// limitCollectors serves brevet_throttled_total when budgets are on.
func (n *Node) limitCollectors() []server.Option {
	if n.budgets == nil {
		return nil
	}
	return []server.Option{server.WithCollectors(n.budgets.Collector())}
}

func rate(r config.Rate) ratelimit.Rate {
	return ratelimit.Rate{PerSecond: r.PerSecond, Burst: r.Burst}
}
