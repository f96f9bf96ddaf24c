package node

import (
	"errors"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/request"
)

// TestCountUpstream: the calls counter reads the outcome of a brokered
// call off the request's record: ok or cached from the issuance, the
// upstream.Error's kind from a failure however it is wrapped; records of
// other requests count nothing.
func TestCountUpstream(t *testing.T) {
	n := &Node{}
	n.brokerCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, []string{"upstream_account", "action", "outcome"})
	issued := func(action string, cached bool) *request.Record {
		return &request.Record{Issued: &request.Issuance{Kind: "BrokeredAssumeRole",
			Upstream: &request.UpstreamSession{Account: "999988887777", Action: action, Cached: cached}}}
	}
	failed := func(kind upstream.Kind) *request.Record {
		err := &upstream.Error{Account: "999988887777", Op: "AssumeRole", Kind: kind}
		return &request.Record{ErrorCode: "ServiceUnavailable", Err: fmt.Errorf("broker: %w", err)}
	}
	for _, rec := range []*request.Record{
		issued("AssumeRoleWithWebIdentity", false), issued("AssumeRoleWithWebIdentity", true), issued("AssumeRoleWithWebIdentity", true),
		issued("GetSessionToken", false), failed(upstream.Throttled), failed(upstream.Unavailable), failed(upstream.Unavailable),
		{Issued: &request.Issuance{Kind: "AssumeRole"}}, {ErrorCode: "AccessDenied", Err: errors.New("denied")},
	} {
		n.countUpstream(rec)
	}
	want := map[string]float64{
		"999988887777 AssumeRoleWithWebIdentity ok": 1, "999988887777 AssumeRoleWithWebIdentity cached": 2,
		"999988887777 GetSessionToken ok": 1, "999988887777 AssumeRole throttled": 1, "999988887777 AssumeRole unavailable": 2,
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(n.brokerCalls)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			got[l["upstream_account"]+" "+l["action"]+" "+l["outcome"]] = m.GetCounter().GetValue()
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
}
