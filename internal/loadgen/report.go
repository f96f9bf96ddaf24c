package loadgen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// TrivialName is the Target.Name of the trivial handler, the reference
// every other target's throughput is divided by.
const TrivialName = "trivial"

// Row is one Phase as reported, with plain units, for JSON output and the
// table alike.
type Row struct {
	Target      string `json:"target"`
	Action      string `json:"action"`
	Concurrency int    `json:"concurrency"`
	// Round is the repetition a row measured; in a Medians row, Rounds
	// is how many rows it summarises.
	Round  int    `json:"round"`
	Rounds int    `json:"rounds,omitempty"`
	Ops    uint64 `json:"ops"`
	Errors uint64 `json:"errors"`
	// ErrorsBy counts errors by "STATUS Code" or "transport: ...".
	ErrorsBy       map[string]uint64 `json:"errors_by,omitempty"`
	ElapsedSeconds float64           `json:"elapsed_s"`
	OpsPerSecond   float64           `json:"ops_per_s"`
	// RatioToTrivial is OpsPerSecond over the trivial handler's for the
	// same action and concurrency in the same run; 0 when there is none.
	RatioToTrivial float64 `json:"ratio_to_trivial,omitempty"`
	// RatioToDurable is the same over the durable trivial handler's,
	// for targets other than the two references.
	RatioToDurable float64 `json:"ratio_to_durable,omitempty"`
	P50Micros      float64 `json:"p50_us"`
	P99Micros      float64 `json:"p99_us"`
	P999Micros     float64 `json:"p999_us"`
	MaxMicros      float64 `json:"max_us"`
	// ServerCPUMicrosPerOp is the server process's user+system CPU time
	// per successful request; GeneratorCPUMicrosPerOp is the same for
	// the generator (signing and the HTTP client).
	ServerCPUMicrosPerOp    float64 `json:"server_cpu_us_per_op"`
	GeneratorCPUMicrosPerOp float64 `json:"generator_cpu_us_per_op"`
	// DurableCPUMicrosPerOp is, for targets other than the two
	// references, ServerCPUMicrosPerOp of the durable trivial handler's
	// phase of the same action, concurrency and round: what its CPU per
	// op is compared with.
	DurableCPUMicrosPerOp float64 `json:"durable_server_cpu_us_per_op,omitempty"`
	// RatioToNull and NullCPUMicrosPerOp are, for a target other than
	// the null S3 backend, OpsPerSecond over the null backend's for the
	// same action, concurrency and round, and the null backend's
	// ServerCPUMicrosPerOp (brevet bench s3).
	RatioToNull        float64 `json:"ratio_to_null,omitempty"`
	NullCPUMicrosPerOp float64 `json:"null_server_cpu_us_per_op,omitempty"`
	// RatioToAssumeRole is, in brevet bench x509, OpsPerSecond over that
	// of the same server's AssumeRole phase at the same concurrency and
	// round: the same issuance, authenticated by SigV4.
	RatioToAssumeRole float64 `json:"ratio_to_assume_role,omitempty"`
	// TLSResponses and TLSResumed are Phase's: responses received over
	// TLS, and how many of them on a resumed session.
	TLSResponses uint64 `json:"tls_responses,omitempty"`
	TLSResumed   uint64 `json:"tls_resumed,omitempty"`
	// ServerCores is the server's CPU time over wall time: how many
	// cores it kept busy.
	ServerCores     float64 `json:"server_cores"`
	ServerRSSBefore int64   `json:"server_rss_before_bytes"`
	ServerRSSAfter  int64   `json:"server_rss_after_bytes"`
	// ServerRSS is the server's RSS every second of the measured run.
	ServerRSS []int64 `json:"server_rss_bytes,omitempty"`
}

// IsReference says whether a target is one of the two references the
// others are divided by: the trivial handler and the durable one.
func IsReference(target string) bool { return target == TrivialName || target == DurableTrivialName }

