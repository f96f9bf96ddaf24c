package sqlite_test

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/storetest"
)

// BenchmarkStore runs the benchmarks every backend shares (storetest.Bench).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(tb testing.TB) store.Store { return openTest(tb) })
}
