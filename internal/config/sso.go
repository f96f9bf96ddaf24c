package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SSO configures single sign-on for the AWS CLI and SDKs (docs/sso.md):
// the SSO OIDC and portal APIs, the sign-in pages and the identity
// sources people sign in with.
type SSO struct {
	// URL is the https base URL people's browsers reach Brevet at; the
	// verification URI and the sign-in pages hang off it. "" means the
	// server's own URL.
	URL string
	// StartURLs are the sso_start_url values clients may name; empty
	// means URL + "/start" only.
	StartURLs []string
	// SessionDuration is how long a sign-in session (its refresh tokens)
	// lasts: default 8h, at most 7 days.
	SessionDuration time.Duration
	// AccessTokenDuration is an access token's life: default and at most
	// 1h.
	AccessTokenDuration time.Duration
	// RoleSessionDuration is the length of GetRoleCredentials' role
	// sessions: default 1h, capped by the role's MaxSessionDuration.
	RoleSessionDuration time.Duration
	// IAMUsers lets IAM users sign in with their password (and MFA).
	// Default true.
	IAMUsers bool
	// IdentityProviders are the OIDC identity providers people may sign
	// in with, in the order the sign-in page offers them.
	IdentityProviders []SSOIdentityProvider
}

// SSOIdentityProvider is one OIDC identity provider of the sign-in page
// (authorization code flow with PKCE).
type SSOIdentityProvider struct {
	// Name identifies the provider in assignments ("idp:NAME") and on the
	// sign-in page's URLs: [a-z0-9-]{1,32}.
	Name string
	// DisplayName is what the sign-in page's button says; "" means Name.
	DisplayName string
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecretFile are Brevet's registration with the
	// provider; a public client (PKCE only) has no secret file.
	ClientID         string
	ClientSecretFile string
	// Scopes asked for; default openid, email, profile.
	Scopes []string
	// UsernameClaim names the person in assignments and in role session
	// names; default "email".
	UsernameClaim string
	// GroupsClaim holds the person's groups; "" for none.
	GroupsClaim string
	// CAFile holds extra CAs to trust for the provider's TLS, "" for the
	// system's.
	CAFile string
}

// Bounds of SSO's lifetimes (docs/sso.md).
const (
	MinSSOSessionDuration     = 15 * time.Minute
	MaxSSOSessionDuration     = 7 * 24 * time.Hour
	MinSSOAccessTokenDuration = 5 * time.Minute
	MaxSSOAccessTokenDuration = time.Hour
	MinSSORoleSessionDuration = 15 * time.Minute
	MaxSSORoleSessionDuration = 12 * time.Hour
	// DefaultSSOUsernameClaim names a provider's users unless
	// username_claim says otherwise.
	DefaultSSOUsernameClaim = "email"
)

// DefaultSSOScopes are the scopes asked of a provider unless scopes says
// otherwise.
var DefaultSSOScopes = []string{"openid", "email", "profile"}

// providerNames lists the identity providers as NAME=ISSUER.
func (s SSO) providerNames() string {
	var b strings.Builder
	for i, p := range s.IdentityProviders {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Name + "=" + p.Issuer)
	}
	return b.String()
}

type fileSSO struct {
	URL                 *string       `yaml:"url"`
	StartURLs           *[]string     `yaml:"start_urls"`
	SessionDuration     *string       `yaml:"session_duration"`
	AccessTokenDuration *string       `yaml:"access_token_duration"`
	RoleSessionDuration *string       `yaml:"role_session_duration"`
	IAMUsers            *bool         `yaml:"iam_users"`
	IdentityProviders   *[]fileSSOIdP `yaml:"identity_providers"`
}

type fileSSOIdP struct {
	Name             *string   `yaml:"name"`
	DisplayName      *string   `yaml:"display_name"`
	Issuer           *string   `yaml:"issuer"`
	ClientID         *string   `yaml:"client_id"`
	ClientSecretFile *string   `yaml:"client_secret_file"`
	Scopes           *[]string `yaml:"scopes"`
	UsernameClaim    *string   `yaml:"username_claim"`
	GroupsClaim      *string   `yaml:"groups_claim"`
	CAFile           *string   `yaml:"ca_file"`
}

// fileSSO takes the file's sso settings.
func (l *loader) fileSSO(f *fileSSO, set func(settingID, *string)) {
	if f == nil {
		return
	}
	set(sSSOURL, f.URL)
	if f.StartURLs != nil {
		l.put(sSSOStartURLs, value{list: *f.StartURLs, from: origin{layer: layerFile, name: l.filePath, line: l.lines[settings[sSSOStartURLs].key]}})
	}
	set(sSSOSessionDuration, f.SessionDuration)
	set(sSSOAccessTokenDuration, f.AccessTokenDuration)
	set(sSSORoleSessionDuration, f.RoleSessionDuration)
	if f.IAMUsers != nil {
		b := strconv.FormatBool(*f.IAMUsers)
		set(sSSOIAMUsers, &b)
	}
	if f.IdentityProviders != nil {
		l.ssoIdPs = *f.IdentityProviders
	}
}

