package loadgen

import (
	"fmt"
	"io"
)

// Issue 17's targets, on the server (not a reference) at
// TargetConcurrency clients: GetRoleCredentials at no less than
// minSSORatio of AssumeRole's throughput in the same run, and
// minRefreshPerSecond refreshes (CreateToken with the refresh_token
// grant) a second.
const (
	minSSORatio         = 0.8
	minRefreshPerSecond = 2000
)

// The SSO workloads' actions, as rows name them.
const (
	ActionGetRoleCredentials = "GetRoleCredentials"
	ActionRefresh            = "CreateToken(refresh)"
)

// WriteSSOTargets writes issue 17's targets for the rows that have them
// (nothing when none does).
func WriteSSOTargets(w io.Writer, rows []Row, rounds int) error {
	var lines [][2]string
	served, assume := servedAtTarget(rows)
	for _, r := range served {
		switch r.Action {
		case ActionGetRoleCredentials:
			a := assume[r.Target]
			if a <= 0 {
				lines = append(lines, [2]string{r.Target + " " + r.Action, "no AssumeRole phase to compare with (--actions AssumeRole,GetRoleCredentials)"})
				continue
			}
			ratio := r.OpsPerSecond / a
			lines = append(lines, [2]string{r.Target + " " + r.Action, fmt.Sprintf("%.2f× AssumeRole (%.0f / %.0f ops/s; want ≥ %.2f): %s",
				ratio, r.OpsPerSecond, a, minSSORatio, verdict(ratio >= minSSORatio))})
		case ActionRefresh:
			lines = append(lines, [2]string{r.Target + " " + r.Action, fmt.Sprintf("%.0f ops/s (want ≥ %d): %s",
				r.OpsPerSecond, minRefreshPerSecond, verdict(r.OpsPerSecond >= minRefreshPerSecond))})
		}
	}
	return writeTargets(w, fmt.Sprintf("single sign-on targets at c%d (%s):", TargetConcurrency, roundsText(rounds)), lines)
}
