package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso"
)

// loginOp is ConsoleLogin, as the audit trail names the start of a
// console session (eventSource signin.amazonaws.com, as CloudTrail's).
// It issues credentials: the session is audited and indexed like any
// other, and can be listed and revoked.
var loginOp = request.Operation{
	Service: "signin", Version: "2026-12-06", Name: "ConsoleLogin",
	Action: "signin:ConsoleLogin", Effect: request.IssuesCredentials,
}

// errNotSignedIn: the browser has no sign-in the console can start from.
var errNotSignedIn = errors.New("console: not signed in on the sign-in pages")

// errSignInRevoked: the user's sessions were revoked after they signed in.
var errSignInRevoked = errors.New("console: the sign-in is older than a revocation of the user's sessions")

// errSignInEnded is errSignInRevoked (or the user gone) as the browser
// is told: the error page links to the sign-in pages' sign-out.
var errSignInEnded = &pageError{Status: http.StatusUnauthorized, Code: "SignInEnded",
	Message: "Your sign-in has ended: your sessions were revoked, or your user was deleted, after you signed in. Sign out, then sign in again to start a new console session."}

// loginAuthenticator authenticates ConsoleLogin by the sign-in pages'
// session: the IAM user who signed in with a password (and MFA).
type loginAuthenticator struct{ h *Handler }

// Authenticate is the principal the sign-in pages' session names: an
// IAM user, or a person of an identity provider (idplogin.go).
func (a loginAuthenticator) Authenticate(_ context.Context, req *request.AuthnRequest) (request.Principal, error) {
	id, arn, ok := a.h.cfg.SignIn.SignedIn(req.HTTP)
	if _, idp := id.IdP(); ok && idp {
		return &idpPerson{id: id}, nil // idplogin.go
	}
	if !ok || id.Source != sso.SourceIAM || arn == "" {
		return nil, errNotSignedIn
	}
	if a.h.signInRevoked(req.HTTP, arn, req.Now) {
		return userPrincipal(id, arn), errSignInRevoked // the trail names who was refused
	}
	return userPrincipal(id, arn), nil
}

// signInRevoked reports whether the sign-in r carries, of the IAM user
// arn, is older than a revocation of the user's sessions, as a session
// issued when the user signed in would be.
func (h *Handler) signInRevoked(r *http.Request, arn string, now time.Time) bool {
	if h.cfg.Revocations == nil {
		return false
	}
	c := credential.Claims{PrincipalARN: arn, SessionARN: arn, IssuedAt: h.cfg.SignIn.SignedInAt(r)}
	return h.cfg.Revocations.Revoked(&c, now)
}

// userPrincipal is the IAM user id names, as its long-term key would
// authenticate it.
func userPrincipal(id sso.Identity, arn string) *identity.Principal {
	return &identity.Principal{
		Type: identity.IAMUser, Account: id.Account, CallerARN: arn, PrincipalID: id.UserID,
		UserName: id.UserName, UserID: id.UserID,
	}
}

// loginCall is ConsoleLogin's part of the pipeline (request.Call).
type loginCall struct {
	h *Handler
	// mfaAt is when the sign-in verified the user's second factor; zero
	// without one.
	mfaAt time.Time
	s     *session // the new session, once issued
}

// mfa reports whether the user signed in with a second factor.
func (c *loginCall) mfa() bool { return !c.mfaAt.IsZero() }

// Route: the request is ConsoleLogin, whatever its address.
func (c *loginCall) Route(_ context.Context, x *request.Exchange) error {
	x.Op = &loginOp
	return nil
}

// Decode: ConsoleLogin has no parameters; the sign-in is its input.
func (c *loginCall) Decode(context.Context, *request.Exchange) error { return nil }

// Target: a console sign-in is authorized by the password (and MFA) that
// the sign-in pages verified, as AWS's is; no identity policy is asked.
func (c *loginCall) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{}, false, nil
}

// Act mints the console session for the signed-in user and notes its
// issuance, which the pipeline commits and audits.
func (c *loginCall) Act(ctx context.Context, x *request.Exchange) error {
	p, ok := x.Principal.(*identity.Principal)
	if !ok {
		return errNotSignedIn
	}
	creds, claims, err := c.h.cfg.Sessions.ConsoleSession(p, c.mfaAt, c.h.cfg.Session, x.Start)
	if err != nil {
		return err
	}
	// The user must still be the one who signed in (not deleted, nor
	// replaced by a namesake), as every request of the session will
	// check: the sign-in was made from the password alone, not looked up.
	if pc := c.h.login.Principals; pc != nil {
		sp := *p
		sp.Session = &claims
		if err := pc.CheckPrincipal(ctx, &sp, x.Start); err != nil {
			return err
		}
	}
	csrf, err := randomToken(c.h.cfg.Rand)
	if err != nil {
		return err
	}
	c.s = &session{
		AccessKeyID: creds.AccessKeyId, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken,
		Expires: creds.Expiration, CSRF: csrf, Account: p.Account, ARN: p.CallerARN, Name: p.UserName, MFA: c.mfa(),
	}
	x.Issue(request.Issuance{
		Kind: loginOp.Name, AccessKeyID: claims.AccessKeyID, Expires: claims.Expires, Issued: claims.IssuedAt,
		Account: p.Account, PrincipalARN: p.CallerARN, SessionARN: p.CallerARN, SourceIP: x.SourceIP,
	})
	return nil
}

