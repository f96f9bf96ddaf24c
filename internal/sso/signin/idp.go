package signin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/sso"
)

// idp is one identity provider of the sign-in page: its settings, the
// endpoints its discovery document names, and the verifier of its ID
// tokens (package oidc: signature by the provider's JWKS, iss, aud, exp).
type idp struct {
	cfg      config.SSOIdentityProvider
	secret   string
	client   *http.Client
	verifier *oidc.Verifier

	mu        sync.Mutex
	endpoints *endpoints
	fetched   time.Time
	// retryAt and failure: the last discovery failed; until retryAt the
	// provider is not asked again (the known endpoints, if any, are kept).
	retryAt time.Time
	failure error
}

// endpoints are what the discovery document says of the code flow.
type endpoints struct {
	Issuer        string   `json:"issuer"`
	Authorization string   `json:"authorization_endpoint"`
	Token         string   `json:"token_endpoint"`
	AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
}

// Bounds of a provider's answers.
const (
	maxProviderBody  = 1 << 20
	providerTimeout  = 10 * time.Second
	discoveryMaxAge  = time.Hour
	discoveryRetry   = 10 * time.Second
	maxGroups        = 100
	maxClaimLength   = 256
	idpSignInTimeout = 15 * time.Second
)

// newIdPs builds each configured provider with its HTTP client and ID
// token verifier; nothing is fetched until the first sign-in.
func newIdPs(cfg Config) (map[string]*idp, error) {
	m := map[string]*idp{}
	for _, p := range cfg.IdPs {
		client := cfg.HTTPClient
		if client == nil {
			var err error
			if client, err = providerClient(p.CAFile); err != nil {
				return nil, fmt.Errorf("signin: identity provider %s: %w", p.Name, err)
			}
		}
		v, err := oidc.NewVerifier(oidc.Provider{URL: p.Issuer, ClientIDs: []string{p.ClientID}}, oidc.Config{HTTPClient: client})
		if err != nil {
			return nil, fmt.Errorf("signin: identity provider %s: %w", p.Name, err)
		}
		m[p.Name] = &idp{cfg: p, secret: cfg.Secrets[p.Name], client: client, verifier: v}
	}
	return m, nil
}

// providerClient trusts the system's roots and those of caFile.
func providerClient(caFile string) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	return &http.Client{Timeout: providerTimeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// discover returns the provider's endpoints, fetched at most once an
// hour. A failed fetch is not tried again for discoveryRetry: meanwhile
// the endpoints known before are used, or the failure is answered at
// once, so that a provider that is down or slow is not asked by every
// sign-in in turn (each waiting for the lock behind the one before). The
// fetch does not end with the request that started it: a browser that
// goes away must not count as the provider's failure.
func (p *idp) discover(ctx context.Context, now time.Time) (*endpoints, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.endpoints != nil && (now.Sub(p.fetched) < discoveryMaxAge || now.Before(p.retryAt)) {
		return p.endpoints, nil
	}
	if p.failure != nil && now.Before(p.retryAt) {
		return nil, p.failure
	}
	e, err := p.fetchEndpoints(context.WithoutCancel(ctx))
	if err != nil {
		p.retryAt, p.failure = now.Add(discoveryRetry), err
		if p.endpoints != nil {
			return p.endpoints, nil
		}
		return nil, err
	}
	p.endpoints, p.fetched, p.failure = e, now, nil
	return e, nil
}

// fetchEndpoints reads and checks the provider's discovery document.
func (p *idp) fetchEndpoints(ctx context.Context) (*endpoints, error) {
	var e endpoints
	if err := p.getJSON(ctx, p.cfg.Issuer+"/.well-known/openid-configuration", &e); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if strings.TrimSuffix(e.Issuer, "/") != p.cfg.Issuer {
		return nil, fmt.Errorf("discovery: issuer %q is not %q", e.Issuer, p.cfg.Issuer)
	}
	for _, u := range []string{e.Authorization, e.Token} {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" {
			return nil, fmt.Errorf("discovery: endpoint %q is not an https URL", u)
		}
	}
	return &e, nil
}

// getJSON GETs u from the provider into out: 200 only, at most
// maxProviderBody bytes, within providerTimeout.
func (p *idp) getJSON(ctx context.Context, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, maxProviderBody)).Decode(out)
}

// redirectURI is where the provider sends the browser back.
func (h *Handler) redirectURI(name string) string {
	return h.base.Load().url + "/sso/idp/" + name + "/callback"
}

