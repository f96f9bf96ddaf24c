package console

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy/servicereference"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso"
)

// SignIn tells who signed in on the sign-in pages (*signin.Handler), and
// when.
type SignIn interface {
	SignedIn(r *http.Request) (id sso.Identity, arn string, ok bool)
	SignedInAt(r *http.Request) time.Time
}

// Sessions mints console sessions (*sts.Service); mfaAt is when the
// sign-in verified the user's second factor, the zero time for none.
type Sessions interface {
	ConsoleSession(p *identity.Principal, mfaAt time.Time, d time.Duration, now time.Time) (*stsapi.Credentials, credential.Claims, error)
}

// Revocations tells whether a session is revoked (*revocation.List).
type Revocations interface {
	Revoked(c *credential.Claims, now time.Time) bool
}

// Config assembles the console.
type Config struct {
	// Dispatcher serves the Query actions (IAM, STS, Brevet's) the pages
	// call in process.
	Dispatcher *awsquery.Dispatcher
	// Pipeline is the node's pipeline; ConsoleLogin runs through a copy
	// whose Authenticator is the sign-in pages' session.
	Pipeline *request.Pipeline
	SignIn   SignIn
	Sessions Sessions
	// Revocations refuses a console session to a sign-in older than a
	// revocation of its user's sessions: a new session would undo the
	// revocation. Nil checks none.
	Revocations Revocations
	// Sealer and Opener seal the console's cookies (the master keyring).
	Sealer credential.Sealer
	Opener credential.Opener
	// Region is the region the in-process requests are signed for.
	Region string
	// Reference is the Service Authorization Reference the policy
	// generator offers actions from; nil offers none (actions are typed).
	Reference *servicereference.Reference
	// Assignments, Roles and Issuer let a person who signed in with an
	// identity provider start a console session in a role assigned to
	// them (the SSO portal's assignments; the role session is minted for
	// the portal's service principal). Without them only IAM users can
	// sign in.
	Assignments Assignments
	Roles       Roles
	Issuer      Issuer
	// URL is the base URL browsers reach the console at (sso.url): a
	// POST whose Origin is its origin is accepted, as well as one from the
	// origin the request was sent to (behind a TLS-terminating proxy the
	// request arrives over plain HTTP). "" for none yet; SetURL sets it
	// once the server's own URL is known.
	URL string
	// Session is how long a console session lasts; default 1h, at most
	// sts.MaxConsoleSession.
	Session time.Duration
	// RoleSession is how long the console session of a person who signed
	// in with an identity provider lasts, capped by the role's maximum:
	// the SSO portal's role session duration (sso.role_session_duration),
	// so that the console does not outlast what the portal issues.
	// Session when 0.
	RoleSession time.Duration
	// Now and Rand default to time.Now and crypto/rand.
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// DefaultSession is how long a console session lasts.
const DefaultSession = time.Hour

// Handler serves the console. It is safe for concurrent use.
type Handler struct {
	cfg   Config
	login *request.Pipeline
	api   http.Handler
	mux   *http.ServeMux
	log   *slog.Logger
	gen   generating // dashboard.go: the findings reports being generated
	// origin is the configured URL's origin (SetURL), nil for none.
	origin atomic.Pointer[string]
}

// New checks cfg and builds the console.
func New(cfg Config) (*Handler, error) {
	if cfg.Dispatcher == nil || cfg.Pipeline == nil || cfg.SignIn == nil || cfg.Sessions == nil || cfg.Sealer == nil || cfg.Opener == nil {
		return nil, errors.New("console: Dispatcher, Pipeline, SignIn, Sessions, Sealer and Opener are required")
	}
	if cfg.Region == "" {
		return nil, errors.New("console: Region is required")
	}
	if cfg.Session <= 0 {
		cfg.Session = DefaultSession
	}
	if cfg.RoleSession <= 0 {
		cfg.RoleSession = cfg.Session
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
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if cfg.URL != "" {
		if err := h.SetURL(cfg.URL); err != nil {
			return nil, err
		}
	}
	login := *cfg.Pipeline
	login.Authenticator = loginAuthenticator{h: h}
	h.login = &login
	h.routes()
	return h, nil
}

// SetAPI gives the console the server's whole API handler, for the
// actions of protocols other than Query (CloudTrail's LookupEvents),
// which it calls in process, signed, as it calls the Query actions.
func (h *Handler) SetAPI(api http.Handler) { h.api = api }

// Handles reports whether r is for the console: /console and everything
// under /console/.
func Handles(r *http.Request) bool {
	p := r.URL.Path
	return p == "/console" || strings.HasPrefix(p, "/console/")
}

// csp is the pages' Content-Security-Policy: no inline script or style,
// nothing from elsewhere; images may be data: URLs (a virtual MFA
// device's QR code).
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP sets the headers every page carries and routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	if r.URL.Path == "/console" {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// routes builds the console's mux: the session's own routes here, each
// area's in its file.
func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /console/login", h.loginPage)
	m.HandleFunc("POST /console/login", h.loginPost)
	m.Handle("GET /console/static/", staticHandler())
	h.page(m, "GET /console/{$}", h.dashboard)
	h.page(m, "POST /console/signout", h.signout)
	h.usersRoutes(m)    // users.go
	h.groupsRoutes(m)   // groups.go
	h.rolesRoutes(m)    // roles.go
	h.policiesRoutes(m) // policies.go
	h.idpsRoutes(m)     // idps.go
	h.sessionsRoutes(m) // sessions.go
	h.auditRoutes(m)    // audit.go
	h.simRoutes(m)      // simulator.go
	m.HandleFunc("/console/", h.notFound)
	h.mux = m
}
