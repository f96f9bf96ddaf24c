package sso

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// maxState bounds the state an authorization request may carry back.
const maxState = 1024

// Authorize is a checked authorization request (the OAuth authorization
// endpoint, response_type=code with PKCE S256).
type Authorize struct {
	ClientID, RedirectURI, State, CodeChallenge string
	Scopes                                      []string
}

// AuthorizeError refuses an authorization request. When Redirect is set
// the error goes back to the client at Location (its redirect URI with
// error and state); otherwise the client or redirect URI itself is bad
// and the page shows the error, never redirecting.
type AuthorizeError struct {
	Redirect          bool
	Code, Description string
	// Location is where to send the browser when Redirect is set.
	Location string
}

func (e *AuthorizeError) Error() string { return "sso: authorize: " + e.Code + ": " + e.Description }

// codeDoc is an unredeemed authorization code, stored as a KindCode
// object under its nonce.
type codeDoc struct {
	Client    string   `json:"c"`
	Redirect  string   `json:"r"`
	Challenge string   `json:"ch"`
	Scopes    []string `json:"s"`
	Identity  Identity `json:"id"`
	Expires   int64    `json:"e"`
}

// codeClaims are sealed into the authorization code.
type codeClaims struct {
	Nonce   string `json:"n"`
	Client  string `json:"c"`
	Expires int64  `json:"e"`
}

// single returns q's only value of key; ok=false when it is repeated.
func single(q url.Values, key string) (string, bool) {
	vs := q[key]
	if len(vs) > 1 {
		return "", false
	}
	if len(vs) == 0 {
		return "", true
	}
	return vs[0], true
}

// CheckAuthorize checks an authorization request's query. Errors are
// *AuthorizeError.
func (s *Service) CheckAuthorize(q url.Values, now time.Time) (Authorize, error) {
	var a Authorize
	var ok bool
	if a.ClientID, ok = single(q, "client_id"); !ok || a.ClientID == "" {
		return a, &AuthorizeError{Code: "invalid_request", Description: "client_id is missing or repeated"}
	}
	c, err := s.clientByID(a.ClientID, now)
	if err != nil {
		return a, &AuthorizeError{Code: "invalid_client", Description: "Unknown or expired client"}
	}
	if a.RedirectURI, ok = single(q, "redirect_uri"); !ok || !c.redirectAllowed(a.RedirectURI) {
		return a, &AuthorizeError{Code: "invalid_request", Description: "redirect_uri is not one the client registered"}
	}
	if a.State, ok = single(q, "state"); !ok || len(a.State) > maxState {
		return a, &AuthorizeError{Code: "invalid_request", Description: "state is repeated or too long"}
	}
	refuse := func(code, desc string) (Authorize, error) {
		return a, &AuthorizeError{Redirect: true, Code: code, Description: desc, Location: withParams(a.RedirectURI, "error", code, "error_description", desc, "state", a.State)}
	}
	if rt, ok := single(q, "response_type"); !ok || rt != "code" {
		return refuse("unsupported_response_type", "response_type must be code")
	}
	if !c.grants(GrantAuthorizationCode) {
		return refuse("unauthorized_client", "The client is not registered for the authorization_code grant")
	}
	method, ok1 := single(q, "code_challenge_method")
	a.CodeChallenge, ok = single(q, "code_challenge")
	if !ok || !ok1 || method != "S256" || !validChallenge(a.CodeChallenge) {
		return refuse("invalid_request", "PKCE with code_challenge_method S256 is required")
	}
	scopes, ok := single(q, "scopes")
	if scopes == "" && ok {
		scopes, ok = single(q, "scope")
	}
	if !ok {
		return refuse("invalid_scope", "scopes is repeated")
	}
	a.Scopes = strings.FieldsFunc(scopes, func(r rune) bool { return r == ' ' || r == ',' })
	if len(a.Scopes) == 0 {
		a.Scopes = c.Scopes
	}
	if len(a.Scopes) > maxScopes || !subsetScopes(a.Scopes, c.Scopes) {
		return refuse("invalid_scope", "The scopes are not ones the client registered")
	}
	return a, nil
}

// validChallenge: an S256 challenge is the unpadded base64url of 32
// bytes.
func validChallenge(ch string) bool {
	b, err := base64.RawURLEncoding.DecodeString(ch)
	return err == nil && len(b) == sha256.Size
}

