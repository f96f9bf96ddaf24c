package signin

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/sso"
)

// Cookie names and the purposes their contents are sealed under. The
// names are __Host- prefixed: a browser keeps such a cookie only when it
// is Secure, has Path=/ and no Domain, so that no other host (a sibling
// subdomain, a plain-http page of the same name) can set or shadow it to
// plant its own sign-in or flow in a victim's browser (login CSRF).
const (
	sessionCookie  = "__Host-brevet_sso"
	flowCookie     = "__Host-brevet_sso_flow"
	sessionPurpose = "sso-signin-session"
	flowPurpose    = "sso-signin-flow"
	requestPurpose = "sso-signin-authorize"
	// maxCookie keeps a cookie under what every browser stores (4096
	// bytes with its name and attributes).
	maxCookie = 3800
)

// session is the browser's sign-in, sealed into the session cookie. A visitor
// who has not signed in holds one too, for its CSRF token.
type session struct {
	// CSRF is the token every form carries back (double submit, bound to
	// this sealed cookie).
	CSRF string `json:"csrf"`
	// Identity is who signed in; nil until then.
	Identity *sso.Identity `json:"id,omitempty"`
	// ARN is the IAM user's, for the audit trail.
	ARN string `json:"arn,omitempty"`
	// Pending is an IAM user whose password verified and whose TOTP code
	// is still to come.
	Pending *pending `json:"pending,omitempty"`
	// Expires ends the session (and the pending step).
	Expires time.Time `json:"exp"`
	// Since is when Identity signed in: its password (and second
	// factor) verified, or its provider's answer arrived.
	Since time.Time `json:"since,omitzero"`
}

// pending is a password sign-in waiting for its second factor, or for
// the change of a password that must be reset.
type pending struct {
	Identity sso.Identity `json:"id"`
	ARN      string       `json:"arn"`
	Expires  time.Time    `json:"exp"`
	// Reset: the password must be changed before the sign-in completes.
	Reset bool `json:"reset,omitempty"`
	// Verified: the second factor (if any) verified; only the change of
	// password is left.
	Verified bool `json:"ok,omitempty"`
}

// pendingMFA is how long the MFA page waits for a code.
const pendingMFA = 5 * time.Minute

// flow is the state of one round trip to an identity provider, sealed
// into the flow cookie (SameSite=Lax, so that it comes back with the
// provider's redirect).
type flow struct {
	Provider string    `json:"idp"`
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Next     string    `json:"next"`
	Expires  time.Time `json:"exp"`
}

// flowLife is how long a person has to sign in at the provider.
const flowLife = 10 * time.Minute

// randomToken is 32 random bytes, base64url.
func randomToken(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// seal seals v for purpose as cookie-safe text.
func (h *Handler) seal(v any, purpose string) (string, error) {
	return credential.SealJSON(h.cfg.Sealer, purpose, v)
}

// open opens what seal sealed for purpose into v.
func (h *Handler) open(s, purpose string, v any) error {
	return credential.OpenJSON(h.cfg.Opener, purpose, s, 2*maxCookie, v)
}

// session returns the browser's valid session, or nil.
func (h *Handler) session(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	var s session
	if h.open(c.Value, sessionPurpose, &s) != nil || !now.Before(s.Expires) || s.CSRF == "" {
		return nil
	}
	if s.Pending != nil && !now.Before(s.Pending.Expires) {
		s.Pending = nil
	}
	return &s
}

// ensureSession returns the browser's session, or starts an anonymous one
// (a CSRF token only) and sets its cookie.
func (h *Handler) ensureSession(w http.ResponseWriter, r *http.Request, now time.Time) (*session, error) {
	if s := h.session(r, now); s != nil {
		return s, nil
	}
	csrf, err := randomToken(h.cfg.Rand)
	if err != nil {
		return nil, err
	}
	s := &session{CSRF: csrf, Expires: now.Add(h.cfg.Session)}
	return s, h.setSession(w, s)
}

// errCookieTooLarge: the identity does not fit in a cookie (a provider's
// groups claim too long).
var errCookieTooLarge = errors.New("signin: the sign-in does not fit in a cookie")

// setSession seals s into the session cookie: HttpOnly, Secure, SameSite=Strict,
// Path=/, for the browser's session only (no Max-Age; the sealed expiry
// decides).
func (h *Handler) setSession(w http.ResponseWriter, s *session) error {
	v, err := h.seal(s, sessionPurpose)
	if err != nil {
		return err
	}
	if len(v) > maxCookie {
		return errCookieTooLarge
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	return nil
}

// newSignedIn starts a fresh session for id (a new CSRF token: nothing of
// the anonymous session carries over).
func (h *Handler) newSignedIn(w http.ResponseWriter, id sso.Identity, arn string, now time.Time) (*session, error) {
	csrf, err := randomToken(h.cfg.Rand)
	if err != nil {
		return nil, err
	}
	s := &session{CSRF: csrf, Identity: &id, ARN: arn, Expires: now.Add(h.cfg.Session), Since: now}
	return s, h.setSession(w, s)
}

// clearCookie makes the browser drop a cookie.
func clearCookie(w http.ResponseWriter, name, path string, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: true, SameSite: sameSite})
}

