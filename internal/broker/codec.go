package broker

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/store"
)

// Defaults of an upstream account.
const (
	DefaultRegion      = "us-east-1"
	DefaultIAMEndpoint = "https://iam.amazonaws.com"
	DefaultAudience    = "sts.amazonaws.com"
)

// DefaultSTSEndpoint is the STS endpoint of region.
func DefaultSTSEndpoint(region string) string { return "https://sts." + region + ".amazonaws.com" }

// decodeUpstream reads an upstream object.
func decodeUpstream(o store.Object) (Upstream, error) {
	var u Upstream
	if err := json.Unmarshal(o.Body, &u); err != nil {
		return u, fmt.Errorf("broker: object %s/%s: %w", o.Account, o.ID, err)
	}
	u.Account = o.Account
	return u, nil
}

// decodeRole reads a brokered role object.
func decodeRole(o store.Object) (Role, error) {
	var r Role
	if err := json.Unmarshal(o.Body, &r); err != nil {
		return r, fmt.Errorf("broker: object %s/%s: %w", o.Account, o.ID, err)
	}
	r.Account = o.Account
	return r, nil
}

// endpoint is how the upstream client reaches u.
func endpoint(u *Upstream) upstream.Endpoint {
	ep := upstream.Endpoint{AccountID: u.ID, STSEndpoint: u.STSEndpoint, IAMEndpoint: u.IAMEndpoint, Region: u.Region,
		Rate: u.Rate, Burst: u.Burst}
	if u.CABundle != "" {
		ep.CABundle = []byte(u.CABundle)
	}
	return ep
}

// endpointKey tells whether u's client must be built again.
func endpointKey(u *Upstream) string {
	return strings.Join([]string{u.STSEndpoint, u.IAMEndpoint, u.Region, u.CABundle,
		strconv.FormatFloat(u.Rate, 'g', -1, 64), strconv.Itoa(u.Burst)}, "\x00")
}

// checkEndpoint accepts an upstream base URL as the upstream client does
// (upstream.CheckEndpoint: https, or http on a loopback address).
func checkEndpoint(field, raw string) error {
	if raw == "" {
		return invalid("%s must not be empty.", field)
	}
	if err := upstream.CheckEndpoint(raw); err != nil {
		return invalid("%s %s.", field, err.Error())
	}
	return nil
}
