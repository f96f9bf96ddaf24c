package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/sso/portal"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Assignments says which roles a person who signed in with an identity
// provider may work in (*assign.Assignments): the SSO portal's
// assignments.
type Assignments interface {
	Grants(ctx context.Context, keys []string) ([]assign.Grant, error)
	Allowed(ctx context.Context, keys []string, account, role string) (bool, error)
}

// Roles loads roles (*authz.Authorizer).
type Roles interface {
	LoadRole(ctx context.Context, account, name string) (*authz.Role, error)
}

// Issuer mints role sessions for a service principal (*sts.Service).
type Issuer interface {
	ServiceSession(ctx context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error)
}

// The anti-forgery cookie of the role chooser: the sign-in pages' session
// holds a CSRF token the console cannot read, so the chooser's GET sets a
// token of its own, sealed with who it was shown to, for a few minutes.
const (
	loginCookie  = "__Host-brevet_console_login"
	loginPurpose = "console-login"
	loginLife    = 10 * time.Minute
)

// loginToken is the chooser cookie's content.
type loginToken struct {
	Token string    `json:"t"`
	Who   string    `json:"w"`
	Exp   time.Time `json:"exp"`
}

// personKey binds a chooser token to the person it was shown to.
func personKey(id sso.Identity) string {
	return id.Source + "\x00" + id.UserID + "\x00" + id.UserName
}

// idpLoginView is the role chooser's data.
type idpLoginView struct {
	Who    string
	Grants []assign.Grant
	Token  string
	Next   string
}

// idpLogin shows a person who signed in with an identity provider the
// account and role pairs assigned to them, to start a console session in
// one.
func (h *Handler) idpLogin(w http.ResponseWriter, r *http.Request, id sso.Identity, next string) {
	if _, ok := id.IdP(); !ok || h.cfg.Assignments == nil || h.cfg.Issuer == nil || h.cfg.Roles == nil {
		h.renderError(w, r, nil, &pageError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "Only IAM users can sign in to this console."})
		return
	}
	grants, err := h.cfg.Assignments.Grants(r.Context(), id.PrincipalKeys())
	if err != nil {
		h.renderError(w, r, nil, err)
		return
	}
	tok, err := randomToken(h.cfg.Rand)
	if err == nil {
		err = h.setLoginToken(w, &loginToken{Token: tok, Who: personKey(id), Exp: h.cfg.Now().Add(loginLife)})
	}
	if err != nil {
		h.renderError(w, r, nil, err)
		return
	}
	v := &idpLoginView{Who: id.ProviderUserARN(), Grants: grants, Token: tok, Next: next}
	_ = h.render(w, r, nil, http.StatusOK, "login_idp", "Choose a role", "", v)
}