// consoleLogin starts a console session for the IAM user signed in on the
// sign-in pages, through the pipeline: one durable event (with the
// issuance) before the cookie is set.
func (h *Handler) consoleLogin(w http.ResponseWriter, r *http.Request) error {
	c := &loginCall{h: h}
	if id, _, _ := h.cfg.SignIn.SignedIn(r); id.MFA {
		c.mfaAt = h.cfg.SignIn.SignedInAt(r)
	}
	ctx, err, recErr := h.runLogin(r, c, c.mfa(), nil)
	if recErr != nil {
		return recErr
	}
	if err != nil {
		h.log.WarnContext(ctx, "console sign-in refused", "request_id", request.IDFromContext(ctx), "err", err)
		if _, gone := errors.AsType[*authz.PrincipalGoneError](err); gone || errors.Is(err, errSignInRevoked) {
			return errSignInEnded
		}
		return awsquery.CodeAccessDenied.New("The console could not start a session for this sign-in. Sign in again.")
	}
	return h.setSession(w, c.s)
}

// runLogin takes the ConsoleLogin call c (an IAM user's or an identity
// provider's person's) through the pipeline, then makes its audit record
// durable (loginRecord, with params as its request parameters) before
// anything is answered. It returns the context the call ran under (with
// its request id, to log under) and the call's error. recErr is the
// page's answer when the record could not be made durable: the sign-in is
// then refused, whatever the call did.
func (h *Handler) runLogin(r *http.Request, c request.Call, mfa bool, params map[string]any) (ctx context.Context, err, recErr error) {
	ctx = request.WithRequestID(r.Context(), request.NewID())
	x := &request.Exchange{}
	x.Begin(r, request.IDFromContext(ctx), h.cfg.Now())
	err = h.login.Run(ctx, x, c)
	rec := h.loginRecord(x, mfa, err)
	rec.RequestParameters = params
	if h.login.Finish(ctx, rec) != nil {
		return ctx, err, awsquery.CodeServiceUnavailable.New("Service is unavailable. Please try again later.")
	}
	return ctx, err, nil
}

// loginRecord is ConsoleLogin's audit record, as CloudTrail's: whether
// the sign-in used MFA, and ConsoleLogin Success or Failure.
func (h *Handler) loginRecord(x *request.Exchange, mfa bool, err error) *request.Record {
	var rec request.Record
	status, code, msg := http.StatusOK, "", ""
	if err != nil {
		status, code, msg = http.StatusForbidden, "AccessDenied", "The console could not start a session."
	}
	x.Record(&rec, h.cfg.Now(), err, status, code, msg)
	mfaUsed, result := "No", "Success"
	if mfa {
		mfaUsed = "Yes"
	}
	if err != nil {
		result = "Failure"
	}
	rec.Details = map[string]string{"MFAUsed": mfaUsed}
	rec.ResponseElements = map[string]any{"ConsoleLogin": result}
	return &rec
}

// loginPage starts a console session from the sign-in pages' session, or
// sends the browser to sign in first. It changes nothing another site
// could exploit: without the SameSite=Strict sign-in cookie, which a
// cross-site navigation does not carry, it only redirects.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localNext(r.URL.Query().Get("next"))
	id, arn, ok := h.cfg.SignIn.SignedIn(r)
	if !ok {
		back := "/console/login?next=" + url.QueryEscape(next)
		http.Redirect(w, r, "/sso/signin?next="+url.QueryEscape(back), http.StatusSeeOther)
		return
	}
	if id.Source != sso.SourceIAM || arn == "" {
		h.idpLogin(w, r, id, next) // idps.go: choose an assigned role
		return
	}
	if err := h.consoleLogin(w, r); err != nil {
		h.renderError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signout ends the console session (its credentials are revoked, then
// the cookie dropped), then the sign-in pages' one. It is a POST with the
// CSRF token, so that another site cannot sign a person out.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request, s *session) error {
	h.revokeSession(r, s)
	clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/sso/signout", http.StatusSeeOther)
	return nil
}

// page registers a console page: it needs a console session (without
// one the browser is sent to sign in), a POST must carry the session's
// CSRF token, and an error the page returns is shown as the error page.
func (h *Handler) page(m *http.ServeMux, pattern string, fn func(w http.ResponseWriter, r *http.Request, s *session) error) {
	m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method != http.MethodGet {
				h.renderError(w, r, nil, errBadRequest)
				return
			}
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(localNext(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !h.checkPost(r, s) {
				h.renderError(w, r, s, errBadRequest)
				return
			}
		}
		if err := fn(w, r, s); err != nil {
			if sessionEnded(err) {
				// Revoked (or its user is gone): the browser must sign
				// in again, which starts a new, audited session.
				clearCookie(w, sessionCookie)
				h.renderError(w, r, nil, errSessionEnded)
				return
			}
			h.renderError(w, r, s, err)
		}
	})
}

// sessionEnded reports whether err says the console session's
// credentials no longer authenticate.
func sessionEnded(err error) bool {
	var we *awsquery.Error
	if !errors.As(err, &we) {
		return false
	}
	switch we.Code.Name {
	case "InvalidClientTokenId", "ExpiredToken":
		return true
	}
	return false
}

// errSessionEnded: the console session was revoked or has expired.
var errSessionEnded = &pageError{Status: http.StatusUnauthorized, Code: "SessionEnded",
	Message: "Your console session has ended: it was revoked, or it expired. Sign in again to start a new one."}

// maxForm bounds a form's body: room for a policy document of IAM's
// largest size, percent-encoded.
const maxForm = 1 << 20

// errBadRequest: a POST without the session's CSRF token, or from another
// origin.
var errBadRequest = &pageError{Status: http.StatusForbidden, Code: "InvalidCSRFToken",
	Message: "The form was refused: it did not come from this console page, or the page is too old. Go back, reload the page and try again."}
