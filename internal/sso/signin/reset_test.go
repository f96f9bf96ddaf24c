package signin_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
)

// mustReset marks the user's password to be reset.
func (e *env) mustReset(name string) {
	e.t.Helper()
	lp, err := e.st.LoginProfiles().Get(ctx, acct, name)
	must(e.t, err)
	lp.ResetRequired = true
	must(e.t, e.st.LoginProfiles().Update(ctx, lp))
}

// TestPasswordResetAtSignIn: a user whose password must be reset, and who
// may change it (the account's password policy lets users), gives the MFA
// code first, then changes the password with IAM's rules (the current
// one, the policy), and is signed in; the new password works from then
// on and the reset is cleared.
func TestPasswordResetAtSignIn(t *testing.T) {
	e := newEnv(t)
	must(t, e.st.PasswordPolicies().Put(ctx, iam.PasswordPolicy{Account: acct, MinimumLength: 12, AllowUsersToChangePassword: true}))
	seed := e.user("dave", true)
	e.mustReset("dave")
	b := e.browser()
	r := b.follow(b.get("/sso/device?user_code=" + e.userCode))
	next := r.field("next")
	r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {next}, "account": {acct}, "username": {"dave"}, "password": {pass}})
	if !strings.Contains(r.body, `name="code"`) {
		t.Fatalf("password: %d, want the MFA page first", r.StatusCode)
	}
	csrf := r.field("csrf")
	if r := b.post("/sso/signin/password", url.Values{"csrf": {csrf}, "next": {next}, "old_password": {pass}, "new_password": {"Brand-New-Passw0rd"},
		"confirm_password": {"Brand-New-Passw0rd"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a new password before the MFA code: %d, want 403", r.StatusCode)
	}
	r = b.post("/sso/signin/mfa", url.Values{"csrf": {csrf}, "next": {next}, "code": {totp.Code(seed, time.Now())}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `name="new_password"`) {
		t.Fatalf("MFA: %d, want the change-password page", r.StatusCode)
	}
	change := func(old, pw, confirm string) resp {
		return b.post("/sso/signin/password", url.Values{"csrf": {csrf}, "next": {next}, "old_password": {old}, "new_password": {pw}, "confirm_password": {confirm}})
	}
	for _, tt := range []struct {
		name, old, pw, confirm string
		status                 int
		text                   string
	}{
		{"wrong current password", "Wrong-Horse-9-battery", "Brand-New-Passw0rd", "Brand-New-Passw0rd", 401, "current password is wrong"},
		{"confirmation differs", pass, "Brand-New-Passw0rd", "Brand-New-Passw0rx", 400, "do not match"},
		{"too short for the policy", pass, "Short-1", "Short-1", 400, "minimum length of 12"},
	} {
		if r := change(tt.old, tt.pw, tt.confirm); r.StatusCode != tt.status || !strings.Contains(r.body, tt.text) {
			t.Errorf("%s: %d, want %d with %q", tt.name, r.StatusCode, tt.status, tt.text)
		}
	}
	r = change(pass, "Brand-New-Passw0rd", "Brand-New-Passw0rd")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != next {
		t.Fatalf("change: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.follow(r)
	b.post("/sso/device", url.Values{"csrf": {r.field("csrf")}, "user_code": {e.userCode}, "action": {"allow"}})
	if id, ok := e.approval(); !ok || id.UserName != "dave" || !id.MFA {
		t.Errorf("approved %v %+v", ok, id)
	}
	res, err := e.iam.VerifyPassword(ctx, acct, "dave", "Brand-New-Passw0rd", time.Now())
	if err != nil || res.ResetRequired {
		t.Errorf("the new password: %+v %v", res, err)
	}
	if _, err := e.iam.VerifyPassword(ctx, acct, "dave", pass, time.Now()); !errors.Is(err, iamservice.ErrBadPassword) {
		t.Errorf("the old password: %v, want ErrBadPassword", err)
	}
	want := []string{"PasswordSignIn:MFARequired", "MFASignIn:PasswordResetRequired", "ChangePassword:AuthenticationFailed",
		"ChangePassword:PasswordPolicyViolation", "ChangePassword:Success", "ApproveDevice:Success"}
	if d := cmp.Diff(want, e.audit.events()); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
	if txt := e.audit.text(); strings.Contains(txt, "Brand-New-Passw0rd") || strings.Contains(txt, pass) {
		t.Error("the audit trail holds a password")
	}
}

// TestPasswordResetByPolicy: without the password policy's leave, a user
// may change a password to reset only when their policies allow
// iam:ChangePassword on their own user; others are refused.
func TestPasswordResetByPolicy(t *testing.T) {
	e := newEnv(t)
	e.user("erin", false)
	e.user("carol", false)
	e.mustReset("erin")
	e.mustReset("carol")
	must(t, e.w.Inline(authztest.UserOwner(acct, "erin"), "change", authztest.Allow(iam.UserARN(acct, "/", "erin"), "iam:ChangePassword")))
	must(t, e.az.Sync(ctx))
	for name, want := range map[string]string{"erin": `name="new_password"`, "carol": "must be changed before you can sign in here"} {
		b := e.browser()
		r := b.get("/sso/signin?next=/start")
		r = b.post("/sso/signin", url.Values{"csrf": {r.field("csrf")}, "next": {"/start"}, "account": {acct}, "username": {name}, "password": {pass}})
		if !strings.Contains(r.body, want) {
			t.Errorf("%s: %d, want a page with %q", name, r.StatusCode, want)
		}
	}
}
