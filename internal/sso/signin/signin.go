package signin

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso"
)

// Passwords checks an IAM user's password and changes one that must be
// reset (*iamservice.Service).
type Passwords interface {
	VerifyPassword(ctx context.Context, account, user, password string, now time.Time) (iamservice.SignIn, error)
	ChangePassword(ctx context.Context, p *identity.Principal, in *iamapi.ChangePasswordRequest, now time.Time) (*awsquery.Empty, error)
}

// MFA checks a TOTP code of an IAM user's MFA device (*sts.Service):
// false and no error when the user has none. An empty code is checked
// against nothing and counts no attempt.
type MFA interface {
	VerifyUserMFA(ctx context.Context, account, userName, code string, now time.Time) (used bool, err error)
}

// Users resolves IAM users for the pages (StoreUsers).
type Users interface {
	// AccountID returns the id of the account given by id or alias;
	// ErrUnknownAccount when there is none.
	AccountID(ctx context.Context, idOrAlias string) (string, error)
	// Identity returns the signed-in identity of a user: its unique id
	// and its groups' ids, and the user's ARN for the audit trail.
	Identity(ctx context.Context, account, userName string) (id sso.Identity, arn string, err error)
	// Exists reports whether the account has the user, at the cost of one
	// lookup either way (whether a refused sign-in records the name).
	Exists(ctx context.Context, account, userName string) (bool, error)
	// SelfServicePasswords reports whether the account's password policy
	// lets users change their own passwords.
	SelfServicePasswords(ctx context.Context, account string) (bool, error)
}

// ErrUnknownAccount: no account has that id or alias.
var ErrUnknownAccount = errors.New("signin: no such account")

// Config assembles the pages.
type Config struct {
	// Flows is the SSO OIDC service.
	Flows Flows
	// Passwords, MFA and Users serve IAM users' sign-in; IAMUsers turns
	// it on.
	Passwords Passwords
	MFA       MFA
	Users     Users
	IAMUsers  bool
	// Sealer and Opener seal the cookies (the master keyring).
	Sealer credential.Sealer
	Opener credential.Opener
	// IdPs are the identity providers, with their client secrets (read
	// from ClientSecretFile by the caller) in Secrets by name.
	IdPs    []config.SSOIdentityProvider
	Secrets map[string]string
	// HTTPClient reaches the providers; nil builds one per provider from
	// its CAFile (or the system's roots) with a 10 s timeout.
	HTTPClient *http.Client
	// URL is the https base URL browsers reach the pages at (config
	// sso.url): a POST's Origin may name its origin (or the origin the
	// request was sent to), and the providers' redirect URIs hang off it.
	// "" until SetURL gives the server's own.
	URL string
	// Limits are the rate limits; zero fields take DefaultLimits'.
	Limits Limits
	// Auditor records sign-in attempts and decisions; nil records
	// nothing (tests).
	Auditor request.Auditor
	// Authorizer, when set, decides whether a user whose password must
	// be reset may change it (iam:ChangePassword on their own user) when
	// the password policy does not let every user.
	Authorizer request.Authorizer
	// Session is how long a browser sign-in lasts; default 1h.
	Session time.Duration
	// Now and Rand default to time.Now and crypto/rand.
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// DefaultSession is how long a browser stays signed in to the pages.
const DefaultSession = time.Hour

// Handler serves the pages. It is safe for concurrent use.
type Handler struct {
	cfg  Config
	base atomic.Pointer[baseURL]
	idps map[string]*idp
	lim  limiters
	mux  *http.ServeMux
	log  *slog.Logger
}

// New checks cfg and builds the pages.
func New(cfg Config) (*Handler, error) {
	if cfg.Flows == nil || cfg.Sealer == nil || cfg.Opener == nil {
		return nil, errors.New("signin: Flows, Sealer and Opener are required")
	}
	if cfg.IAMUsers && (cfg.Passwords == nil || cfg.MFA == nil || cfg.Users == nil) {
		return nil, errors.New("signin: IAM users' sign-in needs Passwords, MFA and Users")
	}
	if cfg.Session <= 0 {
		cfg.Session = DefaultSession
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, lim: newLimiters(cfg.Limits), log: cfg.Logger}
	h.base.Store(&baseURL{})
	if cfg.URL != "" {
		if err := h.SetURL(cfg.URL); err != nil {
			return nil, err
		}
	}
	var err error
	if h.idps, err = newIdPs(cfg); err != nil { // idp.go
		return nil, err
	}
	h.routes()
	return h, nil
}

// baseURL is where browsers reach the pages.
type baseURL struct {
	url    string // no trailing slash
	origin string // scheme://host
}

// SetURL sets the base URL browsers reach the pages at, when the
// configuration names none and the server's own is known.
func (h *Handler) SetURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("signin: URL must be an http(s) base URL")
	}
	h.base.Store(&baseURL{url: strings.TrimSuffix(base, "/"), origin: u.Scheme + "://" + u.Host})
	return nil
}

