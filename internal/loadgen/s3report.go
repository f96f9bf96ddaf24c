package loadgen

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// NullS3Name is the Target.Name of the null S3 backend reached directly,
// the reference the S3 gateway's throughput is divided by.
const NullS3Name = "null-s3"

// The S3 gateway's targets (issue 14), at S3TargetConcurrency clients on
// the medians of TargetRounds rounds: GetObject throughput through the
// gateway at least S3TargetMinRatio of the null backend's reached
// directly, and the gateway's CPU per request at most
// S3TargetCPUSlackMicros more than the null backend's own. Streaming
// through the gateway: at least S3TargetStreamGBps each way, and the
// gateway's RSS growing by less than S3TargetStreamRSSGrowth.
const (
	S3TargetConcurrency     = 64
	S3TargetMinRatio        = 0.6
	S3TargetCPUSlackMicros  = 80.0
	S3TargetStreamGBps      = 1.0
	S3TargetStreamRSSGrowth = 64 << 20
)

// WriteS3Table writes the rows of brevet bench s3 as an aligned text
// table (×null: the row's throughput over the null backend's in the
// same round, or the median of those ratios), then one line per kind of
// error.
func WriteS3Table(w io.Writer, rows []Row) error {
	return writeTable(w, rows, "×null", func(r Row) string { return ratioText(r.RatioToNull) }, false)
}

// WriteS3Targets writes, for each row at S3TargetConcurrency of a target
// compared with the null backend, the figures the gateway's targets are
// read from and whether they are met. rounds is how many rounds the rows
// summarise. It writes nothing when no row qualifies.
func WriteS3Targets(w io.Writer, rows []Row, rounds int) error {
	var lines [][2]string
	for _, r := range rows {
		if r.Target == NullS3Name || r.Concurrency != S3TargetConcurrency || r.RatioToNull <= 0 {
			continue
		}
		tput := fmt.Sprintf("%.2f× null (want ≥ %.2f): %s", r.RatioToNull, S3TargetMinRatio, verdict(r.RatioToNull >= S3TargetMinRatio))
		cpu := "server CPU unknown (no pid)"
		if r.ServerRSSAfter > 0 && r.NullCPUMicrosPerOp > 0 {
			more := r.ServerCPUMicrosPerOp - r.NullCPUMicrosPerOp
			cpu = fmt.Sprintf("server CPU %.1f − null's %.1f = %.1f µs/op more (want ≤ %.0f): %s", r.ServerCPUMicrosPerOp,
				r.NullCPUMicrosPerOp, more, S3TargetCPUSlackMicros, verdict(more <= S3TargetCPUSlackMicros))
		}
		lines = append(lines, [2]string{r.Target + " " + r.Action, tput + "\t" + cpu})
	}
	return writeTargets(w, fmt.Sprintf("targets at c%d against the null S3 backend reached directly (%s):", S3TargetConcurrency, roundsText(rounds)), lines)
}

// WriteStreams writes the streamed transfers, each with its throughput
// and the server's RSS around it; those of targets other than the null
// backend against the targets, the null backend's as the reference.
func WriteStreams(w io.Writer, results []*StreamResult) error {
	if len(results) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w, "streamed, one request each way, UNSIGNED-PAYLOAD (GB = 10⁹ bytes):"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range results {
		ref := r.Target == NullS3Name
		tput := fmt.Sprintf("%s in %.3f s: %.2f GB/s", sizeText(r.Bytes), r.ElapsedSeconds, r.GBPerSecond)
		if !ref {
			tput += fmt.Sprintf(" (want ≥ %.1f): %s", S3TargetStreamGBps, verdict(r.GBPerSecond >= S3TargetStreamGBps))
		}
		rss := "server RSS unknown (no pid)"
		if r.ServerRSSBefore > 0 {
			g := r.RSSGrowth()
			rss = fmt.Sprintf("RSS %.1f → peak %.1f → %.1f MiB: %+.1f MiB", mib(r.ServerRSSBefore), mib(r.ServerRSSPeak), mib(r.ServerRSSAfter), mib(g))
			if !ref {
				rss += fmt.Sprintf(" (want < %d): %s", S3TargetStreamRSSGrowth>>20, verdict(g < S3TargetStreamRSSGrowth))
			}
		}
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\n", r.Target, r.Method, r.Path, tput, rss)
	}
	return tw.Flush()
}
