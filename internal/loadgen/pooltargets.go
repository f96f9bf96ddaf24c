package loadgen

import (
	"fmt"
	"io"
)

// Issue 20's target, on the server (not a reference) at
// TargetConcurrency clients: minPoolPairsPerSecond pairs of GetId and
// GetCredentialsForIdentity a second for returning signed-in
// identities. The machine is shared, so the figures are also given as a
// ratio to AssumeRole in the same run.
const minPoolPairsPerSecond = 3000

// WritePoolTargets writes issue 20's target for the PoolSignedIn rows,
// and PoolGuest's figures for reference (nothing when no row has
// either).
func WritePoolTargets(w io.Writer, rows []Row, rounds int) error {
	var lines [][2]string
	served, assume := servedAtTarget(rows)
	for _, r := range served {
		var figure string
		switch r.Action {
		case ActionPoolSignedIn:
			figure = fmt.Sprintf("%.0f pairs/s (want ≥ %d): %s", r.OpsPerSecond, minPoolPairsPerSecond, verdict(r.OpsPerSecond >= minPoolPairsPerSecond))
		case ActionPoolGuest:
			figure = fmt.Sprintf("%.0f ops/s (no target)", r.OpsPerSecond)
		default:
			continue
		}
		if a := assume[r.Target]; a > 0 {
			figure += fmt.Sprintf(", %.2f× AssumeRole (%.0f ops/s)", r.OpsPerSecond/a, a)
		} else {
			figure += ", no AssumeRole phase to compare with (--actions AssumeRole," + r.Action + ")"
		}
		lines = append(lines, [2]string{r.Target + " " + r.Action, figure})
	}
	return writeTargets(w, fmt.Sprintf("identity pool targets at c%d (%s):", TargetConcurrency, roundsText(rounds)), lines)
}
