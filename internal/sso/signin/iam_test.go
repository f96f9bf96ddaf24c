package signin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/ratelimit"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/signin"
)

// TestIAMUserSignIn walks the device page's whole path for an IAM user
// with a password and TOTP: sign-in, MFA, confirmation, approval; the
// approved identity carries the user's unique id and group ids, and
// the audit trail has each step and no secret.
func TestIAMUserSignIn(t *testing.T) {
	e := newEnv(t)
	seed := e.user("alice", true, "devs", "ops")
	b := e.browser()

	r := b.get("/sso/device?user_code=" + e.userCode)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/sso/signin?next="+url.QueryEscape("/sso/device?user_code="+e.userCode) {
		t.Fatalf("device page before sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.follow(r)
	if r.StatusCode != http.StatusOK || r.field("csrf") == "" || r.field("next") != "/sso/device?user_code="+e.userCode {
		t.Fatalf("sign-in page: %d csrf=%q next=%q", r.StatusCode, r.field("csrf"), r.field("next"))
	}
	wantCookie(t, r.Response, "__Host-brevet_sso", http.SameSiteStrictMode)
	r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {r.field("next")}, "account": {alias}, "username": {"ALICE"}, "password": {pass}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `name="code"`) {
		t.Fatalf("password: %d, want the MFA page", r.StatusCode)
	}
	code := totp.Code(seed, time.Now())
	r = b.post("/sso/signin/mfa", url.Values{"csrf": {r.field("csrf")}, "next": {r.field("next")}, "code": {code}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/sso/device?user_code="+e.userCode {
		t.Fatalf("MFA: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.follow(r)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "botocore-client-aws-cli") || !strings.Contains(r.body, e.userCode) {
		t.Fatalf("confirmation: %d %s", r.StatusCode, r.body)
	}
	r = b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"allow"}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "You allowed") {
		t.Fatalf("allow: %d", r.StatusCode)
	}
	got, ok := e.approval()
	if !ok {
		t.Fatal("the device was not approved")
	}
	u, err := e.st.Users().Get(ctx, acct, "alice")
	must(t, err)
	var groups []string
	for _, g := range []string{"devs", "ops"} {
		gr, err := e.st.Groups().Get(ctx, acct, g)
		must(t, err)
		groups = append(groups, gr.ID)
	}
	slices.Sort(groups)
	want := sso.Identity{Source: sso.SourceIAM, Account: acct, UserID: u.ID, UserName: "alice", Path: "/", Groups: groups, MFA: true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("approved identity (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"PasswordSignIn:MFARequired", "MFASignIn:Success", "ApproveDevice:Success"}, e.audit.events()); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	if txt := e.audit.text(); strings.Contains(txt, pass) || strings.Contains(txt, code) {
		t.Errorf("the audit trail holds a secret: %s", txt)
	}
	for _, rec := range e.audit.recs {
		p, ok := rec.Principal.(*identity.Principal)
		if !ok || p.Type != identity.IAMUser || p.UserID != u.ID || p.ARN() != u.ARN() || rec.Service != "signin" {
			t.Errorf("%s: audited as %s %#v", rec.Action, rec.Service, rec.Principal)
		}
	}
}

// TestIAMUserWithoutMFA: no device, no MFA page; the identity says no MFA.
func TestIAMUserWithoutMFA(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	b := e.browser()
	r := b.signIn(acct, "bob", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, e.userCode) {
		t.Fatalf("confirmation: %d", r.StatusCode)
	}
	b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"allow"}})
	if id, ok := e.approval(); !ok || id.MFA || id.UserName != "bob" || len(id.Groups) != 0 {
		t.Errorf("approved %v %+v; want bob without MFA or groups", ok, id)
	}
}