// withParams adds the pairs to u's query.
func withParams(u string, kv ...string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" || kv[i] != "state" {
			q.Set(kv[i], kv[i+1])
		}
	}
	p.RawQuery = q.Encode()
	return p.String()
}

// IssueCode issues an authorization code for a checked request and the
// person id, and returns where to send the browser: the redirect URI with
// code and state.
func (s *Service) IssueCode(ctx context.Context, a Authorize, id Identity, now time.Time) (string, error) {
	c, err := s.clientByID(a.ClientID, now)
	if err != nil || !c.redirectAllowed(a.RedirectURI) || !validChallenge(a.CodeChallenge) || !subsetScopes(a.Scopes, c.Scopes) {
		return "", &AuthorizeError{Code: "invalid_request", Description: "The authorization request is not valid"}
	}
	nonce, err := randomHex(s.cfg.Rand, 16)
	if err != nil {
		return "", err
	}
	doc := codeDoc{Client: c.Key, Redirect: a.RedirectURI, Challenge: a.CodeChallenge, Scopes: a.Scopes, Identity: id, Expires: now.Add(CodeLifetime).Unix()}
	body, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	o := store.Object{Account: s.cfg.InstanceAccount, Kind: KindCode, ID: nonce, Body: body, Created: now, Updated: now}
	if err := s.cfg.Objects.Create(ctx, o); err != nil {
		return "", err
	}
	code, err := s.seal(purposeAuthCode, codeClaims{Nonce: nonce, Client: c.Key, Expires: doc.Expires})
	if err != nil {
		return "", err
	}
	return withParams(a.RedirectURI, "code", code, "state", a.State), nil
}

// DenyAuthorize is where to send the browser when the person refuses:
// the redirect URI with error=access_denied and the state.
func (s *Service) DenyAuthorize(a Authorize) string {
	return withParams(a.RedirectURI, "error", "access_denied", "state", a.State)
}

// codeGrant redeems an authorization code, once: the client that asked
// for it, the same redirect URI, and the PKCE verifier of its challenge.
func (s *Service) codeGrant(ctx context.Context, c *client, in *CreateTokenInput, now time.Time) (*CreateTokenOutput, error) {
	if !c.grants(GrantAuthorizationCode) {
		return nil, oauthErr(UnauthorizedClient, "The client is not registered for the authorization_code grant", "")
	}
	var cc codeClaims
	if err := s.open(purposeAuthCode, in.Code, &cc); err != nil {
		return nil, oauthErr(InvalidGrant, "Invalid authorization code", "code does not open")
	}
	if subtle.ConstantTimeCompare([]byte(cc.Client), []byte(c.Key)) != 1 {
		return nil, oauthErr(InvalidGrant, "Invalid authorization code", "code of another client")
	}
	if now.Unix() >= cc.Expires {
		return nil, oauthErr(InvalidGrant, "The authorization code has expired", "expired")
	}
	o, err := s.cfg.Objects.Get(ctx, s.cfg.InstanceAccount, KindCode, cc.Nonce)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oauthErr(InvalidGrant, "Invalid authorization code", "code redeemed or gone")
	}
	if err != nil {
		return nil, err
	}
	// The Delete is the single use, whatever comes next: a code presented
	// with a wrong verifier or redirect URI is spent too.
	if err := s.cfg.Objects.Delete(ctx, o.Account, o.Kind, o.ID); errors.Is(err, store.ErrNotFound) {
		return nil, oauthErr(InvalidGrant, "Invalid authorization code", "code redeemed meanwhile")
	} else if err != nil {
		return nil, err
	}
	var doc codeDoc
	if json.Unmarshal(o.Body, &doc) != nil {
		return nil, oauthErr(InvalidGrant, "Invalid authorization code", "unreadable code")
	}
	if in.RedirectURI != doc.Redirect {
		return nil, oauthErr(InvalidGrant, "The redirect URI does not match the authorization request's", "")
	}
	if !pkceMatches(in.CodeVerifier, doc.Challenge) {
		return nil, oauthErr(InvalidGrant, "The code verifier does not match the code challenge", "")
	}
	return s.startSession(ctx, c, doc.Scopes, doc.Identity, now)
}

// pkceMatches checks a verifier (43 to 128 characters of RFC 7636's
// alphabet) against an S256 challenge, in constant time.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for i := range len(verifier) {
		b := verifier[i]
		if !('A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~') {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
