package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"time"
)

// SoakConfig is a long paced run, measured in consecutive intervals.
type SoakConfig struct {
	// Run is each interval's run: URL, Region, Credentials, Concurrency
	// and Rate (which should be set: a soak is paced, below the maximum).
	// Its Duration and Client are set by Soak.
	Run Config
	// Total is the length of the soak, Interval the length of each
	// measured slice of it.
	Total, Interval time.Duration
	// PID is the server process, for its RSS and CPU time; 0 for none.
	PID int
	// AuditDir, when set, is the server's audit trail directory: the
	// bytes of the files under it are read after every interval.
	AuditDir string
}

// SoakInterval is what one interval of a soak measured.
type SoakInterval struct {
	// End is the time since the soak began at the interval's end.
	End    time.Duration
	Result *Result
	// RSS is the server's resident set size at the interval's end.
	RSS int64
	// ServerCPU is the server's CPU time during the interval.
	ServerCPU time.Duration
	// AuditBytes is the size of the audit trail at the interval's end,
	// -1 when it is not read.
	AuditBytes int64
}

// Soak runs w against cfg.Run.URL for cfg.Total in intervals of
// cfg.Interval on one connection pool, calling each (when not nil) after
// every interval, and returns the intervals.
func Soak(ctx context.Context, cfg SoakConfig, w Workload, each func(SoakInterval)) ([]SoakInterval, error) {
	if cfg.Interval <= 0 || cfg.Total < cfg.Interval {
		return nil, errors.New("loadgen: a soak needs an interval > 0 and a total of at least one interval")
	}
	run := cfg.Run
	run.Duration = cfg.Interval
	run.Client = NewClient(max(run.Concurrency, 1))
	defer run.Client.CloseIdleConnections()
	start := time.Now()
	var out []SoakInterval
	prevCPU, _ := serverSample(cfg.PID)
	for range int(cfg.Total / cfg.Interval) {
		res, err := Run(ctx, run, w)
		if err != nil {
			return out, err
		}
		iv := SoakInterval{End: time.Since(start), Result: res, AuditBytes: -1}
		if s, err := serverSample(cfg.PID); err == nil && cfg.PID != 0 {
			iv.RSS, iv.ServerCPU = s.RSS, s.CPU-prevCPU.CPU
			prevCPU = s
		}
		if cfg.AuditDir != "" {
			iv.AuditBytes = dirBytes(cfg.AuditDir)
		}
		out = append(out, iv)
		if each != nil {
			each(iv)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return out, nil
}

func serverSample(pid int) (ProcSample, error) {
	if pid == 0 {
		return ProcSample{}, nil
	}
	return ReadProc(pid)
}

// dirBytes is the total size of the regular files under dir, -1 when it
// cannot be read.
func dirBytes(dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return -1
	}
	return n
}

// WriteSoakLine writes one interval as a line of the soak's table; the
// first call (first true) writes the header too.
func WriteSoakLine(out io.Writer, iv SoakInterval, prevAudit int64, first bool) {
	if first {
		fmt.Fprintf(out, "%8s %9s %7s %6s %9s %9s %9s %9s %9s\n", "elapsed", "ops/s", "errors", "late", "p50", "p99", "RSS MiB", "audit MiB", "audit B/op")
	}
	r := iv.Result
	perOp := "-"
	if iv.AuditBytes >= 0 && prevAudit >= 0 && r.Ops > 0 {
		perOp = fmt.Sprintf("%.0f", float64(iv.AuditBytes-prevAudit)/float64(r.Ops))
	}
	audit := "-"
	if iv.AuditBytes >= 0 {
		audit = fmt.Sprintf("%.1f", float64(iv.AuditBytes)/(1<<20))
	}
	fmt.Fprintf(out, "%8s %9.0f %7d %6d %9v %9v %9.1f %9s %9s\n", iv.End.Round(time.Second), r.OpsPerSecond(), r.Errors, r.Late,
		r.Latency.Quantile(0.5).Round(time.Microsecond), r.Latency.Quantile(0.99).Round(time.Microsecond),
		float64(iv.RSS)/(1<<20), audit, perOp)
}

// SoakSummary is what a soak's intervals say about stability.
type SoakSummary struct {
	Ops, Errors, Late uint64
	// RSSFirst is the RSS after the first interval (the heap warmed up),
	// RSSLast after the last, RSSMax the largest seen.
	RSSFirst, RSSLast, RSSMax int64
	// P99Min, P99Median and P99Max are over the intervals' p99s.
	P99Min, P99Median, P99Max time.Duration
	// AuditPerOpFirst is the trail's growth per request over the first
	// half of the intervals, AuditPerOp over the whole soak;
	// AuditPredicted is the growth the first half predicts for the second
	// half's requests and AuditGrowth what the second half grew. Halves,
	// not single intervals: the trail grows by whole events in its active
	// file and shrinks when a rotated file is compressed, so one interval
	// can catch either. Zero when the trail was not read.
	AuditPerOpFirst, AuditPerOp float64
	AuditPredicted, AuditGrowth int64
}

// Summarize sums up intervals; audit0 is the trail's size before the
// soak (-1 when not read).
func Summarize(intervals []SoakInterval, audit0 int64) SoakSummary {
	var s SoakSummary
	if len(intervals) == 0 {
		return s
	}
	p99s := make([]time.Duration, 0, len(intervals))
	for _, iv := range intervals {
		s.Ops += iv.Result.Ops
		s.Errors += iv.Result.Errors
		s.Late += iv.Result.Late
		s.RSSMax = max(s.RSSMax, iv.RSS)
		p99s = append(p99s, iv.Result.Latency.Quantile(0.99))
	}
	slices.Sort(p99s)
	s.P99Min, s.P99Median, s.P99Max = p99s[0], p99s[len(p99s)/2], p99s[len(p99s)-1]
	s.RSSFirst, s.RSSLast = intervals[0].RSS, intervals[len(intervals)-1].RSS
	half := len(intervals) / 2
	if half == 0 || audit0 < 0 {
		return s
	}
	mid, last := intervals[half-1], intervals[len(intervals)-1]
	var firstOps uint64
	for _, iv := range intervals[:half] {
		firstOps += iv.Result.Ops
	}
	if mid.AuditBytes >= 0 && last.AuditBytes >= 0 && firstOps > 0 {
		s.AuditPerOpFirst = float64(mid.AuditBytes-audit0) / float64(firstOps)
		s.AuditPerOp = float64(last.AuditBytes-audit0) / float64(s.Ops)
		s.AuditGrowth = last.AuditBytes - mid.AuditBytes
		s.AuditPredicted = int64(s.AuditPerOpFirst * float64(s.Ops-firstOps))
	}
	return s
}

// Write writes the summary as a few lines.
func (s SoakSummary) Write(out io.Writer) {
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	fmt.Fprintf(out, "requests: %d ok, %d errors, %d started late\n", s.Ops, s.Errors, s.Late)
	if s.RSSFirst > 0 {
		fmt.Fprintf(out, "server RSS: %.1f MiB after the first interval, %.1f MiB at the end (%+.1f%%), %.1f MiB at most\n",
			mib(s.RSSFirst), mib(s.RSSLast), 100*(float64(s.RSSLast)/float64(s.RSSFirst)-1), mib(s.RSSMax))
	}
	fmt.Fprintf(out, "p99 over the intervals: %v min, %v median, %v max\n",
		s.P99Min.Round(time.Microsecond), s.P99Median.Round(time.Microsecond), s.P99Max.Round(time.Microsecond))
	if s.AuditPredicted > 0 {
		fmt.Fprintf(out, "audit trail: %.0f bytes per request in the first half, %.0f over the soak; the second half grew %.1f MiB, %.1f MiB predicted from the first (%+.1f%%)\n",
			s.AuditPerOpFirst, s.AuditPerOp, mib(s.AuditGrowth), mib(s.AuditPredicted), 100*(float64(s.AuditGrowth)/float64(s.AuditPredicted)-1))
	}
}

// SoakAuditBytes is the size of the audit trail under dir, -1 when it
// cannot be read: the baseline to pass to Summarize.
func SoakAuditBytes(dir string) int64 { return dirBytes(dir) }