// setFlow seals f into the flow cookie: HttpOnly, Secure, SameSite=Lax,
// Path=/ (as __Host- requires).
func (h *Handler) setFlow(w http.ResponseWriter, f *flow) error {
	v, err := h.seal(f, flowPurpose)
	if err != nil {
		return err
	}
	if len(v) > maxCookie {
		return errCookieTooLarge
	}
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: v, Path: "/", MaxAge: int(flowLife / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// takeFlow reads the flow cookie and clears it: a round trip is used once.
func (h *Handler) takeFlow(w http.ResponseWriter, r *http.Request, now time.Time) (*flow, bool) {
	c, err := r.Cookie(flowCookie)
	if err != nil {
		return nil, false
	}
	clearCookie(w, flowCookie, "/", http.SameSiteLaxMode)
	var f flow
	if h.open(c.Value, flowPurpose, &f) != nil || !now.Before(f.Expires) {
		return nil, false
	}
	return &f, true
}

// checkPost refuses a POST whose CSRF token is not the session's, or
// whose Origin (when the browser sends one) is neither the pages'
// configured origin nor the origin the request was sent to (the pages may
// be reached under more than one name).
func (h *Handler) checkPost(r *http.Request, s *session) bool {
	if o := r.Header.Get("Origin"); o != "" && o != h.base.Load().origin && o != requestOrigin(r) {
		return false
	}
	if s == nil {
		return false
	}
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// requestOrigin is the origin r was sent to.
func requestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// SignedIn returns who is signed in with the browser that sent r: the
// identity and, for an IAM user, its ARN. ok is false when nobody is (no
// session, an expired one, or one whose second factor or password change
// is still pending). Other handlers of the same site (the console,
// internal/console) start their own sessions from it.
func (h *Handler) SignedIn(r *http.Request) (id sso.Identity, arn string, ok bool) {
	s := h.session(r, h.cfg.Now())
	if s == nil || s.Identity == nil {
		return sso.Identity{}, "", false
	}
	return *s.Identity, s.ARN, true
}

// SignedInAt returns when the person signed in with the browser that
// sent r (the zero time when nobody is): the console dates the MFA of
// the sessions it starts from the sign-in (aws:MultiFactorAuthAge), not
// from when each was made.
func (h *Handler) SignedInAt(r *http.Request) time.Time {
	s := h.session(r, h.cfg.Now())
	switch {
	case s == nil || s.Identity == nil:
		return time.Time{}
	case s.Since.IsZero(): // sealed before sessions said: no later than a session's length before it ends
		return s.Expires.Add(-h.cfg.Session)
	}
	return s.Since
}