// setLoginToken sets the chooser's cookie: t sealed for loginPurpose,
// for loginLife.
func (h *Handler) setLoginToken(w http.ResponseWriter, t *loginToken) error {
	v, err := h.seal(t, loginPurpose)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: v, Path: "/", MaxAge: int(loginLife / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	return nil
}

// checkLoginToken reports whether r's form carries the chooser token
// shown to id, still valid, and comes from this origin (or the
// configured URL's: fromOwnOrigin).
func (h *Handler) checkLoginToken(r *http.Request, id sso.Identity) bool {
	if !h.fromOwnOrigin(r) {
		return false
	}
	c, err := r.Cookie(loginCookie)
	if err != nil {
		return false
	}
	var t loginToken
	if h.open(c.Value, loginPurpose, &t) != nil || !h.cfg.Now().Before(t.Exp) || t.Who != personKey(id) || t.Token == "" {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(t.Token)) == 1
}

// loginPost starts the console session of the role a person who signed
// in with an identity provider chose on idpLogin's page.
func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	id, _, ok := h.cfg.SignIn.SignedIn(r)
	if _, idp := id.IdP(); !ok || !idp || !h.checkLoginToken(r, id) {
		h.renderError(w, r, nil, errBadRequest)
		return
	}
	clearCookie(w, loginCookie) // a token starts one session
	account, role := r.PostFormValue("AccountId"), r.PostFormValue("RoleName")
	if err := h.idpConsoleLogin(w, r, id, account, role); err != nil {
		h.renderError(w, r, nil, err)
		return
	}
	http.Redirect(w, r, localNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// idpPerson is ConsoleLogin's principal for a person who signed in with
// an identity provider, named as the SSO portal names them
// (arn:aws:sso:::user/idp:NAME/USERNAME). Its events go to the account
// whose role they chose, once the assignment is shown.
type idpPerson struct {
	id      sso.Identity
	account string
}

// ARN, AccountID and RecipientAccountID make idpPerson a
// request.Principal: named as the portal names people, of no account,
// its events going to the account of the role chosen.
func (p *idpPerson) ARN() string                { return p.id.ProviderUserARN() }
func (p *idpPerson) AccountID() string          { return "" }
func (p *idpPerson) RecipientAccountID() string { return p.account }

// errNotAssigned: the role chosen is not assigned to the person (or
// does not exist, which the page does not tell apart).
type errNotAssigned struct{ msg string }

// Error is the refusal as the page shows it.
func (e *errNotAssigned) Error() string { return e.msg }

// idpLoginCall is ConsoleLogin's part of the pipeline for a person: the
// assignment decides, then the role's trust policy (for the SSO
// service principal, as the portal's GetRoleCredentials).
type idpLoginCall struct {
	h             *Handler
	account, role string
	s             *session
}

// Route: the call is ConsoleLogin.
func (c *idpLoginCall) Route(_ context.Context, x *request.Exchange) error {
	x.Op = &loginOp
	return nil
}

// Decode: the form was read before the call (account and role).
func (c *idpLoginCall) Decode(context.Context, *request.Exchange) error { return nil }

// Target: the assignment and the role's trust policy decide, as for the
// portal's GetRoleCredentials; no identity policy is asked.
func (c *idpLoginCall) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{}, false, nil
}

// Act checks that the role is assigned to the person and exists, then
// mints its session for the portal's service principal (the role's trust
// policy decides), marked as the console's, and issues it.
func (c *idpLoginCall) Act(ctx context.Context, x *request.Exchange) error {
	p, ok := x.Principal.(*idpPerson)
	if !ok {
		return errNotSignedIn
	}
	cfg := &c.h.cfg
	refused := &errNotAssigned{msg: "Role " + c.role + " of account " + c.account + " is not assigned to " + p.ARN() + "."}
	if !accountIDPattern.MatchString(c.account) || c.role == "" || len(c.role) > 64 {
		return refused
	}
	ok, err := cfg.Assignments.Allowed(ctx, p.id.PrincipalKeys(), c.account, c.role)
	if err != nil {
		return err
	}
	if !ok {
		return refused
	}
	p.account = c.account
	role, err := cfg.Roles.LoadRole(ctx, c.account, c.role)
	if errors.Is(err, store.ErrNotFound) {
		return refused
	}
	if err != nil {
		return err
	}
	dur := min(cfg.RoleSession, time.Duration(role.MaxSessionDuration)*time.Second)
	who := portal.SessionName(p.id.UserName)
	ss, err := cfg.Issuer.ServiceSession(ctx, &sts.ServiceSessionInput{
		Service: portal.Principal, RoleARN: role.ARN(), SessionName: who, SourceIdentity: who,
		Duration: dur.Truncate(time.Second), SessionContext: map[string]string{identity.ConsoleContextKey: "true"},
		Facts: authz.Facts{Now: x.Start, SourceIP: x.SourceIP, UserAgent: x.HTTP.UserAgent(), SecureTransport: x.HTTP.TLS != nil},
	})
	if e, ok := errors.AsType[*sts.AccessDeniedError](err); ok {
		return &errNotAssigned{msg: "The trust policy of role " + c.role + " does not let the console (" + portal.Principal + ") assume it: " + e.Message}
	}
	if err != nil {
		return err
	}
	csrf, err := randomToken(cfg.Rand)
	if err != nil {
		return err
	}
	idp, _ := p.id.IdP()
	cr := ss.Credentials
	c.s = &session{
		AccessKeyID: cr.AccessKeyId, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken,
		Expires: cr.Expiration, CSRF: csrf, Account: c.account, ARN: ss.SessionARN,
		Name: role.Name + "/" + p.id.UserName, MFA: p.id.MFA, IdP: idp,
	}
	x.Issue(ss.Issuance(loginOp.Name, x.SourceIP))
	return nil
}

// idpConsoleLogin starts a console session in role of account for the
// person id, through the pipeline: one durable event (with the issuance)
// before the cookie is set.
func (h *Handler) idpConsoleLogin(w http.ResponseWriter, r *http.Request, id sso.Identity, account, role string) error {
	c := &idpLoginCall{h: h, account: strings.TrimSpace(account), role: strings.TrimSpace(role)}
	// The role asked for, as the portal's GetRoleCredentials records it
	// (Details other than MFAUsed are not recorded): a refused sign-in
	// says what was tried.
	params := map[string]any{"accountId": clip(c.account, 12), "roleName": clip(c.role, 64)}
	ctx, err, recErr := h.runLogin(r, c, id.MFA, params)
	if recErr != nil {
		return recErr
	}
	if na, ok := errors.AsType[*errNotAssigned](err); ok {
		return &pageError{Status: http.StatusForbidden, Code: "AccessDenied", Message: na.msg}
	}
	if err != nil {
		h.log.WarnContext(ctx, "console sign-in refused", "request_id", request.IDFromContext(ctx), "err", err)
		return awsquery.CodeAccessDenied.New("The console could not start a session for this sign-in. Sign in again.")
	}
	return h.setSession(w, c.s)
}

// clip cuts s to at most n bytes, on a rune boundary: a form's value
// recorded in the trail, bounded as the API bounds it.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
