package signin_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/signin"
)

// idpStart begins a provider sign-in toward next and returns the
// provider's redirect back to the page (not yet followed).
func (b *browser) idpStart(next string) (start resp, callback *url.URL) {
	b.e.t.Helper()
	start = b.get("/sso/idp/corp/start?next=" + url.QueryEscape(next))
	if start.StatusCode != http.StatusFound {
		b.e.t.Fatalf("start: %d %s", start.StatusCode, start.body)
	}
	r := b.get(start.Header.Get("Location"))
	if r.StatusCode != http.StatusFound {
		b.e.t.Fatalf("provider's authorize: %d %s", r.StatusCode, r.body)
	}
	loc, err := r.Location()
	must(b.e.t, err)
	return start, loc
}

// TestIdPSignIn walks the provider path: PKCE, state and nonce to the
// provider, the code back, the ID token verified, the session set on a
// page that continues by meta refresh, then the device approved with the
// provider's user, groups and MFA.
func TestIdPSignIn(t *testing.T) {
	e := newEnv(t)
	e.idp.SignIn("sub-123", map[string]any{"email": "dana@example.com", "email_verified": true, "groups": []string{"eng", "oncall", "eng"}, "amr": []string{"pwd", "mfa"}})
	b := e.browser()
	next := "/sso/device?user_code=" + e.userCode
	start, cb := b.idpStart(next)
	wantCookie(t, start.Response, "__Host-brevet_sso_flow", http.SameSiteLaxMode)
	az, _ := url.Parse(start.Header.Get("Location"))
	q := az.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": clientID, "code_challenge_method": "S256",
		"redirect_uri": e.srv.URL + "/sso/idp/corp/callback", "scope": "openid email profile"} {
		if q.Get(k) != want {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 43 || len(q.Get("nonce")) < 43 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("authorize state/nonce/challenge too short: %v", q)
	}
	r := b.get(cb.String())
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `<meta http-equiv="refresh" content="0;url=/sso/device?user_code=`+e.userCode+`">`) {
		t.Fatalf("callback: %d\n%s", r.StatusCode, r.body)
	}
	wantCookie(t, r.Response, "__Host-brevet_sso", http.SameSiteStrictMode)
	r = b.get(next)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, e.userCode) {
		t.Fatalf("confirmation: %d", r.StatusCode)
	}
	b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"allow"}})
	got, ok := e.approval()
	want := sso.Identity{Source: "idp:corp", UserID: "sub-123", UserName: "dana@example.com", Groups: []string{"eng", "oncall"}, MFA: true}
	if d := cmp.Diff(want, got); !ok || d != "" {
		t.Errorf("approved %v (-want +got):\n%s", ok, d)
	}
	if d := cmp.Diff([]string{"IdentityProviderSignIn:Success", "ApproveDevice:Success"}, e.audit.events()); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	// The trail names the person as the portal's events do (docs/sso.md).
	for _, rec := range e.audit.recs {
		if rec.Principal == nil || rec.Principal.ARN() != "arn:aws:sso:::user/idp:corp/dana@example.com" {
			t.Errorf("%s: audited principal %#v, want arn:aws:sso:::user/idp:corp/dana@example.com", rec.Action, rec.Principal)
		}
	}
}

