// Package cputime measures the process's CPU time (user and system), for
// benchmarks that report CPU per operation beside the wall time: on a
// shared machine the wall time also counts waiting for other work.
//
// Only tests import this package.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Process is the process's user and system CPU time so far, or 0 where
// the system does not tell.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A Meter counts the CPU time from its Start.
type Meter struct{ start time.Duration }

// Start starts a Meter.
func Start() Meter { return Meter{start: Process()} }

// Report puts the CPU microseconds since Start, divided by n, on b as
// the metric unit (such as "cpu-µs/op").
func (m Meter) Report(b *testing.B, n int, unit string) {
	if n > 0 {
		b.ReportMetric(float64((Process()-m.start).Microseconds())/float64(n), unit)
	}
}
