package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The single sign-on workloads (issue 17): the SSO portal's
// GetRoleCredentials with a person's access token, and SSO OIDC's
// CreateToken with the refresh_token grant, as the AWS CLI and SDKs renew
// their tokens. The sessions they use are made here as a person makes
// them: the authorization code grant with PKCE through Brevet's sign-in
// pages, with an IAM user's password.

// SSOSession is one sign-in session: its client's registration and its
// tokens. RefreshWorkload rotates RefreshToken as it goes.
type SSOSession struct {
	ClientID, ClientSecret    string
	AccessToken, RefreshToken string
}

// SSOSignIn is a person signing in to the server at base with an IAM
// user's password: one sign-in on the pages, then n authorizations of one
// registered client, each redeemed for its own session's tokens. The
// user must have no MFA device.
func SSOSignIn(ctx context.Context, hc *http.Client, base, account, user, password string, n int) ([]*SSOSession, error) {
	b := &browser{base: strings.TrimSuffix(base, "/"), cookies: map[string]string{}, hc: &http.Client{
		Transport: hc.Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	const redirect = "http://127.0.0.1:9/oauth/callback"
	var reg struct{ ClientID, ClientSecret string }
	if err := b.json(ctx, "/client/register", map[string]any{"clientName": "brevet-bench", "clientType": "public",
		"scopes": []string{"sso:account:access"}, "grantTypes": []string{"authorization_code", "refresh_token"},
		"redirectUris": []string{redirect}}, &reg); err != nil {
		return nil, err
	}
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {redirect}, "state": {"bench"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}, "scopes": {"sso:account:access"}}
	authorize := "/authorize?" + q.Encode()
	// Not signed in: /authorize sends the browser to the sign-in page.
	loc, _, err := b.get(ctx, authorize)
	if err != nil {
		return nil, err
	}
	_, page, err := b.get(ctx, loc)
	if err != nil {
		return nil, err
	}
	if _, _, err := b.post(ctx, "/sso/signin", url.Values{"csrf": {field(page, "csrf")}, "next": {field(page, "next")},
		"account": {account}, "username": {user}, "password": {password}}); err != nil {
		return nil, fmt.Errorf("loadgen: sign-in: %w", err)
	}
	out := make([]*SSOSession, n)
	for i := range out {
		_, page, err := b.get(ctx, authorize)
		if err != nil {
			return nil, err
		}
		if field(page, "request") == "" {
			return nil, errors.New("loadgen: sign-in: the authorization page has no consent form (did the sign-in fail?)")
		}
		loc, _, err := b.post(ctx, "/authorize", url.Values{"csrf": {field(page, "csrf")}, "request": {field(page, "request")}, "action": {"allow"}})
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(loc)
		if err != nil || u.Query().Get("code") == "" {
			return nil, fmt.Errorf("loadgen: sign-in: no code in the redirect %.100q", loc)
		}
		var tok struct{ AccessToken, RefreshToken string }
		if err := b.json(ctx, "/token", map[string]any{"clientId": reg.ClientID, "clientSecret": reg.ClientSecret,
			"grantType": "authorization_code", "code": u.Query().Get("code"), "redirectUri": redirect, "codeVerifier": verifier}, &tok); err != nil {
			return nil, err
		}
		out[i] = &SSOSession{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
	}
	return out, nil
}

// browser follows the sign-in pages' forms as a browser would, keeping
// their cookies (which are Secure: a cookie jar would not send them back
// over plain http, which a spawned server serves).
type browser struct {
	base    string
	hc      *http.Client
	cookies map[string]string
}

func (b *browser) do(req *http.Request) (location, body string, err error) {
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("loadgen: sign-in: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", fmt.Errorf("loadgen: sign-in: %w", err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	if resp.StatusCode >= 400 {
		return "", "", fmt.Errorf("loadgen: sign-in: %s %s: HTTP %d %s", req.Method, req.URL.Path, resp.StatusCode, ssoErrorCode(resp.Header, data))
	}
	return resp.Header.Get("Location"), string(data), nil
}

func (b *browser) get(ctx context.Context, path string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		return "", "", err
	}
	return b.do(req)
}

func (b *browser) post(ctx context.Context, path string, form url.Values) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// json POSTs in as JSON to an SSO OIDC action and decodes the answer.
func (b *browser) json(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, data, err := b.do(req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(data), out); err != nil {
		return fmt.Errorf("loadgen: %s: %w", path, err)
	}
	return nil
}

// field is the value of the page's hidden input name, "" when none.
func field(page, name string) string {
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// ssoErrorCode names a REST-JSON or OAuth error for a message.
func ssoErrorCode(h http.Header, body []byte) string {
	if c := h.Get("x-amzn-ErrorType"); c != "" {
		return c
	}
	return string(body[:min(len(body), 200)])
}

// GetRoleCredentialsWorkload is the SSO portal's GetRoleCredentials of
// role in account with the access token of s, the same request every
// time, as a fleet of CLIs renewing role credentials would send it.
func GetRoleCredentialsWorkload(s *SSOSession, account, role string) Workload {
	q := "/federation/credentials?" + url.Values{"account_id": {account}, "role_name": {role}}.Encode()
	return Workload{
		Action: ActionGetRoleCredentials,
		Build: func(ctx context.Context, endpoint string, _ int, _ uint64, _ time.Time) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+q, nil)
			if err == nil {
				req.Header.Set("x-amz-sso_bearer_token", s.AccessToken)
			}
			return req, err
		},
		Expect: []byte(`"sessionToken"`),
	}
}

// RefreshWorkload is SSO OIDC's CreateToken with the refresh_token grant:
// worker i refreshes sessions[i] with the refresh token its previous
// refresh returned (a refresh token is single use). There must be a
// session per worker.
func RefreshWorkload(sessions []*SSOSession) Workload {
	return Workload{
		Action: ActionRefresh,
		Build: func(ctx context.Context, endpoint string, worker int, _ uint64, _ time.Time) (*http.Request, error) {
			if worker >= len(sessions) {
				return nil, fmt.Errorf("no sign-in session for worker %d", worker)
			}
			s := sessions[worker]
			body, err := json.Marshal(map[string]string{"clientId": s.ClientID, "clientSecret": s.ClientSecret,
				"grantType": "refresh_token", "refreshToken": s.RefreshToken})
			if err != nil {
				return nil, err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/token", bytes.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		},
		Received: func(worker int, body []byte) {
			var out struct{ RefreshToken string }
			if json.Unmarshal(body, &out) == nil && out.RefreshToken != "" {
				sessions[worker].RefreshToken = out.RefreshToken
			}
		},
		Expect: []byte(`"refreshToken"`),
	}
}

// SSOTrustPolicy lets the SSO portal assume a role for the people it is
// assigned to.
const SSOTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sso.amazonaws.com"},` +
	`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`

// SetUpSSO makes what the SSO workloads need on the server: IAM user
// name with a new random password (its login profile created or
// replaced), role name trusting the portal, the role assigned to the
// user, and n sign-in sessions of the user (SSOSignIn). It returns the
// sessions.
func (c *Client) SetUpSSO(ctx context.Context, account, name string, n int) ([]*SSOSession, error) {
	password := "Bench-" + rand.Text()
	steps := []struct {
		service, action string
		params          url.Values
		update          string // the action that replaces what exists already
	}{
		{"iam", "CreateUser", url.Values{"UserName": {name}}, ""},
		{"iam", "CreateLoginProfile", url.Values{"UserName": {name}, "Password": {password}}, "UpdateLoginProfile"},
		{"iam", "CreateRole", url.Values{"RoleName": {name}, "AssumeRolePolicyDocument": {SSOTrustPolicy}}, ""},
		{"brevet", "CreateAccountAssignment", url.Values{"RoleName": {name}, "PrincipalType": {"USER"}, "PrincipalName": {name}}, ""},
	}
	for _, s := range steps {
		_, err := c.Call(ctx, s.service, s.action, s.params)
		if exists(err) && s.update != "" {
			_, err = c.Call(ctx, s.service, s.update, s.params)
		}
		if err != nil && !exists(err) {
			return nil, fmt.Errorf("loadgen: %s: %w", s.action, err)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	return SSOSignIn(ctx, hc, c.URL, account, name, password, n)
}