// Rows turns phases into report rows, with each row's ratio to the
// trivial handler's phase of the same action, concurrency and round, to
// the durable trivial handler's, and to the null S3 backend's.
func Rows(phases []*Phase) []Row {
	type key struct {
		target, action string
		c, round       int
	}
	refs := map[key]*Phase{}
	for _, p := range phases {
		if IsReference(p.Target) || p.Target == NullS3Name {
			refs[key{p.Target, p.Action, p.Concurrency, p.Round}] = p
		}
	}
	ref := func(name string, p *Phase) *Phase { return refs[key{name, p.Action, p.Concurrency, p.Round}] }
	rows := make([]Row, 0, len(phases))
	for _, p := range phases {
		r := p.Result
		row := Row{
			Target: p.Target, Action: p.Action, Concurrency: p.Concurrency, Round: p.Round,
			Ops: r.Ops, Errors: r.Errors, ElapsedSeconds: r.Elapsed.Seconds(),
			OpsPerSecond: r.OpsPerSecond(),
			P50Micros:    micros(r.Latency.Quantile(0.50)),
			P99Micros:    micros(r.Latency.Quantile(0.99)),
			P999Micros:   micros(r.Latency.Quantile(0.999)),
			MaxMicros:    micros(r.Latency.Max()),

			ServerCPUMicrosPerOp:    micros(p.ServerCPUPerOp()),
			GeneratorCPUMicrosPerOp: micros(p.GeneratorCPUPerOp()),
			ServerRSSBefore:         p.ServerRSSBefore,
			ServerRSSAfter:          p.ServerRSSAfter,
			ServerRSS:               p.ServerRSS,
			TLSResponses:            p.TLSResponses,
			TLSResumed:              p.TLSResumed,
		}
		if len(r.ErrorsBy) > 0 {
			row.ErrorsBy = r.ErrorsBy
		}
		if r.Elapsed > 0 {
			row.ServerCores = p.ServerCPU.Seconds() / r.Elapsed.Seconds()
		}
		if t := ref(TrivialName, p); t != nil && p.Target != TrivialName {
			row.RatioToTrivial = ratio(row.OpsPerSecond, t.Result.OpsPerSecond())
		}
		if d := ref(DurableTrivialName, p); d != nil && !IsReference(p.Target) {
			row.RatioToDurable = ratio(row.OpsPerSecond, d.Result.OpsPerSecond())
			row.DurableCPUMicrosPerOp = micros(d.ServerCPUPerOp())
		}
		if n := ref(NullS3Name, p); n != nil && p.Target != NullS3Name {
			row.RatioToNull = ratio(row.OpsPerSecond, n.Result.OpsPerSecond())
			row.NullCPUMicrosPerOp = micros(n.ServerCPUPerOp())
		}
		rows = append(rows, row)
	}
	return rows
}

