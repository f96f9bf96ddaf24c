package postgres_test

import (
	"testing"
)

// TestPoolStats: the pool reports its size, and a connection in use.
func TestPoolStats(t *testing.T) {
	s := openTest(t)
	if _, err := s.Changes().Latest(t.Context()); err != nil {
		t.Fatal(err)
	}
	ps := s.PoolStats()
	if len(ps) != 1 || ps[0].Pool != "pool" || ps[0].Max < 1 || ps[0].Open < 1 || ps[0].Open != ps[0].InUse+ps[0].Idle {
		t.Errorf("PoolStats = %+v; want one pool with a connection open", ps)
	}
}
