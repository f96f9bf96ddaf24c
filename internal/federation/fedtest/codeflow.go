package fedtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// The authorization code flow of OIDCProvider, for testing a relying
// party (Brevet's SSO sign-in page) end to end:
//
//	GET  /authorize  response_type=code, client_id, redirect_uri, state,
//	                 nonce, code_challenge, code_challenge_method=S256.
//	                 No login form: it signs in the person SignIn set at
//	                 once and redirects (302) to redirect_uri?code=&state=
//	                 (or error=access_denied after Deny).
//	POST /token      grant_type=authorization_code, code, redirect_uri,
//	                 code_verifier; the client authenticates with
//	                 client_secret_basic or client_secret_post when it
//	                 has a secret, or sends client_id only when public.
//	                 A code works once, within a minute; the verifier must
//	                 hash (S256) to the challenge. Refusals are 400
//	                 {"error":"invalid_grant"} (or invalid_client, 401).
//	                 The ID token has iss, sub, aud, iat, exp (1 h),
//	                 nonce, and the person's claims.
type codeFlow struct {
	mu        sync.Mutex
	clientID  string
	secret    string
	sub       string
	claims    map[string]any
	deny      bool
	mutate    func(map[string]any)
	codes     map[string]*issuedCode
	redeemed  int
	refusals  []string
	authorize int
}

type issuedCode struct {
	clientID, redirectURI, challenge, nonce, sub string
	claims                                       map[string]any
	expires                                      time.Time
}

// SetClient registers the relying party: its client id and secret ("" for
// a public client).
func (p *OIDCProvider) SetClient(clientID, secret string) {
	p.flow.mu.Lock()
	defer p.flow.mu.Unlock()
	p.flow.clientID, p.flow.secret = clientID, secret
}

// SignIn sets the person the next authorizations sign in: the subject and
// more claims for the ID token (email, groups, amr...).
func (p *OIDCProvider) SignIn(sub string, claims map[string]any) {
	p.flow.mu.Lock()
	defer p.flow.mu.Unlock()
	p.flow.sub, p.flow.claims, p.flow.deny = sub, maps.Clone(claims), false
}

// Deny makes the next authorizations answer error=access_denied.
func (p *OIDCProvider) Deny() {
	p.flow.mu.Lock()
	defer p.flow.mu.Unlock()
	p.flow.deny = true
}

// MutateIDToken changes the claims of the ID tokens the token endpoint
// issues from now on (a wrong nonce, an expired token); nil stops.
func (p *OIDCProvider) MutateIDToken(f func(claims map[string]any)) {
	p.flow.mu.Lock()
	defer p.flow.mu.Unlock()
	p.flow.mutate = f
}

// FlowStats reports how many authorizations were answered and codes
// redeemed, and why the token endpoint refused what it refused.
func (p *OIDCProvider) FlowStats() (authorized, redeemed int, refusals []string) {
	p.flow.mu.Lock()
	defer p.flow.mu.Unlock()
	return p.flow.authorize, p.flow.redeemed, append([]string(nil), p.flow.refusals...)
}

func (p *OIDCProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := &p.flow
	f.mu.Lock()
	defer f.mu.Unlock()
	ru, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case err != nil || ru.Scheme == "" || q.Get("client_id") != f.clientID || f.clientID == "":
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		redirectError(w, r, ru, "invalid_request", q.Get("state"))
		return
	case f.deny:
		redirectError(w, r, ru, "access_denied", q.Get("state"))
		return
	}
	f.authorize++
	code := rand.Text()
	if f.codes == nil {
		f.codes = map[string]*issuedCode{}
	}
	f.codes[code] = &issuedCode{clientID: f.clientID, redirectURI: ru.String(), challenge: q.Get("code_challenge"),
		nonce: q.Get("nonce"), sub: f.sub, claims: maps.Clone(f.claims), expires: time.Now().Add(time.Minute)}
	v := ru.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	ru.RawQuery = v.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func redirectError(w http.ResponseWriter, r *http.Request, ru *url.URL, code, state string) {
	v := ru.Query()
	v.Set("error", code)
	v.Set("state", state)
	ru.RawQuery = v.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

func (p *OIDCProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f := &p.flow
	f.mu.Lock()
	refuse := func(status int, code, why string) {
		f.refusals = append(f.refusals, why)
		f.mu.Unlock()
		tokenError(w, status, code)
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != f.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(f.secret)) != 1 {
		refuse(http.StatusUnauthorized, "invalid_client", "client authentication")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		refuse(http.StatusBadRequest, "unsupported_grant_type", "grant type")
		return
	}
	c := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case c == nil || time.Now().After(c.expires):
		refuse(http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
		return
	case c.redirectURI != r.PostForm.Get("redirect_uri"):
		refuse(http.StatusBadRequest, "invalid_grant", "redirect_uri")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		refuse(http.StatusBadRequest, "invalid_grant", "PKCE verifier")
		return
	}
	f.redeemed++
	claims := p.Claims(c.sub, c.clientID, time.Now())
	if c.nonce != "" {
		claims["nonce"] = c.nonce
	}
	maps.Copy(claims, c.claims)
	if f.mutate != nil {
		f.mutate(claims)
	}
	f.mu.Unlock()
	idToken, err := p.sign(claims)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}
