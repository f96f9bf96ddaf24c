package signin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sts"
)

// The generic answers: they never say which part was wrong.
const (
	msgBadCredentials = "The account, user name or password is wrong, or this user cannot sign in here."
	msgBadCode        = "The code is wrong or was used already. Wait for the next code and try again."
	msgThrottled      = "Too many attempts. Wait a minute and try again."
	msgResetRequired  = "Your password must be changed before you can sign in here. Ask an administrator to set a new one (aws iam update-login-profile), or change it yourself with aws iam change-password if you have access keys, then sign in again."
	msgBadRequest     = "This form expired or did not come from this page. Go back, reload the page and try again."
)

// start is the start URL's page.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, pageStart, &page{Title: "Brevet single sign-on"})
}

// signinPage shows the IAM form and one button per provider; a signed-in
// browser goes on to next.
func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	next := localNext(r.URL.Query().Get("next"))
	s, err := h.ensureSession(w, r, now)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if s.Identity != nil {
		see(w, r, next)
		return
	}
	h.showSignin(w, r, http.StatusOK, s, next, "", "", "")
}

// showSignin shows the sign-in page with status: the IAM form (again
// filled with account and user after a refusal, with msg) and the
// providers' buttons, all continuing to next.
func (h *Handler) showSignin(w http.ResponseWriter, r *http.Request, status int, s *session, next, msg, account, user string) {
	p := &page{Title: "Sign in", Error: msg, CSRF: s.CSRF, Next: next, IAM: h.cfg.IAMUsers, Account: account, UserName: user}
	for _, idp := range h.cfg.IdPs {
		p.Providers = append(p.Providers, providerLink{DisplayName: idp.DisplayName,
			URL: "/sso/idp/" + idp.Name + "/start?next=" + url.QueryEscape(next)})
	}
	h.render(w, r, status, pageSignin, p)
}