// TestIAMUserMustReject: wrong passwords, users and codes, a replayed
// code, a password to reset, and forms without their CSRF token or from
// another origin are all refused, with generic messages, and sign no one
// in.
func TestIAMUserMustReject(t *testing.T) {
	e := newEnv(t)
	seed := e.user("alice", true)
	e.user("carol", false)
	lp, err := e.st.LoginProfiles().Get(ctx, acct, "carol")
	must(t, err)
	lp.ResetRequired = true
	must(t, e.st.LoginProfiles().Update(ctx, lp))

	type form = url.Values
	tests := []struct {
		name       string
		account    string
		user, pw   string
		csrf       string // "" keeps the page's; "-" sends none
		origin     string // "" keeps the page's
		wantStatus int
		wantText   string
	}{
		{name: "wrong password", account: acct, user: "alice", pw: "Wrong-Horse-9-battery", wantStatus: 401, wantText: "account, user name or password is wrong"},
		{name: "unknown user", account: acct, user: "mallory", pw: pass, wantStatus: 401, wantText: "account, user name or password is wrong"},
		{name: "unknown account", account: "999988887777", user: "alice", pw: pass, wantStatus: 401, wantText: "account, user name or password is wrong"},
		{name: "password to reset", account: acct, user: "carol", pw: pass, wantStatus: 403, wantText: "must be changed"},
		{name: "no CSRF token", account: acct, user: "alice", pw: pass, csrf: "-", wantStatus: 403, wantText: "did not come from this page"},
		{name: "wrong CSRF token", account: acct, user: "alice", pw: pass, csrf: "AAAA", wantStatus: 403, wantText: "did not come from this page"},
		{name: "another origin", account: acct, user: "alice", pw: pass, origin: "https://evil.example", wantStatus: 403, wantText: "did not come from this page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			r := b.get("/sso/signin?next=/start")
			f := form{"csrf": {r.field("csrf")}, "next": {"/start"}, "account": {tt.account}, "username": {tt.user}, "password": {tt.pw}}
			switch tt.csrf {
			case "":
			case "-":
				f.Del("csrf")
			default:
				f.Set("csrf", tt.csrf)
			}
			if tt.origin != "" {
				b.origin = tt.origin
			}
			r = b.post("/sso/signin", f)
			if r.StatusCode != tt.wantStatus || !strings.Contains(r.body, tt.wantText) {
				t.Fatalf("got %d, want %d with %q:\n%s", r.StatusCode, tt.wantStatus, tt.wantText, r.body)
			}
			if r := b.get("/sso/device?user_code=" + e.userCode); r.StatusCode != http.StatusSeeOther {
				t.Errorf("signed in after a refusal: %d", r.StatusCode)
			}
		})
	}

	t.Run("wrong and replayed TOTP", func(t *testing.T) {
		code := totp.Code(seed, time.Now())
		mfa := func(b *browser, code string) resp {
			r := b.get("/sso/signin?next=/start")
			r = b.post("/sso/signin", form{"csrf": {r.field("csrf")}, "next": {"/start"}, "account": {acct}, "username": {"alice"}, "password": {pass}})
			return b.post("/sso/signin/mfa", form{"csrf": {r.field("csrf")}, "next": {"/start"}, "code": {code}})
		}
		wrong := "000000"
		if wrong == code {
			wrong = "111111"
		}
		b := e.browser()
		if r := mfa(b, wrong); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "code is wrong") {
			t.Fatalf("wrong code: %d", r.StatusCode)
		}
		if r := mfa(b, code); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("right code: %d", r.StatusCode)
		}
		b2 := e.browser()
		if r := mfa(b2, code); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("the same code again in its step: %d, want 401", r.StatusCode)
		}
		if r := b2.get("/sso/device?user_code=" + e.userCode); r.StatusCode != http.StatusSeeOther {
			t.Errorf("signed in with a replayed code: %d", r.StatusCode)
		}
		if r := b2.post("/sso/signin/mfa", form{"csrf": {"x"}, "code": {code}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("MFA without its CSRF token: %d", r.StatusCode)
		}
	})
}

// TestNextStaysLocal: a next that leaves the site becomes /start.
func TestNextStaysLocal(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil", "/%0d%0aSet-Cookie:x"} {
		b := e.browser()
		r := b.get("/sso/signin?next=" + url.QueryEscape(next))
		if got := r.field("next"); got != "/start" && next != "/%0d%0aSet-Cookie:x" {
			t.Errorf("next=%q: the form carries %q, want /start", next, got)
		}
		r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {next}, "account": {acct}, "username": {"bob"}, "password": {pass}})
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || (loc != "/start" && !strings.HasPrefix(loc, "/%")) {
			t.Errorf("next=%q: %d to %q, want /start", next, r.StatusCode, loc)
		}
	}
}