// convertSSO checks single sign-on's settings and builds its identity
// providers.
func (l *loader) convertSSO(errs []error) (SSO, []error) {
	v := &l.vals
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	s := SSO{URL: strings.TrimSuffix(strings.TrimSpace(v[sSSOURL].str), "/")}
	if s.URL != "" {
		if msg := checkBrowserURL(s.URL, false); msg != "" {
			fail(sSSOURL, msg+", such as https://sso.example.com")
		}
	}
	for _, u := range v[sSSOStartURLs].list {
		if msg := checkBrowserURL(u, true); msg != "" {
			fail(sSSOStartURLs, msg+", such as https://sso.example.com/start")
		}
		s.StartURLs = append(s.StartURLs, u)
	}
	dur := func(id settingID, lo, hi time.Duration) time.Duration {
		d, err := time.ParseDuration(strings.TrimSpace(v[id].str))
		if err != nil || d < lo || d > hi {
			fail(id, fmt.Sprintf("%q is not a duration from %s to %s; the default is %s", v[id].str, fmtDur(lo), fmtDur(hi), settings[id].def))
		}
		return d
	}
	s.SessionDuration = dur(sSSOSessionDuration, MinSSOSessionDuration, MaxSSOSessionDuration)
	s.AccessTokenDuration = dur(sSSOAccessTokenDuration, MinSSOAccessTokenDuration, MaxSSOAccessTokenDuration)
	s.RoleSessionDuration = dur(sSSORoleSessionDuration, MinSSORoleSessionDuration, MaxSSORoleSessionDuration)
	var err error
	if s.IAMUsers, err = strconv.ParseBool(strings.TrimSpace(v[sSSOIAMUsers].str)); err != nil {
		fail(sSSOIAMUsers, fmt.Sprintf("%q is not a boolean; use true or false", v[sSSOIAMUsers].str))
	}
	seen := map[string]bool{}
	for i, f := range l.ssoIdPs {
		p, msgs := fileIdP(f)
		key := fmt.Sprintf("sso.identity_providers[%d]", i)
		at := l.atItem(key, key+".name", "name", "issuer", "client_id")
		for _, m := range msgs {
			errs = append(errs, &Error{Setting: key, Source: at, Msg: m})
		}
		if seen[p.Name] && p.Name != "" {
			errs = append(errs, &Error{Setting: key + ".name", Source: at,
				Msg: fmt.Sprintf("%q names two identity providers; give each its own name", p.Name)})
		}
		seen[p.Name] = true
		s.IdentityProviders = append(s.IdentityProviders, p)
	}
	return s, errs
}

// fmtDur writes d as an operator would: 168h, 1h, 15m.
func fmtDur(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

var idpNameRE = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// fileIdP checks one of the file's identity providers and applies its
// defaults. The secret and CA files must be readable now, so that a typo
// is found at start and not at the first sign-in; the node reads them.
func fileIdP(f fileSSOIdP) (SSOIdentityProvider, []string) {
	p := SSOIdentityProvider{Name: fileStr(f.Name), DisplayName: fileStr(f.DisplayName), Issuer: strings.TrimSuffix(fileStr(f.Issuer), "/"),
		ClientID: fileStr(f.ClientID), ClientSecretFile: fileStr(f.ClientSecretFile), Scopes: slices.Clone(DefaultSSOScopes),
		UsernameClaim: fileStr(f.UsernameClaim), GroupsClaim: fileStr(f.GroupsClaim), CAFile: fileStr(f.CAFile)}
	if f.Scopes != nil {
		p.Scopes = *f.Scopes
	}
	if p.DisplayName == "" {
		p.DisplayName = p.Name
	}
	if p.UsernameClaim == "" {
		p.UsernameClaim = DefaultSSOUsernameClaim
	}
	var msgs []string
	if !idpNameRE.MatchString(p.Name) {
		msgs = append(msgs, fmt.Sprintf("name %q must be 1 to 32 lower-case letters, digits and dashes (for example keycloak)", p.Name))
	}
	if u, err := url.Parse(p.Issuer); err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		msgs = append(msgs, fmt.Sprintf("issuer %q is not an issuer URL; give the provider's https URL without query or fragment, "+
			"such as https://idp.example.com/realms/staff", p.Issuer))
	}
	if p.ClientID == "" {
		msgs = append(msgs, "client_id is missing: give the client id Brevet is registered under at the provider")
	}
	if !slices.Contains(p.Scopes, "openid") {
		msgs = append(msgs, fmt.Sprintf("scopes %q must include openid", p.Scopes))
	}
	for _, sc := range p.Scopes {
		if sc == "" || strings.ContainsAny(sc, " \t\"") {
			msgs = append(msgs, fmt.Sprintf("scopes: %q is not a scope", sc))
		}
	}
	for _, file := range []struct{ key, path string }{{"client_secret_file", p.ClientSecretFile}, {"ca_file", p.CAFile}} {
		if file.path == "" {
			continue
		}
		if _, err := os.Stat(file.path); err != nil {
			msgs = append(msgs, fmt.Sprintf("%s: cannot read it: %v", file.key, err))
		}
	}
	return p, msgs
}

// checkBrowserURL checks a URL people's browsers open: https, or http on
// a loopback host (browsers keep Secure cookies there); a path only when
// withPath.
func checkBrowserURL(s string, withPath bool) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Sprintf("%q is not a URL; give an https URL without query or fragment", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); !(h == "localhost" || ip != nil && ip.IsLoopback()) {
			return fmt.Sprintf("%q is plain http off loopback; sign-in cookies need https", s)
		}
	default:
		return fmt.Sprintf("%q is not an https URL", s)
	}
	if !withPath && u.Path != "" && u.Path != "/" {
		return fmt.Sprintf("%q has a path; the sign-in pages are served at the root of the server (/start, /sso/...); give the base URL only", s)
	}
	return ""
}
