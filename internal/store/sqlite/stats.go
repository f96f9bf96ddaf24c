package sqlite

import (
	"database/sql"

	"github.com/brevet-dev/brevet/internal/store"
)

// PoolStats reports the writer's connection and the readers' pool.
func (s *Store) PoolStats() []store.PoolStats {
	return []store.PoolStats{poolStats("write", s.wdb), poolStats("read", s.rdb)}
}

func poolStats(name string, db *sql.DB) store.PoolStats {
	st := db.Stats()
	return store.PoolStats{Pool: name, Max: st.MaxOpenConnections, Open: st.OpenConnections, InUse: st.InUse, Idle: st.Idle,
		Waits: uint64(st.WaitCount), WaitTime: st.WaitDuration}
}
