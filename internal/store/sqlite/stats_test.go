package sqlite_test

import "testing"

// TestPoolStats: the writer's one connection and the readers' pool,
// with a reader opened by a read.
func TestPoolStats(t *testing.T) {
	s := openTest(t)
	if _, err := s.Changes().Latest(t.Context()); err != nil {
		t.Fatal(err)
	}
	ps := s.PoolStats()
	if len(ps) != 2 || ps[0].Pool != "write" || ps[0].Max != 1 || ps[1].Pool != "read" || ps[1].Max < 1 || ps[1].Open < 1 {
		t.Errorf("PoolStats = %+v; want the write pool of 1 and an open read pool", ps)
	}
}
