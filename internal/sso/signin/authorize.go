package signin

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// sealedRequest is an authorization request carried, sealed, through the
// consent form: bound to the browser's session by its CSRF token.
type sealedRequest struct {
	Authorize Authorize `json:"a"`
	CSRF      string    `json:"csrf"`
	Expires   time.Time `json:"exp"`
}

// consentLife is how long the consent form stays good.
const consentLife = 10 * time.Minute

// authorizePage is the OAuth authorization endpoint of the CLI's loopback
// flow: it checks the request, sends a browser that is not signed in to
// sign in first, and asks the person to allow the client.
func (h *Handler) authorizePage(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	a, err := h.cfg.Flows.CheckAuthorize(r.URL.Query(), now)
	if err != nil {
		h.authorizeError(w, r, err)
		return
	}
	s := h.session(r, now)
	if s == nil || s.Identity == nil {
		see(w, r, "/sso/signin?next="+url.QueryEscape(r.URL.RequestURI()))
		return
	}
	sealed, err := h.seal(sealedRequest{Authorize: a, CSRF: s.CSRF, Expires: now.Add(consentLife)}, requestPurpose)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The POST is answered with a redirect to the loopback address: the
	// form's page must allow that target (CSP form-action covers it).
	w.Header().Set("Content-Security-Policy", csp(redirectOrigin(a.RedirectURI)))
	h.render(w, r, http.StatusOK, pageAuthorize, &page{Title: "Allow access", CSRF: s.CSRF, Request: sealed,
		ClientName: clientName(""), Scopes: a.Scopes})
}

// authorizeError shows a refused request on the page, or sends it to the
// client's redirect URI when the service says the URI is sound.
func (h *Handler) authorizeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *AuthorizeError
	if !errors.As(err, &ae) {
		h.fail(w, r, err)
		return
	}
	if ae.Redirect && redirectOrigin(ae.Location) != "" {
		http.Redirect(w, r, ae.Location, http.StatusFound)
		return
	}
	h.render(w, r, http.StatusBadRequest, pageMessage, &page{Title: "Request refused",
		Message: "The application's sign-in request is not valid (" + ae.Code + "). Start again from the application."})
}

// authorizeDecide allows (a code to the redirect URI) or denies
// (access_denied to it) the sealed request.
func (h *Handler) authorizeDecide(w http.ResponseWriter, r *http.Request) {
	now := h.cfg.Now()
	s := h.session(r, now)
	if !h.checkPost(r, s) || s.Identity == nil {
		h.badRequest(w, r)
		return
	}
	var req sealedRequest
	if h.open(r.PostFormValue("request"), requestPurpose, &req) != nil || !now.Before(req.Expires) ||
		subtle.ConstantTimeCompare([]byte(req.CSRF), []byte(s.CSRF)) != 1 {
		h.badRequest(w, r)
		return
	}
	ev := event{start: now, principal: principalOf(s.Identity, s.ARN), params: map[string]any{"clientId": req.Authorize.ClientID}}
	var redirect string
	switch r.PostFormValue("action") {
	case "allow":
		ev.action = actionAllowAuthorize
		var err error
		if redirect, err = h.cfg.Flows.IssueCode(r.Context(), req.Authorize, *s.Identity, now); err != nil {
			h.authorizeError(w, r, err)
			return
		}
	case "deny":
		ev.action = actionDenyAuthorize
		redirect = h.cfg.Flows.DenyAuthorize(req.Authorize)
	default:
		h.badRequest(w, r)
		return
	}
	if err := h.audit(r, withResponse(ev, "Success")); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

// cspHostRE is a host[:port] that can stand in a CSP source list as is:
// nothing that would end the source or the directive.
var cspHostRE = regexp.MustCompile(`^[A-Za-z0-9.\-\[\]:]+$`)

// redirectOrigin is the origin of a loopback redirect URI as a CSP source,
// "" when it is not one to trust.
func redirectOrigin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || !cspHostRE.MatchString(u.Host) {
		return ""
	}
	return "http://" + u.Host
}
