package config

import (
	"net/url"
	"strings"
)

// IdentityPools configures the identity pools (Cognito Identity's API,
// docs/identity-pools.md).
type IdentityPools struct {
	// GuestRate bounds how fast guest (unauthenticated) identities are
	// created, per identity pool and source address; zero is no bound.
	GuestRate Rate
	// TokenIssuer is the iss of the OpenID tokens GetOpenIdToken and
	// GetOpenIdTokenForDeveloperIdentity sign, an https URL.
	TokenIssuer string
}

// Defaults of the identity pools' settings.
const (
	DefaultGuestRate       = "60/m:20"
	DefaultPoolTokenIssuer = "https://cognito-identity.amazonaws.com"
)

type fileIdentityPools struct {
	GuestRate   *string `yaml:"guest_rate"`
	TokenIssuer *string `yaml:"token_issuer"`
}

// fileIdentityPoolSettings takes the file's identity pool settings.
func fileIdentityPoolSettings(f *fileIdentityPools, set func(settingID, *string)) {
	if f == nil {
		return
	}
	set(sIdentityPoolsGuestRate, f.GuestRate)
	set(sIdentityPoolsTokenIssuer, f.TokenIssuer)
}

// convertIdentityPools checks and builds the identity pools' settings.
func convertIdentityPools(v *[numSettings]value, errs []error) (IdentityPools, []error) {
	var c IdentityPools
	var msg string
	if c.GuestRate, msg = parseRate(v[sIdentityPoolsGuestRate].str); msg != "" {
		errs = append(errs, newError(sIdentityPoolsGuestRate, v[sIdentityPoolsGuestRate].from, msg))
	}
	id := sIdentityPoolsTokenIssuer
	c.TokenIssuer = strings.TrimSpace(v[id].str)
	if u, err := url.Parse(c.TokenIssuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.TokenIssuer, "/") {
		errs = append(errs, newError(id, v[id].from, "\""+v[id].str+"\" is not an https URL without a trailing slash; the default is "+DefaultPoolTokenIssuer))
	} else if c.TokenIssuer == strings.TrimSpace(v[sIssuerURL].str) {
		// The pools' tokens and GetWebIdentityToken's share keys: only the
		// iss tells them apart (STS routes a token by it).
		errs = append(errs, newError(id, v[id].from, "\""+c.TokenIssuer+"\" is federation.issuer_url too; the pools' tokens need an issuer of their own (the default is "+DefaultPoolTokenIssuer+")"))
	}
	return c, errs
}
