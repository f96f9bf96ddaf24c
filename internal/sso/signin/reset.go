package signin

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso"
)

// A password to reset is changed on the sign-in page, after the second
// factor, when the user may change their own password: the account's
// password policy lets users do so (AllowUsersToChangePassword), or the
// user's policies allow iam:ChangePassword on their own user, as AWS's
// console requires. The change is IAM's ChangePassword itself.

// actionChangePassword names a change of password at sign-in in the
// audit trail.
const actionChangePassword = "ChangePassword"

// Error codes of refused changes.
const codePolicy = "PasswordPolicyViolation"

// mayChangePassword reports whether the user may change their own
// password.
func (h *Handler) mayChangePassword(r *http.Request, id sso.Identity, arn string) (bool, error) {
	ok, err := h.cfg.Users.SelfServicePasswords(r.Context(), id.Account)
	if err != nil || ok || h.cfg.Authorizer == nil {
		return ok, err
	}
	d, err := h.cfg.Authorizer.Authorize(r.Context(), &request.AuthzRequest{Principal: userPrincipal(id, arn), Action: "iam:ChangePassword",
		Resource: arn, Now: h.cfg.Now(), SourceIP: request.SourceIP(r), UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil})
	return d.Allowed, err
}

// userPrincipal is the IAM user id signed in as, as IAM's actions see a
// caller.
func userPrincipal(id sso.Identity, arn string) *identity.Principal {
	return &identity.Principal{Type: identity.IAMUser, Account: id.Account, CallerARN: arn, PrincipalID: id.UserID,
		UserName: id.UserName, UserID: id.UserID}
}

// showReset shows the change-password form.
func (h *Handler) showReset(w http.ResponseWriter, r *http.Request, status int, s *session, next, msg string) {
	h.render(w, r, status, pagePassword, &page{Title: "Change your password", Error: msg, CSRF: s.CSRF, Next: next,
		UserName: s.Pending.Identity.UserName})
}

// signinChangePassword changes the password of a user whose password and
// second factor verified, then signs them in.
func (h *Handler) signinChangePassword(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	s := h.session(r, now)
	next := localNext(r.PostFormValue("next"))
	if !h.cfg.IAMUsers || !h.checkPost(r, s) || s.Pending == nil || !s.Pending.Reset || !s.Pending.Verified {
		h.badRequest(w, r)
		return
	}
	p := s.Pending
	ev := event{action: actionChangePassword, start: now, principal: principalOf(&p.Identity, p.ARN),
		params: map[string]any{"accountId": p.Identity.Account, "userName": p.Identity.UserName}}
	again := func(status int, msg string) func() { return func() { h.showReset(w, r, status, s, next, msg) } }
	if !h.lim.source(r, now) || !h.lim.user(p.Identity.Account, p.Identity.UserName, now) {
		h.refuse(w, r, ev, codeThrottled, http.StatusTooManyRequests, again(http.StatusTooManyRequests, msgThrottled))
		return
	}
	oldPW, newPW := r.PostFormValue("old_password"), r.PostFormValue("new_password")
	if subtle.ConstantTimeCompare([]byte(newPW), []byte(r.PostFormValue("confirm_password"))) != 1 {
		h.showReset(w, r, http.StatusBadRequest, s, next, "The new passwords do not match.")
		return
	}
	err := h.changePassword(r.Context(), p, oldPW, newPW, now)
	var violation *iam.PasswordPolicyViolationError
	var invalid *iam.ValidationError
	switch {
	case errors.Is(err, request.ErrWrongSecret):
		h.refuse(w, r, ev, codeFailed, http.StatusUnauthorized, again(http.StatusUnauthorized, "The current password is wrong."))
		return
	case errors.As(err, &violation):
		h.refuse(w, r, ev, codePolicy, http.StatusBadRequest, again(http.StatusBadRequest, "The new password does not meet the account's password policy: "+violation.Reason+"."))
		return
	case errors.As(err, &invalid):
		h.refuse(w, r, ev, codePolicy, http.StatusBadRequest, again(http.StatusBadRequest, "Give the current password and a new one."))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.signedIn(w, r, ev, p.Identity, p.ARN, next, now)
}

// changePassword is IAM's ChangePassword for the pending user.
func (h *Handler) changePassword(ctx context.Context, p *pending, oldPW, newPW string, now time.Time) error {
	_, err := h.cfg.Passwords.ChangePassword(ctx, userPrincipal(p.Identity, p.ARN), &iamapi.ChangePasswordRequest{OldPassword: oldPW, NewPassword: newPW}, now)
	return err
}
