package signin

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/sso"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// The pages.
const (
	pageStart         = "start"
	pageSignin        = "signin"
	pageMFA           = "mfa"
	pageDeviceForm    = "device_form"
	pageDeviceConfirm = "device_confirm"
	pageAuthorize     = "authorize"
	pageMessage       = "message"
	pagePassword      = "password"
)

// pages holds each page parsed with the layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{pageStart, pageSignin, pageMFA, pageDeviceForm, pageDeviceConfirm, pageAuthorize, pageMessage, pagePassword} {
		m[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

// page is what the templates read; each uses the fields it needs.
type page struct {
	Title, Error, Message string
	// Refresh, when set, is the local path the page continues to.
	Refresh        string
	Link, LinkText string
	CSRF, Next     string
	Identity       *sso.Identity
	IdP            string
	// Anonymous shows no signed-in identity (the sign-out page).
	Anonymous bool
	// Sign-in.
	IAM               bool
	Providers         []providerLink
	Account, UserName string
	// Device and authorization.
	UserCode, ClientName string
	Scopes               []string
	Request              string
}

// providerLink is one button of the sign-in page.
type providerLink struct{ DisplayName, URL string }

// render writes a page with status. A template that fails is a bug; the
// browser gets a bare 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if s := h.session(r, h.cfg.Now()); s != nil && p.Identity == nil && s.Identity != nil && !p.Anonymous {
		p.Identity = s.Identity
	}
	if p.Identity != nil {
		p.IdP, _ = p.Identity.IdP()
	}
	var b bytes.Buffer
	if err := pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "rendering a sign-in page", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail shows the generic failure page for an internal error, logging
// err (which never holds a secret).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "sign-in page failed", "path", r.URL.Path, "err", err)
	h.render(w, r, http.StatusServiceUnavailable, pageMessage, &page{Title: "Something went wrong",
		Message: "Brevet could not complete this step. Try again in a moment.", Link: "/start", LinkText: "Start again"})
}

// staticHandler serves the stylesheet.
func staticHandler() http.Handler {
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sso/static/style.css" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		http.ServeContent(w, r, "style.css", mod, bytes.NewReader(styleCSS))
	})
}