// signinPassword checks an IAM user's password; a user with an MFA device
// goes on to the MFA page.
func (h *Handler) signinPassword(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	s := h.session(r, now)
	next := localNext(r.PostFormValue("next"))
	if !h.cfg.IAMUsers {
		h.render(w, r, http.StatusNotFound, pageMessage, &page{Title: "Not found", Message: "IAM users do not sign in here."})
		return
	}
	if !h.checkPost(r, s) {
		h.badRequest(w, r)
		return
	}
	account, user := strings.TrimSpace(r.PostFormValue("account")), strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	if len(account) > 64 || len(user) > 64 || len(password) > 512 {
		account, user, password = "", "", ""
	}
	ev := event{action: actionPassword, start: now, params: map[string]any{"accountId": account, "userName": user}}
	// A refusal records the user name only when it names a user: people
	// type passwords into the wrong field. Before the account is known
	// (a source over its budget) nothing is looked up.
	acct := ""
	refused := func(code string, status int, msg string) {
		ev.params["userName"] = h.triedUserName(r.Context(), acct, user)
		h.refuse(w, r, ev, code, status, func() { h.showSignin(w, r, status, s, next, msg, account, user) })
	}
	throttled := func() { refused(codeThrottled, http.StatusTooManyRequests, msgThrottled) }
	if !h.lim.source(r, now) {
		throttled()
		return
	}
	var err error
	acct, err = h.cfg.Users.AccountID(r.Context(), account)
	switch {
	case errors.Is(err, ErrUnknownAccount):
		acct = "" // VerifyPassword still spends a KDF verification: no timing tells
	case err != nil:
		h.fail(w, r, err)
		return
	}
	key := acct
	if key == "" {
		key = account
	}
	if !h.lim.user(key, user, now) {
		throttled()
		return
	}
	res, err := h.cfg.Passwords.VerifyPassword(r.Context(), acct, user, password, now)
	switch {
	case errors.Is(err, iamservice.ErrBadPassword), errors.Is(err, iamservice.ErrPasswordExpired), err == nil && acct == "":
		refused(codeFailed, http.StatusUnauthorized, msgBadCredentials)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	id, arn, err := h.cfg.Users.Identity(r.Context(), acct, res.UserName)
	if err != nil {
		refused(codeFailed, http.StatusUnauthorized, msgBadCredentials)
		return
	}
	ev.principal = principalOf(&id, arn)
	if res.ResetRequired {
		may, err := h.mayChangePassword(r, id, arn) // reset.go
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !may {
			h.refuse(w, r, ev, codeReset, http.StatusForbidden, func() {
				h.render(w, r, http.StatusForbidden, pageMessage, &page{Title: "Password change required", Message: msgResetRequired,
					Link: "/sso/signin?next=" + url.QueryEscape(next), LinkText: "Back to sign-in"})
			})
			return
		}
	}
	// An empty code checks nothing: it tells whether the user has a device.
	_, err = h.cfg.MFA.VerifyUserMFA(r.Context(), acct, res.UserName, "", now)
	var denied *sts.AccessDeniedError
	hasMFA := errors.As(err, &denied)
	if err != nil && !hasMFA {
		h.fail(w, r, err)
		return
	}
	if !hasMFA && !res.ResetRequired {
		h.signedIn(w, r, ev, id, arn, next, now)
		return
	}
	// A second step: the MFA code, then (or else) the new password.
	s.Pending = &pending{Identity: id, ARN: arn, Expires: now.Add(pendingMFA), Reset: res.ResetRequired, Verified: !hasMFA}
	outcome := "MFARequired"
	if !hasMFA {
		outcome = codeReset
	}
	if err := h.audit(r, withResponse(ev, outcome)); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.setSession(w, s); err != nil {
		h.fail(w, r, err)
		return
	}
	if hasMFA {
		h.render(w, r, http.StatusOK, pageMFA, &page{Title: "Multi-factor authentication", CSRF: s.CSRF, Next: next, UserName: id.UserName})
		return
	}
	h.showReset(w, r, http.StatusOK, s, next, "")
}

// HiddenUserName stands in the audit trail for a user name tried at
// sign-in that names no user of the account (AWS's ConsoleLogin events
// say the same).
const HiddenUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// triedUserName is the user name a refused sign-in records: user when it
// names a user of acct, else HiddenUserName.
func (h *Handler) triedUserName(ctx context.Context, acct, user string) string {
	if acct == "" || user == "" {
		return HiddenUserName
	}
	if ok, err := h.cfg.Users.Exists(ctx, acct, user); err != nil || !ok {
		return HiddenUserName
	}
	return user
}

// signinMFA checks the TOTP code of a user whose password verified.
func (h *Handler) signinMFA(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	s := h.session(r, now)
	next := localNext(r.PostFormValue("next"))
	if !h.cfg.IAMUsers || !h.checkPost(r, s) || s.Pending == nil || s.Pending.Verified {
		h.badRequest(w, r)
		return
	}
	p := s.Pending
	ev := event{action: actionMFA, start: now, principal: principalOf(&p.Identity, p.ARN),
		params: map[string]any{"accountId": p.Identity.Account, "userName": p.Identity.UserName}}
	again := func(status int, msg string) func() {
		return func() {
			h.render(w, r, status, pageMFA, &page{Title: "Multi-factor authentication", Error: msg, CSRF: s.CSRF, Next: next, UserName: p.Identity.UserName})
		}
	}
	if !h.lim.source(r, now) || !h.lim.user(p.Identity.Account, p.Identity.UserName, now) {
		h.refuse(w, r, ev, codeThrottled, http.StatusTooManyRequests, again(http.StatusTooManyRequests, msgThrottled))
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if len(code) > 16 {
		code = ""
	}
	used, err := h.cfg.MFA.VerifyUserMFA(r.Context(), p.Identity.Account, p.Identity.UserName, code, now)
	var denied *sts.AccessDeniedError
	switch {
	case errors.As(err, &denied) || err == nil && !used && code == "":
		h.refuse(w, r, ev, codeFailed, http.StatusUnauthorized, again(http.StatusUnauthorized, msgBadCode))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	id := p.Identity
	id.MFA = used
	if p.Reset { // the new password is still to come
		p.Identity, p.Verified = id, true
		if err := h.audit(r, withResponse(ev, codeReset)); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := h.setSession(w, s); err != nil {
			h.fail(w, r, err)
			return
		}
		h.showReset(w, r, http.StatusOK, s, next, "")
		return
	}
	h.signedIn(w, r, ev, id, p.ARN, next, now)
}

// signedIn audits a sign-in, starts the browser's session and goes on to
// next.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, ev event, id sso.Identity, arn, next string, now time.Time) {
	if err := h.audit(r, withResponse(ev, "Success")); err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.newSignedIn(w, id, arn, now); err != nil {
		h.fail(w, r, err)
		return
	}
	see(w, r, next)
}

// withResponse sets the event's outcome.
func withResponse(e event, outcome string) event {
	e.response = map[string]any{"result": outcome}
	return e
}

// refuse audits a refused attempt and shows its page; a trail that
// cannot take the event fails the request instead.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, e event, code string, status int, show func()) {
	e.errorCode, e.status = code, status
	if err := h.audit(r, e); err != nil {
		h.fail(w, r, err)
		return
	}
	show()
}

// badRequest answers a POST without a valid CSRF token or with a foreign
// Origin, and one out of its sequence.
func (h *Handler) badRequest(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, pageMessage, &page{Title: "Request refused", Message: msgBadRequest,
		Link: "/start", LinkText: "Start again"})
}

// signout ends the browser's sign-in.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	clearCookie(w, sessionCookie, "/", http.SameSiteStrictMode)
	h.render(w, r, http.StatusOK, pageMessage, &page{Title: "Signed out", Message: "You are signed out of Brevet in this browser.",
		Anonymous: true, Link: "/sso/signin?next=%2Fstart", LinkText: "Sign in again"})
}