// Medians summarises repeated rows: one row per target, action and
// concurrency (in the order first seen) whose rates, ratios, latencies
// and CPU figures are the medians of its rounds, counts the sums, and
// RSS runs from the first round's before to the last round's after. On a
// shared machine the median of interleaved rounds is steadier than any
// one of them.
func Medians(rows []Row) []Row {
	type key struct {
		target, action string
		c              int
	}
	var order []key
	groups := map[key][]Row{}
	for _, r := range rows {
		k := key{r.Target, r.Action, r.Concurrency}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	out := make([]Row, 0, len(order))
	for _, k := range order {
		g := groups[k]
		m := Row{Target: k.target, Action: k.action, Concurrency: k.c, Rounds: len(g),
			ServerRSSBefore: g[0].ServerRSSBefore, ServerRSSAfter: g[len(g)-1].ServerRSSAfter}
		for _, r := range g {
			m.Ops += r.Ops
			m.Errors += r.Errors
			m.ElapsedSeconds += r.ElapsedSeconds
			m.TLSResponses += r.TLSResponses
			m.TLSResumed += r.TLSResumed
			for kind, n := range r.ErrorsBy {
				if m.ErrorsBy == nil {
					m.ErrorsBy = map[string]uint64{}
				}
				m.ErrorsBy[kind] += n
			}
		}
		med := func(f func(Row) float64) float64 {
			v := make([]float64, len(g))
			for i, r := range g {
				v[i] = f(r)
			}
			slices.Sort(v)
			if n := len(v); n%2 == 0 {
				return (v[n/2-1] + v[n/2]) / 2
			}
			return v[len(v)/2]
		}
		m.OpsPerSecond = med(func(r Row) float64 { return r.OpsPerSecond })
		m.RatioToTrivial = med(func(r Row) float64 { return r.RatioToTrivial })
		m.RatioToDurable = med(func(r Row) float64 { return r.RatioToDurable })
		m.P50Micros = med(func(r Row) float64 { return r.P50Micros })
		m.P99Micros = med(func(r Row) float64 { return r.P99Micros })
		m.P999Micros = med(func(r Row) float64 { return r.P999Micros })
		m.MaxMicros = med(func(r Row) float64 { return r.MaxMicros })
		m.ServerCPUMicrosPerOp = med(func(r Row) float64 { return r.ServerCPUMicrosPerOp })
		m.GeneratorCPUMicrosPerOp = med(func(r Row) float64 { return r.GeneratorCPUMicrosPerOp })
		m.DurableCPUMicrosPerOp = med(func(r Row) float64 { return r.DurableCPUMicrosPerOp })
		m.RatioToNull = med(func(r Row) float64 { return r.RatioToNull })
		m.NullCPUMicrosPerOp = med(func(r Row) float64 { return r.NullCPUMicrosPerOp })
		m.RatioToAssumeRole = med(func(r Row) float64 { return r.RatioToAssumeRole })
		m.ServerCores = med(func(r Row) float64 { return r.ServerCores })
		out = append(out, m)
	}
	return out
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// WriteJSON writes rows as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteTable writes rows as an aligned text table, then one line per kind
// of error.
func WriteTable(w io.Writer, rows []Row) error {
	return writeTable(w, rows, "×trivial\t×durable", func(r Row) string {
		return ratioText(r.RatioToTrivial) + "\t" + ratioText(r.RatioToDurable)
	}, true)
}

// writeTable writes rows as an aligned text table whose ratio columns are
// ratioHead, filled by ratios (tab-separated), then each row's RSS series
// when series is set, and one line per kind of error.
func writeTable(w io.Writer, rows []Row, ratioHead string, ratios func(Row) string, series bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\taction\tconc\tops/s\t"+ratioHead+"\tp50\tp99\tp99.9\tsrv µs/op\tsrv cores\tgen µs/op\tsrv RSS MiB\terrors\t")
	for _, r := range rows {
		srvCPU, cores, rss := "-", "-", "-"
		if r.ServerRSSAfter > 0 {
			srvCPU = strconv.FormatFloat(r.ServerCPUMicrosPerOp, 'f', 1, 64)
			cores = strconv.FormatFloat(r.ServerCores, 'f', 2, 64)
			rss = fmt.Sprintf("%.1f→%.1f", mib(r.ServerRSSBefore), mib(r.ServerRSSAfter))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t%d\t\n",
			r.Target, r.Action, r.Concurrency, r.OpsPerSecond, ratios(r),
			latency(r.P50Micros), latency(r.P99Micros), latency(r.P999Micros),
			srvCPU, cores, r.GeneratorCPUMicrosPerOp, rss, r.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if series {
			if err := writeRSSSeries(w, r); err != nil {
				return err
			}
		}
		for _, kind := range slices.SortedFunc(maps.Keys(r.ErrorsBy), cmp.Compare) {
			if _, err := fmt.Fprintf(w, "errors: %s %s c%d: %d × %s\n", r.Target, r.Action, r.Concurrency, r.ErrorsBy[kind], kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// ratioText is a ratio with two decimals, or "-" for none.
func ratioText(r float64) string {
	if r <= 0 {
		return "-"
	}
	return strconv.FormatFloat(r, 'f', 2, 64)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// latency formats microseconds as µs below a millisecond, else ms.
func latency(us float64) string {
	if us < 1000 {
		return strconv.FormatFloat(us, 'f', 0, 64) + "µs"
	}
	return strconv.FormatFloat(us/1000, 'f', 2, 64) + "ms"
}

// rssSeriesMin is the shortest phase, in RSS samples, whose series the
// table prints: long enough to be a soak.
const rssSeriesMin = 20

// writeRSSSeries prints a long phase's RSS series, ten points at most.
func writeRSSSeries(w io.Writer, r Row) error {
	n := len(r.ServerRSS)
	if n < rssSeriesMin {
		return nil
	}
	step := (n + 9) / 10
	var b []byte
	for i := step - 1; i < n; i += step {
		b = append(b, ' ')
		b = strconv.AppendFloat(b, mib(r.ServerRSS[i]), 'f', 1, 64)
	}
	_, err := fmt.Fprintf(w, "rss: %s %s c%d, MiB every %v:%s\n", r.Target, r.Action, r.Concurrency, time.Duration(step)*RSSInterval, b)
	return err
}
