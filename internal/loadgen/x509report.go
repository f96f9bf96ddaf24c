package loadgen

import (
	"fmt"
	"io"
)

// The workloads of brevet bench x509, as named in its reports.
const (
	ActionAssumeRole         = "AssumeRole"
	ActionCreateSessionECDSA = "CreateSession-ECDSA"
	ActionCreateSessionRSA   = "CreateSession-RSA"
	ActionIoTKeepAlive       = "IoT-keepalive"
	ActionIoTResume          = "IoT-resume"
)

// X509TargetConcurrency is the concurrency issue 15's targets are read
// at.
const X509TargetConcurrency = 64

// x509Targets are issue 15's throughput targets on a 2-core machine, in
// requests per second at X509TargetConcurrency: CreateSession with ECDSA
// P-256 and RSA-2048 leaves, and IoT credentials over mutual TLS with
// session resumption.
var x509Targets = []struct {
	action string
	min    float64
}{
	{ActionCreateSessionECDSA, 3000},
	{ActionCreateSessionRSA, 1500},
	{ActionIoTResume, 2000},
}

// X509Rows is Rows (×trivial over the trivial server's phase of the same
// action, concurrency and round) plus, on each row of the target named
// server but its AssumeRole's, ×AssumeRole: over the same round's
// AssumeRole phase of server at the same concurrency.
func X509Rows(phases []*Phase, server string) []Row {
	type key struct{ c, round int }
	assume := map[key]*Phase{}
	for _, p := range phases {
		if p.Target == server && p.Action == ActionAssumeRole {
			assume[key{p.Concurrency, p.Round}] = p
		}
	}
	rows := Rows(phases)
	for i, p := range phases {
		if a := assume[key{p.Concurrency, p.Round}]; a != nil && a != p && p.Target == server {
			rows[i].RatioToAssumeRole = ratio(rows[i].OpsPerSecond, a.Result.OpsPerSecond())
		}
	}
	return rows
}

// WriteX509Table writes the rows of brevet bench x509 as an aligned text
// table, then one line per kind of error and, for the rows whose client
// counted TLS sessions, the share of responses on a resumed one.
func WriteX509Table(w io.Writer, rows []Row) error {
	err := writeTable(w, rows, "×trivial\t×AssumeRole", func(r Row) string {
		return ratioText(r.RatioToTrivial) + "\t" + ratioText(r.RatioToAssumeRole)
	}, false)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.TLSResponses == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "tls: %s %s c%d: %.1f %% of %d responses on a resumed session\n", r.Target, r.Action, r.Concurrency,
			100*float64(r.TLSResumed)/float64(r.TLSResponses), r.TLSResponses); err != nil {
			return err
		}
	}
	return nil
}

// WriteX509Targets writes, for each row of server at
// X509TargetConcurrency whose action has a target, its throughput against
// the target and whether it is met, with its ratios and CPU per request.
// rounds is how many rounds the rows summarise. It writes nothing when no
// row qualifies.
func WriteX509Targets(w io.Writer, rows []Row, server string, rounds int) error {
	var lines [][2]string
	for _, t := range x509Targets {
		for _, r := range rows {
			if r.Target != server || r.Action != t.action || r.Concurrency != X509TargetConcurrency {
				continue
			}
			cpu := "server CPU unknown (no pid)"
			if r.ServerRSSAfter > 0 {
				cpu = fmt.Sprintf("server CPU %.1f µs/op", r.ServerCPUMicrosPerOp)
			}
			lines = append(lines, [2]string{r.Target + " " + r.Action, fmt.Sprintf("%.0f ops/s (want ≥ %.0f): %s\t×trivial %s, ×AssumeRole %s\t%s",
				r.OpsPerSecond, t.min, verdict(r.OpsPerSecond >= t.min), ratioText(r.RatioToTrivial), ratioText(r.RatioToAssumeRole), cpu)})
		}
	}
	return writeTargets(w, fmt.Sprintf("issue 15's targets at c%d on this machine (%s):", X509TargetConcurrency, roundsText(rounds)), lines)
}
