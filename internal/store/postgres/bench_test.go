package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// BenchmarkStore runs the benchmarks every backend shares (storetest.Bench),
// on the same seed as store/sqlite's, so the figures compare.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) store.Store { return openTest(tb) })
}

// BenchmarkRoundTrip is the floor under every figure above: one trivial
// query through a pool to the same server.
func BenchmarkRoundTrip(b *testing.B) {
	pool, err := pgxpool.New(b.Context(), pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	b.ReportAllocs()
	for b.Loop() {
		var one int
		if err := pool.QueryRow(b.Context(), `SELECT 1`).Scan(&one); err != nil {
			b.Fatal(err)
		}
	}
}
