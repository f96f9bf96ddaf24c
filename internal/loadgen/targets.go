package loadgen

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// Issue 12's targets are stated against the durable trivial handler, at
// TargetConcurrency clients, on the medians of TargetRounds rounds:
// throughput at least minRatioToDurable of the durable handler's, and
// server CPU per op at most TargetCPUFactor times the durable handler's
// plus TargetCPUSlackMicros.
const (
	TargetConcurrency    = 64
	TargetRounds         = 3
	TargetCPUFactor      = 1.2
	TargetCPUSlackMicros = 30.0
)

// minRatioToDurable is the throughput target of action, as a ratio to
// the durable trivial handler's; false for an action without one.
func minRatioToDurable(action string) (float64, bool) {
	switch action {
	case "GetCallerIdentity":
		return 0.9, true
	case "AssumeRole":
		return 0.75, true
	}
	return 0, false
}

// WriteTargets writes, for each row at TargetConcurrency of a target
// other than the references and of an action with a target, the figures
// issue 12's targets are read from and whether they are met. rounds is
// how many rounds the rows summarise; the targets want TargetRounds.
// It writes nothing when no row qualifies.
func WriteTargets(w io.Writer, rows []Row, rounds int) error {
	var lines [][2]string
	for _, r := range rows {
		want, ok := minRatioToDurable(r.Action)
		if !ok || IsReference(r.Target) || r.Concurrency != TargetConcurrency || r.RatioToDurable <= 0 {
			continue
		}
		tput := fmt.Sprintf("%.2f× durable (want ≥ %.2f): %s", r.RatioToDurable, want, verdict(r.RatioToDurable >= want))
		cpu := "server CPU unknown (no --pid)"
		if r.ServerRSSAfter > 0 && r.DurableCPUMicrosPerOp > 0 {
			limit := TargetCPUFactor*r.DurableCPUMicrosPerOp + TargetCPUSlackMicros
			cpu = fmt.Sprintf("server CPU %.1f µs/op (want ≤ %.1f × %.1f + %.0f = %.1f): %s", r.ServerCPUMicrosPerOp,
				TargetCPUFactor, r.DurableCPUMicrosPerOp, TargetCPUSlackMicros, limit, verdict(r.ServerCPUMicrosPerOp <= limit))
		}
		lines = append(lines, [2]string{r.Target + " " + r.Action, tput + "\t" + cpu})
	}
	return writeTargets(w, fmt.Sprintf("targets at c%d against the durable trivial handler (%s):", TargetConcurrency, roundsText(rounds)), lines)
}

// servedAtTarget returns the rows at TargetConcurrency of the servers
// measured (not the references), and each one's AssumeRole throughput
// there, which some targets are stated against.
func servedAtTarget(rows []Row) (served []Row, assumeRole map[string]float64) {
	assumeRole = map[string]float64{}
	for _, r := range rows {
		if IsReference(r.Target) || r.Concurrency != TargetConcurrency {
			continue
		}
		served = append(served, r)
		if r.Action == "AssumeRole" {
			assumeRole[r.Target] = r.OpsPerSecond
		}
	}
	return served, assumeRole
}

// writeTargets writes head, then each line's name and figures aligned;
// nothing when there are no lines.
func writeTargets(w io.Writer, head string, lines [][2]string) error {
	if len(lines) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w, head); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintf(tw, "  %s\t%s\n", l[0], l[1])
	}
	return tw.Flush()
}

// roundsText says what figures the targets were read from.
func roundsText(rounds int) string {
	of := "medians of " + strconv.Itoa(rounds) + " rounds"
	if rounds == 1 {
		of = "1 round"
	}
	if rounds < TargetRounds {
		of += "; the targets are read from medians of " + strconv.Itoa(TargetRounds) + ": --repeat " + strconv.Itoa(TargetRounds)
	}
	return of
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}
