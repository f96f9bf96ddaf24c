package postgres

import "github.com/brevet-dev/brevet/internal/store"

// PoolStats reports the connection pool.
func (s *Store) PoolStats() []store.PoolStats {
	st := s.pool.Stat()
	return []store.PoolStats{{Pool: "pool", Max: int(st.MaxConns()), Open: int(st.TotalConns()), InUse: int(st.AcquiredConns()),
		Idle: int(st.IdleConns()), Waits: uint64(st.EmptyAcquireCount()), WaitTime: st.EmptyAcquireWaitTime()}}
}