// TestSignInRateLimits: attempts per user and per source, and user-code
// entries per source, are refused past their budgets, even right ones.
func TestSignInRateLimits(t *testing.T) {
	slow := func(burst int) ratelimit.Rate { return ratelimit.Rate{PerSecond: 1e-6, Burst: burst} }
	e := newEnv(t, func(c *signin.Config) {
		c.Limits = signin.Limits{SignInPerUser: slow(3), SignInPerSource: slow(100), UserCodesPerSource: slow(2)}
	})
	e.user("bob", false)
	b := e.browser()
	attempt := func(account, pw string) int {
		r := b.get("/sso/signin?next=/start")
		return b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {"/start"}, "account": {account}, "username": {"bob"}, "password": {pw}}).StatusCode
	}
	// The account's id and its alias share the user's budget.
	got := []int{attempt(acct, "Wrong-1-password"), attempt(alias, "Wrong-2-password"), attempt(acct, "Wrong-3-password"), attempt(acct, pass), attempt(alias, pass)}
	if d := cmp.Diff([]int{401, 401, 401, 429, 429}, got); d != "" {
		t.Errorf("attempts per user (-want +got):\n%s", d)
	}
	if !slices.Contains(e.audit.events(), "PasswordSignIn:Throttling") {
		t.Errorf("the throttled attempt is not audited: %v", e.audit.events())
	}

	e2 := newEnv(t, func(c *signin.Config) { c.Limits = signin.Limits{UserCodesPerSource: slow(2)} })
	e2.user("bob", false)
	b2 := e2.browser()
	b2.signIn(acct, "bob", nil) // one entry
	codes := []int{b2.get("/sso/device?user_code=ZZZZ-ZZZZ").StatusCode, b2.get("/sso/device?user_code=" + e.userCode).StatusCode}
	if d := cmp.Diff([]int{404, 429}, codes); d != "" {
		t.Errorf("user codes per source (-want +got):\n%s", d)
	}
}

// wantCookie checks that r sets the cookie name as a __Host- cookie
// (Secure, Path=/, no Domain: no other host, such as a sibling
// subdomain, can set or overwrite it), HttpOnly, with SameSite same.
func wantCookie(t *testing.T, r *http.Response, name string, same http.SameSite) {
	t.Helper()
	if !strings.HasPrefix(name, "__Host-") {
		t.Errorf("cookie %s: want a __Host- name", name)
	}
	for _, c := range r.Cookies() {
		if c.Name != name {
			continue
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != same || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %s: HttpOnly=%v Secure=%v SameSite=%v Path=%q Domain=%q; want HttpOnly, Secure, %v, Path=/, no Domain",
				name, c.HttpOnly, c.Secure, c.SameSite, c.Path, c.Domain, same)
		}
		return
	}
	t.Errorf("no %s cookie set", name)
}

// TestOriginCheck: a form may come from the configured URL's origin or
// from the origin the browser sent it to, never from another site's.
func TestOriginCheck(t *testing.T) {
	e := newEnv(t, func(c *signin.Config) { c.URL = "https://brevet.example.com" })
	e.user("bob", false)
	for origin, want := range map[string]int{"": 303, "https://brevet.example.com": 303, e.srv.URL: 303,
		"https://evil.example": 403, "null": 403, strings.Replace(e.srv.URL, "https://", "http://", 1): 403} {
		b := e.browser()
		b.origin = origin
		r := b.get("/sso/signin?next=/start")
		r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {"/start"}, "account": {acct}, "username": {"bob"}, "password": {pass}})
		if r.StatusCode != want {
			t.Errorf("Origin %q: %d, want %d", origin, r.StatusCode, want)
		}
	}
}

// TestAuditHidesUnknownUserNames: a failed sign-in records the user name
// tried only when it names a user of the account, as AWS's ConsoleLogin
// events do; anything else (often a password typed into the wrong field)
// is recorded as hidden.
func TestAuditHidesUnknownUserNames(t *testing.T) {
	e := newEnv(t)
	e.user("bob", false)
	for _, tt := range []struct{ account, user, want string }{
		{acct, "bob", "bob"},
		{alias, "BOB", "BOB"},
		{acct, "Typed-My-Passw0rd!", signin.HiddenUserName},
		{"999999999999", "bob", signin.HiddenUserName},
	} {
		e.audit.recs = nil
		b := e.browser()
		r := b.get("/sso/signin?next=/start")
		r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {"/start"}, "account": {tt.account}, "username": {tt.user}, "password": {"Wrong-password-1"}})
		if r.StatusCode != http.StatusUnauthorized || len(e.audit.recs) != 1 {
			t.Fatalf("%s/%s: %d, %d records", tt.account, tt.user, r.StatusCode, len(e.audit.recs))
		}
		if got := e.audit.recs[0].RequestParameters["userName"]; got != tt.want {
			t.Errorf("%s/%s: audited userName %q, want %q", tt.account, tt.user, got, tt.want)
		}
	}
}
