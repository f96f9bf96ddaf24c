package sso

import (
	"context"
	"crypto/subtle"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on a registration, which travels inside the client id.
const (
	maxClientName   = 128
	maxScopes       = 10
	maxRedirectURIs = 5
	maxRedirectURI  = 512
)

// client is a registration, sealed into the client id: registrations are
// stateless, and a forged or altered client id does not open.
type client struct {
	// Key is the registration's random id, which the client secret,
	// codes and tokens name.
	Key       string   `json:"k"`
	Name      string   `json:"n"`
	Scopes    []string `json:"s,omitempty"`
	Grants    []string `json:"g"`
	Redirects []string `json:"r,omitempty"`
	Issued    int64    `json:"i"`
	Expires   int64    `json:"e"`
}

// clientSecret is sealed into the client secret: the registration it
// belongs to and its expiry.
type clientSecret struct {
	Key     string `json:"k"`
	Expires int64  `json:"e"`
}

func (c *client) grants(g string) bool { return slices.Contains(c.Grants, g) }

// RegisterClient registers a public client (stateless: everything is in
// the returned id and secret).
func (s *Service) RegisterClient(_ context.Context, in *RegisterClientInput, source string, now time.Time) (*RegisterClientOutput, error) {
	if err := s.limitSource(source, now); err != nil {
		return nil, err
	}
	c, err := s.checkRegistration(in)
	if err != nil {
		return nil, err
	}
	if c.Key, err = randomHex(s.cfg.Rand, 16); err != nil {
		return nil, err
	}
	c.Issued, c.Expires = now.Unix(), now.Add(ClientLifetime).Unix()
	id, err := s.seal(purposeClientID, c)
	if err != nil {
		return nil, err
	}
	if len(id) > maxSealedLen {
		// Escaping in the sealed JSON can grow the members past what
		// open accepts: refuse now rather than issue an id that never
		// opens.
		return nil, oauthErr(InvalidClientMetadata, "The registration is too large", "client id too long")
	}
	secret, err := s.seal(purposeClientSecret, clientSecret{Key: c.Key, Expires: c.Expires})
	if err != nil {
		return nil, err
	}
	return &RegisterClientOutput{ClientID: id, ClientSecret: secret, ClientIDIssuedAt: c.Issued, ClientSecretExpiresAt: c.Expires}, nil
}

// checkRegistration validates a RegisterClient request into a client
// without key or dates.
func (s *Service) checkRegistration(in *RegisterClientInput) (*client, error) {
	switch {
	case in.ClientName == "" || in.ClientType == "":
		return nil, oauthErr(InvalidRequest, "clientName and clientType are required", "")
	case len(in.ClientName) > maxClientName || !utf8.ValidString(in.ClientName) || strings.ContainsFunc(in.ClientName, isControl):
		return nil, oauthErr(InvalidClientMetadata, "Invalid client name", "")
	case in.ClientType != "public":
		return nil, oauthErr(InvalidClientMetadata, "Only public clients are supported", "")
	case in.IssuerURL != "" && !s.startURL(in.IssuerURL):
		return nil, oauthErr(InvalidRequest, "Invalid issuer URL", "not a configured start URL")
	}
	c := &client{Name: in.ClientName}
	var err error
	if c.Scopes, err = checkScopes(in.Scopes); err != nil {
		return nil, err
	}
	c.Grants = in.GrantTypes
	if len(c.Grants) == 0 {
		c.Grants = []string{GrantDeviceCode, GrantRefreshToken}
	}
	if len(c.Grants) > 3 {
		return nil, oauthErr(UnsupportedGrantType, "Unsupported grant type", "")
	}
	for _, g := range c.Grants {
		if g != GrantDeviceCode && g != GrantRefreshToken && g != GrantAuthorizationCode {
			return nil, oauthErr(UnsupportedGrantType, "Unsupported grant type", "")
		}
	}
	if len(in.RedirectURIs) > maxRedirectURIs {
		return nil, oauthErr(InvalidRedirectURI, "Too many redirect URIs", "")
	}
	for _, r := range in.RedirectURIs {
		if _, ok := loopback(r); !ok {
			return nil, oauthErr(InvalidRedirectURI, "Redirect URIs must be http loopback addresses", "")
		}
	}
	if c.grants(GrantAuthorizationCode) && len(in.RedirectURIs) == 0 {
		return nil, oauthErr(InvalidRedirectURI, "The authorization_code grant needs a redirect URI", "")
	}
	c.Redirects = in.RedirectURIs
	return c, nil
}

// checkScopes refuses unknown or too many scopes; none means
// sso:account:access.
func checkScopes(scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return []string{ScopeAccountAccess}, nil
	}
	if len(scopes) > maxScopes {
		return nil, oauthErr(InvalidScope, "Too many scopes", "")
	}
	for _, sc := range scopes {
		if !knownScopes[sc] {
			return nil, oauthErr(InvalidScope, "Invalid scope", "unknown scope")
		}
	}
	return scopes, nil
}

// subsetScopes reports whether every one of asked is in granted.
func subsetScopes(asked, granted []string) bool {
	for _, a := range asked {
		if !slices.Contains(granted, a) {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// loopback parses a public client's redirect URI: http on 127.0.0.1,
// [::1] or localhost, no user info or fragment, not even an empty one
// (RFC 8252, section 7.3).
func loopback(raw string) (*url.URL, bool) {
	if len(raw) > maxRedirectURI {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" || strings.Contains(raw, "#") {
		return nil, false
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
	default:
		return nil, false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, false
		}
	}
	return u, true
}

// redirectAllowed reports whether redirect (as the authorization request
// names it) matches one of the client's registered URIs: same host and
// path and query, any port (RFC 8252 lets the client pick it).
func (c *client) redirectAllowed(redirect string) bool {
	r, ok := loopback(redirect)
	if !ok || r.Port() == "" {
		return false
	}
	for _, reg := range c.Redirects {
		g, ok := loopback(reg)
		if ok && g.Hostname() == r.Hostname() && g.EscapedPath() == r.EscapedPath() && g.RawQuery == r.RawQuery {
			return true
		}
	}
	return false
}

// clientByID opens a client id alone (the authorization endpoint sees no
// secret).
func (s *Service) clientByID(id string, now time.Time) (*client, error) {
	var c client
	if err := s.open(purposeClientID, id, &c); err != nil {
		return nil, oauthErr(InvalidClient, "Invalid client", "client id does not open")
	}
	if now.Unix() >= c.Expires {
		return nil, oauthErr(InvalidClient, "Client registration has expired", "expired")
	}
	return &c, nil
}

// authClient authenticates a client by its id and secret.
func (s *Service) authClient(id, secret string, now time.Time) (*client, error) {
	c, err := s.clientByID(id, now)
	if err != nil {
		return nil, err
	}
	var cs clientSecret
	if err := s.open(purposeClientSecret, secret, &cs); err != nil {
		return nil, oauthErr(InvalidClient, "Invalid client", "client secret does not open")
	}
	if subtle.ConstantTimeCompare([]byte(cs.Key), []byte(c.Key)) != 1 {
		return nil, oauthErr(InvalidClient, "Invalid client", "client secret of another client")
	}
	if now.Unix() >= cs.Expires {
		return nil, oauthErr(InvalidClient, "Client registration has expired", "expired")
	}
	return c, nil
}