// Handles reports whether r is for the pages: /start, /authorize,
// everything under /sso/ that is not the SSO APIs', and /favicon.ico,
// which browsers fetch beside every page.
func Handles(r *http.Request) bool {
	p := r.URL.Path
	return p == "/start" || p == "/authorize" || p == "/favicon.ico" || strings.HasPrefix(p, "/sso/")
}

// routes builds the pages' mux.
func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /start", h.start)
	m.HandleFunc("GET /sso/signin", h.signinPage)
	m.HandleFunc("POST /sso/signin", h.signinPassword)
	m.HandleFunc("POST /sso/signin/mfa", h.signinMFA)
	m.HandleFunc("POST /sso/signin/password", h.signinChangePassword) // reset.go
	m.HandleFunc("GET /sso/signout", h.signout)
	m.HandleFunc("GET /sso/device", h.devicePage)
	m.HandleFunc("POST /sso/device", h.deviceDecide)
	m.HandleFunc("GET /sso/idp/{name}/start", h.idpStart)
	m.HandleFunc("GET /sso/idp/{name}/callback", h.idpCallback)
	m.HandleFunc("GET /authorize", h.authorizePage)
	m.HandleFunc("POST /authorize", h.authorizeDecide)
	m.Handle("GET /sso/static/", staticHandler())
	m.HandleFunc("GET /favicon.ico", noIcon)
	h.mux = m
}

// ServeHTTP sets the headers every page carries and routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp(""))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// The callback's URL holds a code and a state: no Referer leaves the
	// site. Not no-referrer: under it browsers send "Origin: null" with
	// the forms' POSTs, which checkPost refuses.
	hd.Set("Referrer-Policy", "same-origin")
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.render(w, r, http.StatusNotFound, pageMessage, &page{Title: "Not found", Message: "There is no such page."})
		return
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	}
	h.mux.ServeHTTP(w, r)
}

// noIcon answers a browser's /favicon.ico: the pages have no icon. A 204
// (not a 404, nor the API's 400 for a request without an action) keeps the
// browser's console free of a failed load; the browser may cache it a day.
func noIcon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.WriteHeader(http.StatusNoContent)
}

// maxForm bounds a POSTed form: a password, a code and a sealed request
// fit many times over.
const maxForm = 16 << 10

// csp is the Content-Security-Policy of the pages; formTarget, when set,
// is one more origin a form may be sent to (the loopback redirect of the
// authorization page, which answers the POST with a redirect there).
func csp(formTarget string) string {
	fa := "'self'"
	if formTarget != "" {
		fa += " " + formTarget
	}
	return "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + fa + "; frame-ancestors 'none'; base-uri 'none'"
}

// maxNext bounds next: an /authorize request with its sealed client id
// fits.
const maxNext = 8 << 10

// localNext returns next when it is a path on this site, else /start.
// "//host" and "/\host" are other sites to a browser.
func localNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > maxNext || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "/start"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/start"
	}
	return next
}

// see is a 303 to a local path.
func see(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, localNext(path), http.StatusSeeOther)
}
