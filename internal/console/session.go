package console

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/credential"
)

// Cookie names and the purposes their contents are sealed under. Like the
// sign-in pages' they are __Host- prefixed: a browser keeps them only
// when Secure, with Path=/ and no Domain, so no other host can plant one.
const (
	sessionCookie  = "__Host-brevet_console"
	flashCookie    = "__Host-brevet_console_flash"
	sessionPurpose = "console-session"
	flashPurpose   = "console-flash"
	// maxCookie keeps a cookie under what every browser stores.
	maxCookie = 3800
)

// session is a console session, sealed into the session cookie: the
// temporary credentials the pages call Brevet's APIs with, and who they
// belong to.
type session struct {
	AccessKeyID     string    `json:"ak"`
	SecretAccessKey string    `json:"sk"`
	SessionToken    string    `json:"st"`
	Expires         time.Time `json:"exp"`
	// CSRF is the token every form carries back.
	CSRF string `json:"csrf"`
	// Account, ARN and Name say who is signed in, for the pages' header
	// (the APIs decide what they may do).
	Account string `json:"acct"`
	ARN     string `json:"arn"`
	Name    string `json:"name"`
	MFA     bool   `json:"mfa,omitempty"`
	// IdP names the identity provider a person signed in with; "" for an
	// IAM user.
	IdP string `json:"idp,omitempty"`
}

// seal seals v for purpose as cookie-safe text.
func (h *Handler) seal(v any, purpose string) (string, error) {
	return credential.SealJSON(h.cfg.Sealer, purpose, v)
}

// open opens what seal sealed for purpose into v.
func (h *Handler) open(s, purpose string, v any) error {
	return credential.OpenJSON(h.cfg.Opener, purpose, s, 2*maxCookie, v)
}

// session returns the browser's valid console session, or nil.
func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	var s session
	if h.open(c.Value, sessionPurpose, &s) != nil || !h.cfg.Now().Before(s.Expires) || s.CSRF == "" || s.AccessKeyID == "" {
		return nil
	}
	return &s
}

// errCookieTooLarge: the session does not fit in a cookie.
var errCookieTooLarge = errors.New("console: the session does not fit in a cookie")

// setSession seals s into the session cookie: HttpOnly, Secure,
// SameSite=Strict, Path=/, for the browser's session only.
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

// EndSession ends the browser's console session, if r carries one: its
// credentials are revoked and the browser drops the cookie. The sign-in
// pages' sign-out ("signed out of Brevet in this browser") ends it too,
// so that the next person at the browser is asked to sign in.
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) {
	if s := h.session(r); s != nil {
		h.revokeSession(r, s)
	}
	clearCookie(w, sessionCookie)
}

// revokeSession revokes the console session's own access key id
// (RevokeSessions, which a session may always call on itself), so that a
// copy of its cookie no longer works. A failure is logged: the cookie is
// dropped all the same.
func (h *Handler) revokeSession(r *http.Request, s *session) {
	_, err := call(h, r, s, brevetapi.RevokeSessions, url.Values{"AccessKeyId": {s.AccessKeyID}})
	if err != nil && !sessionEnded(err) {
		h.log.WarnContext(r.Context(), "console: sign-out could not revoke the session", "accessKeyId", s.AccessKeyID, "error", err)
	}
}

// clearCookie makes the browser drop a cookie.
func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// randomToken is 32 random bytes, base64url.
func randomToken(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// checkPost refuses a POST whose CSRF token is not the session's, or
// whose Origin (when the browser sends one) is neither the configured
// URL's origin (Config.URL, SetURL: the public https URL of a
// TLS-terminating proxy, which the request reached over plain HTTP) nor
// the origin the request was sent to.
func (h *Handler) checkPost(r *http.Request, s *session) bool {
	if !h.fromOwnOrigin(r) {
		return false
	}
	got := r.PostFormValue("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token") // the pages' own fetch() calls
	}
	return s != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// fromOwnOrigin reports whether r's Origin, when the browser sends one,
// is the origin r was sent to or the configured URL's.
func (h *Handler) fromOwnOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == requestOrigin(r) {
		return true
	}
	base := h.origin.Load()
	return base != nil && o == *base
}

// SetURL sets the base URL browsers reach the console at (sso.url, or
// the server's own when none is configured); a POST from its origin is
// accepted besides one from the origin the request was sent to.
func (h *Handler) SetURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("console: URL must be an http(s) base URL")
	}
	origin := u.Scheme + "://" + u.Host
	h.origin.Store(&origin)
	return nil
}

// requestOrigin is the origin r was sent to.
func requestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// setFlash leaves a one-line message for the next page the browser
// shows (after a POST's redirect): "User alice created."
func (h *Handler) setFlash(w http.ResponseWriter, msg string) {
	v, err := h.seal(msg, flashPurpose)
	if err != nil || len(v) > maxCookie {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// takeFlash reads and clears the flash message.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	clearCookie(w, flashCookie)
	var msg string
	if h.open(c.Value, flashPurpose, &msg) != nil {
		return ""
	}
	return msg
}

// localNext returns next when it is a console path, else /console/.
func localNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || len(next) > 2048 || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "/console/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.Contains(u.Path, "..") {
		return "/console/"
	}
	return next
}

// seeOther redirects to a console path after a POST, with a flash
// message when msg is not empty.
func (h *Handler) seeOther(w http.ResponseWriter, r *http.Request, path, msg string) error {
	if msg != "" {
		h.setFlash(w, msg)
	}
	http.Redirect(w, r, localNext(path), http.StatusSeeOther)
	return nil
}