// idpStart sends the browser to the provider: authorization code with
// PKCE S256, a fresh state and nonce, all kept in the flow cookie.
func (h *Handler) idpStart(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	p := h.idps[r.PathValue("name")]
	if p == nil {
		h.render(w, r, http.StatusNotFound, pageMessage, &page{Title: "Not found", Message: "There is no such identity provider."})
		return
	}
	if !h.lim.source(r, now) { // each start may fetch the provider's discovery document
		h.render(w, r, http.StatusTooManyRequests, pageMessage, &page{Title: "Sign-in failed", Message: msgThrottled})
		return
	}
	e, err := p.discover(r.Context(), now)
	if err != nil {
		h.fail(w, r, fmt.Errorf("identity provider %s: %w", p.cfg.Name, err))
		return
	}
	f := &flow{Provider: p.cfg.Name, Next: localNext(r.URL.Query().Get("next")), Expires: now.Add(flowLife)}
	for _, t := range []*string{&f.State, &f.Nonce, &f.Verifier} {
		if *t, err = randomToken(h.cfg.Rand); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.setFlow(w, f); err != nil {
		h.fail(w, r, err)
		return
	}
	sum := sha256.Sum256([]byte(f.Verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {p.cfg.ClientID},
		"redirect_uri":          {h.redirectURI(p.cfg.Name)},
		"scope":                 {strings.Join(p.cfg.Scopes, " ")},
		"state":                 {f.State},
		"nonce":                 {f.Nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	u, _ := url.Parse(e.Authorization) // checked by discover
	if u.RawQuery != "" {
		u.RawQuery += "&" + q.Encode()
	} else {
		u.RawQuery = q.Encode()
	}
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// idpCallback takes the provider's answer: the state must be the flow
// cookie's, the code is redeemed with the PKCE verifier, and the ID token
// must verify with the flow's nonce. The browser's session is set on a
// page that continues to next by a same-site navigation (so that the
// SameSite=Strict cookie goes with it).
func (h *Handler) idpCallback(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	name := r.PathValue("name")
	p := h.idps[name]
	ev := event{action: actionIdP, start: now, params: map[string]any{"identityProvider": name}}
	if p == nil {
		h.render(w, r, http.StatusNotFound, pageMessage, &page{Title: "Not found", Message: "There is no such identity provider."})
		return
	}
	failed := func(status int, reason string) {
		h.log.InfoContext(r.Context(), "identity provider sign-in refused", "idp", name, "reason", reason)
		ev.errorMsg = reason
		h.refuse(w, r, ev, codeFailed, status, func() {
			h.render(w, r, status, pageMessage, &page{Title: "Sign-in failed", Anonymous: true,
				Message: "The identity provider's sign-in could not be completed. Start again.", Link: "/sso/signin?next=%2Fstart", LinkText: "Sign in"})
		})
	}
	if !h.lim.source(r, now) {
		h.refuse(w, r, ev, codeThrottled, http.StatusTooManyRequests, func() {
			h.render(w, r, http.StatusTooManyRequests, pageMessage, &page{Title: "Sign-in failed", Message: msgThrottled, Anonymous: true})
		})
		return
	}
	q := r.URL.Query()
	f, ok := h.takeFlow(w, r, now)
	state := q.Get("state")
	switch {
	case !ok || f.Provider != name:
		failed(http.StatusBadRequest, "no sign-in in progress with this provider in this browser")
		return
	case state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1:
		failed(http.StatusBadRequest, "state does not match")
		return
	case q.Get("error") != "":
		failed(http.StatusUnauthorized, "the provider answered "+truncate(q.Get("error"), 64))
		return
	case q.Get("code") == "" || len(q.Get("code")) > 4096:
		failed(http.StatusBadRequest, "no code")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), idpSignInTimeout)
	defer cancel()
	id, err := p.redeem(ctx, h.redirectURI(name), q.Get("code"), f, now)
	if err != nil {
		failed(http.StatusUnauthorized, err.Error())
		return
	}
	ev.principal = principalOf(&id, "")
	ev.params["userName"] = id.UserName
	if err := h.audit(r, withResponse(ev, "Success")); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.newSignedIn(w, id, "", now); err != nil {
		if errors.Is(err, errCookieTooLarge) {
			h.render(w, r, http.StatusForbidden, pageMessage, &page{Title: "Sign-in failed", Anonymous: true,
				Message: "Your identity provider sent more groups than Brevet can hold. Ask an administrator to narrow the groups claim."})
			return
		}
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, pageMessage, &page{Title: "Signed in", Refresh: f.Next, Identity: &id,
		Message: "You are signed in.", Link: f.Next, LinkText: "Continue"})
}

// tokenResponse is the token endpoint's answer (RFC 6749 5.1, OIDC 3.1.3.3).
type tokenResponse struct {
	IDToken string `json:"id_token"`
	Error   string `json:"error"`
}

// redeem exchanges code for the ID token at the token endpoint and
// verifies it into the person's identity. Its errors name what failed,
// never a code, token or secret.
func (p *idp) redeem(ctx context.Context, redirectURI, code string, f *flow, now time.Time) (sso.Identity, error) {
	e, err := p.discover(ctx, now)
	if err != nil {
		return sso.Identity{}, err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {f.Verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Token, nil)
	if err != nil {
		return sso.Identity{}, err
	}
	switch {
	case p.secret == "":
		form.Set("client_id", p.cfg.ClientID) // a public client
	case slices.Contains(e.AuthMethods, "client_secret_post") && !slices.Contains(e.AuthMethods, "client_secret_basic"):
		form.Set("client_id", p.cfg.ClientID)
		form.Set("client_secret", p.secret)
	default:
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.secret)) // RFC 6749 2.3.1
	}
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return sso.Identity{}, fmt.Errorf("token endpoint: %w", err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxProviderBody)).Decode(&tr); err != nil && resp.StatusCode == http.StatusOK {
		return sso.Identity{}, fmt.Errorf("token endpoint: %w", err)
	}
	if resp.StatusCode != http.StatusOK || tr.IDToken == "" {
		return sso.Identity{}, fmt.Errorf("token endpoint refused the code: %s %s", resp.Status, truncate(tr.Error, 64))
	}
	vid, err := p.verifier.Verify(ctx, tr.IDToken, now)
	if err != nil {
		var oe *oidc.Error
		if errors.As(err, &oe) {
			return sso.Identity{}, errors.New("ID token: " + oe.Message)
		}
		return sso.Identity{}, fmt.Errorf("ID token: %w", err)
	}
	return p.identity(vid, f.Nonce)
}

// identity checks the audience as a relying party must (OIDC Core
// 3.1.3.7: aud contains our client id, and azp, when present, is it; the
// verifier alone also takes AWS's azp-only match) and the nonce, and reads
// the username and groups claims.
func (p *idp) identity(vid *oidc.Identity, nonce string) (sso.Identity, error) {
	if !slices.Contains(vid.Audience, p.cfg.ClientID) || vid.AuthorizedParty != "" && vid.AuthorizedParty != p.cfg.ClientID {
		return sso.Identity{}, errors.New("ID token: not issued to this client (aud, azp)")
	}
	got, _ := vid.Claims["nonce"].(string)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return sso.Identity{}, errors.New("ID token: nonce does not match")
	}
	user, _ := vid.Claims[p.cfg.UsernameClaim].(string)
	if user == "" || len(user) > maxClaimLength {
		return sso.Identity{}, fmt.Errorf("ID token: no usable %s claim", p.cfg.UsernameClaim)
	}
	if p.cfg.UsernameClaim == "email" && !emailVerified(vid.Claims["email_verified"]) {
		return sso.Identity{}, errors.New("ID token: email not verified")
	}
	id := sso.Identity{Source: sso.SourceIdPPrefix + p.cfg.Name, UserID: vid.Subject, UserName: user}
	if p.cfg.GroupsClaim != "" {
		switch g := vid.Claims[p.cfg.GroupsClaim].(type) {
		case string:
			id.Groups = []string{g}
		case []any:
			for _, v := range g {
				if s, ok := v.(string); ok && s != "" {
					id.Groups = append(id.Groups, s)
				}
			}
		}
	}
	if len(id.Groups) > maxGroups {
		return sso.Identity{}, fmt.Errorf("ID token: %d groups, at most %d", len(id.Groups), maxGroups)
	}
	for _, g := range id.Groups {
		if len(g) > maxClaimLength {
			return sso.Identity{}, errors.New("ID token: a group name is too long")
		}
	}
	slices.Sort(id.Groups)
	id.Groups = slices.Compact(id.Groups)
	for _, a := range vid.AMR {
		if a == "mfa" || a == "otp" {
			id.MFA = true
		}
	}
	return id, nil
}

// emailVerified reports whether the email_verified claim says true: the
// boolean, or the string "true" some providers send. A token without the
// claim does not vouch for the address (OIDC Core 5.1), and an address
// the person typed themselves must not name them in assignments.
func emailVerified(claim any) bool {
	switch v := claim.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// truncate bounds a provider's text before it reaches a log or a page.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