// TestIdPMustReject: a tampered state, a code from another round trip (its
// PKCE verifier does not match: the provider refuses), a replayed
// callback, a wrong nonce or audience, an unverified email, and the
// provider's refusal all fail without a session.
func TestIdPMustReject(t *testing.T) {
	e := newEnv(t)
	dana := map[string]any{"email": "dana@example.com", "email_verified": true}
	e.idp.SignIn("sub-123", dana)
	signedIn := func(b *browser) bool { return b.get("/sso/device?user_code="+e.userCode).StatusCode == http.StatusOK }
	withQuery := func(u *url.URL, k, v string) string {
		c := *u
		q := c.Query()
		q.Set(k, v)
		c.RawQuery = q.Encode()
		return c.String()
	}

	t.Run("tampered state", func(t *testing.T) {
		b := e.browser()
		_, cb := b.idpStart("/start")
		if r := b.get(withQuery(cb, "state", cb.Query().Get("state")+"x")); r.StatusCode != http.StatusBadRequest || signedIn(b) {
			t.Errorf("got %d, signed in %v", r.StatusCode, signedIn(b))
		}
	})
	t.Run("code of another round trip (PKCE verifier)", func(t *testing.T) {
		b := e.browser()
		_, cb1 := b.idpStart("/start")
		_, cb2 := b.idpStart("/start")
		r := b.get(withQuery(cb2, "code", cb1.Query().Get("code")))
		_, _, refusals := e.idp.FlowStats()
		if r.StatusCode != http.StatusUnauthorized || signedIn(b) || !slices.Contains(refusals, "PKCE verifier") {
			t.Errorf("got %d, signed in %v, provider refusals %q", r.StatusCode, signedIn(b), refusals)
		}
	})
	t.Run("replayed callback", func(t *testing.T) {
		b := e.browser()
		_, cb := b.idpStart("/start")
		if r := b.get(cb.String()); r.StatusCode != http.StatusOK {
			t.Fatalf("first callback: %d", r.StatusCode)
		}
		b2 := e.browser()
		b2.idpStart("/start") // a flow cookie of its own
		if r := b2.get(cb.String()); r.StatusCode != http.StatusBadRequest || signedIn(b2) {
			t.Errorf("the callback in another browser: %d", r.StatusCode)
		}
	})
	t.Run("no flow cookie", func(t *testing.T) {
		b := e.browser()
		_, cb := b.idpStart("/start")
		if r := e.browser().get(cb.String()); r.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d", r.StatusCode)
		}
	})
	for _, tt := range []struct {
		name   string
		mutate func(map[string]any)
	}{
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "not-the-nonce" }},
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }},
		{"wrong audience", func(c map[string]any) { c["aud"] = "someone-else" }},
		{"another's audience, our azp", func(c map[string]any) { c["aud"], c["azp"] = "someone-else", clientID }},
		{"our audience among others, another's azp", func(c map[string]any) { c["aud"], c["azp"] = []string{clientID, "someone-else"}, "someone-else" }},
		{"expired", func(c map[string]any) { c["exp"] = int64(1) }},
		{"email not verified", func(c map[string]any) { c["email_verified"] = false }},
		{"email_verified missing", func(c map[string]any) { delete(c, "email_verified") }},
		{"email_verified \"false\"", func(c map[string]any) { c["email_verified"] = "false" }},
		{"email_verified not a boolean", func(c map[string]any) { c["email_verified"] = 1 }},
		{"no username claim", func(c map[string]any) { delete(c, "email") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.idp.MutateIDToken(tt.mutate)
			defer e.idp.MutateIDToken(nil)
			b := e.browser()
			_, cb := b.idpStart("/start")
			if r := b.get(cb.String()); r.StatusCode != http.StatusUnauthorized || signedIn(b) {
				t.Errorf("got %d, signed in %v", r.StatusCode, signedIn(b))
			}
		})
	}
	t.Run("provider denies", func(t *testing.T) {
		e.idp.Deny()
		defer e.idp.SignIn("sub-123", dana)
		b := e.browser()
		_, cb := b.idpStart("/start")
		if r := b.get(cb.String()); r.StatusCode != http.StatusUnauthorized || signedIn(b) {
			t.Errorf("got %d", r.StatusCode)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		if r := e.browser().get("/sso/idp/nope/start"); r.StatusCode != http.StatusNotFound {
			t.Errorf("got %d", r.StatusCode)
		}
	})
	if txt := e.audit.text(); strings.Contains(txt, secret) {
		t.Errorf("the audit trail holds the client secret")
	}
}

// TestIdPPublicClient: a client without a secret redeems with PKCE and
// its client id only; email_verified may be the string "true" (as
// Cognito sends it).
func TestIdPPublicClient(t *testing.T) {
	e := newEnv(t, func(c *signin.Config) { c.Secrets = nil })
	e.idp.SetClient(clientID, "")
	e.idp.SignIn("sub-9", map[string]any{"email": "erin@example.com", "email_verified": "true", "groups": "solo"})
	b := e.browser()
	_, cb := b.idpStart("/start")
	if r := b.get(cb.String()); r.StatusCode != http.StatusOK {
		t.Fatalf("callback: %d %s", r.StatusCode, r.body)
	}
	r := b.get("/sso/device?user_code=" + e.userCode)
	b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"allow"}})
	if id, _ := e.approval(); id.UserName != "erin@example.com" || !slices.Equal(id.Groups, []string{"solo"}) || id.MFA {
		t.Errorf("approved %+v", id)
	}
}

// failingDiscovery fails every discovery request (as a provider that is
// down would) and counts them.
type failingDiscovery struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (f *failingDiscovery) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
		f.n.Add(1)
		return nil, errors.New("provider down")
	}
	return f.base.RoundTrip(r)
}

// TestIdPDownIsAskedOnce: while a provider's discovery fails, sign-in
// starts fail at once instead of each asking the provider again (and,
// holding the provider's lock, making the next ones wait behind it).
func TestIdPDownIsAskedOnce(t *testing.T) {
	var fd *failingDiscovery
	e := newEnv(t, func(c *signin.Config) {
		fd = &failingDiscovery{base: c.HTTPClient.Transport}
		c.HTTPClient = &http.Client{Transport: fd, Timeout: c.HTTPClient.Timeout}
	})
	b := e.browser()
	for i := range 5 {
		if r := b.get("/sso/idp/corp/start?next=/start"); r.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("start %d: %d", i, r.StatusCode)
		}
	}
	if got := fd.n.Load(); got != 1 {
		t.Errorf("the provider was asked %d times, want once", got)
	}
}
