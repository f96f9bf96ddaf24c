package agent

import (
	"errors"
	"fmt"
	"time"
)

// Credentials are one set of temporary role credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// RoleArn is the role they are for, when the issuer says (a host's
	// instance profile may change roles).
	RoleArn string
}

// valid reports whether c is complete and unexpired at now.
func (c *Credentials) valid(now time.Time) bool {
	return c.AccessKeyID != "" && c.SecretAccessKey != "" && now.Before(c.Expiration)
}

// RefreshMargin is the latest a refresh is scheduled before expiry.
const RefreshMargin = 5 * time.Minute

// refreshAt is when credentials fetched at fetched and expiring at exp
// are refreshed: at 50–75 % of their lifetime (r in [0,1) picks where,
// for jitter), never later than RefreshMargin before expiry; credentials
// too short-lived for that margin are refreshed at half their life.
func refreshAt(fetched, exp time.Time, r float64) time.Time {
	life := exp.Sub(fetched)
	if life <= 0 {
		return fetched
	}
	at := fetched.Add(time.Duration(float64(life) * (0.5 + 0.25*r)))
	if latest := exp.Add(-RefreshMargin); at.After(latest) {
		at = latest
	}
	if min := fetched.Add(life / 2); life <= 2*RefreshMargin && at.Before(min) {
		at = min
	}
	return at
}

// APIError is an error response from Brevet (or STS, Roles Anywhere).
type APIError struct {
	// Status is the HTTP status.
	Status int
	// Code and Message are the response's.
	Code, Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// revokedCodes are the error codes that say the host, its instance
// profile or its role is gone or no longer allows it: the agent stops
// serving at once instead of waiting out the cached credentials.
var revokedCodes = map[string]bool{
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"NoSuchEntity":                true,
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
}

// IsRevoked reports whether err says the credentials must no longer be
// served (as opposed to an outage, which the agent waits out).
func IsRevoked(err error) bool {
	if errors.Is(err, ErrNotServing) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && revokedCodes[ae.Code]
}

// ErrNotServing is returned when the credentials a fetch depends on (the
// host's, for a workload role) are not being served.
var ErrNotServing = errors.New("agent: no credentials to serve")
