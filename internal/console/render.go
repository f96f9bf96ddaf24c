package console

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds each page's template, parsed with the layout and the
// shared partials (templates/_*.html, each defining named templates):
// templates/NAME.html defines "content" for page NAME.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, f := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		m[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", f))
	}
	return m
}()

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	// when formats a time as the pages show it (UTC, to the second).
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// ptime formats an optional time.
	"ptime": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "Never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// dict makes a map of its key, value arguments, to pass several
	// values to a partial: {{template "x" (dict "Name" "PolicyDocument" "Value" .Doc)}}.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: keys are strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	// epoch formats a CloudTrail timestamp (seconds since the epoch).
	"epoch": func(f float64) string {
		t := epochTime(f)
		if t.IsZero() {
			return "—"
		}
		return t.Format("2006-01-02 15:04:05 UTC")
	},
	// deref reads an optional string.
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}

// view is what the layout reads; Data is the page's own.
type view struct {
	Title string
	// Nav is the section the page belongs to ("users", "roles", ...),
	// marked as current in the navigation.
	Nav     string
	Session *session
	// Flash is a one-line message left by the POST before (setFlash).
	Flash string
	// Error is the failure the page shows.
	Error *pageError
	Data  any
}

// CSRF is the token every form carries.
func (v *view) CSRF() string {
	if v.Session == nil {
		return ""
	}
	return v.Session.CSRF
}

// render writes page name with status. A template that fails is a bug;
// the browser gets a bare 500 and the log says why.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, s *session, status int, name, title, nav string, data any) error {
	t := pages[name]
	if t == nil {
		return errors.New("console: no page " + name)
	}
	v := &view{Title: title, Nav: nav, Session: s, Data: data}
	if s != nil {
		v.Flash = h.takeFlash(w, r)
	}
	if pe, ok := data.(*pageError); ok {
		v.Error = pe
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		h.log.ErrorContext(r.Context(), "rendering a console page", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return nil
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}

// pageError is a failure as the error page shows it: the API's error
// code and message (an AccessDenied message names the action, the
// resource and why: the decoded reason), and the HTTP status.
type pageError struct {
	Status  int
	Code    string
	Message string
}

// Error is the code and the message.
func (e *pageError) Error() string { return e.Code + ": " + e.Message }

// Denied reports whether the error is a refusal by policy.
func (e *pageError) Denied() bool {
	return e.Code == "AccessDenied" || e.Code == "AccessDeniedException"
}

// asPageError turns an error a page returned into what the error page
// shows: an API's wire error as it is, anything else as a failure of the
// console (logged, never shown: it may hold internal detail).
func (h *Handler) asPageError(r *http.Request, err error) *pageError {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe
	}
	var we *awsquery.Error
	if errors.As(err, &we) {
		return &pageError{Status: we.Code.Status, Code: we.Code.Name, Message: we.Message}
	}
	h.log.ErrorContext(r.Context(), "console page failed", "path", r.URL.Path, "err", err)
	return &pageError{Status: http.StatusInternalServerError, Code: "InternalFailure",
		Message: "The console could not show this page. The server's log says why."}
}

// renderError shows err as the error page.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	pe := h.asPageError(r, err)
	title := "Something went wrong"
	switch {
	case pe.Denied():
		title = "You do not have permission"
	case pe.Status == http.StatusNotFound:
		title = "Not found"
	case pe.Status < 500:
		title = "The request was refused"
	}
	_ = h.render(w, r, s, pe.Status, "error", title, "", pe)
}

// formError reports whether err is one a form should show beside its
// fields (a validation or conflict error of the API) rather than as the
// error page: not a refusal by policy, not a failure of the server.
func formError(err error) (*pageError, bool) {
	var we *awsquery.Error
	if !errors.As(err, &we) {
		return nil, false
	}
	pe := &pageError{Status: we.Code.Status, Code: we.Code.Name, Message: we.Message}
	return pe, !pe.Denied() && pe.Status < 500
}

// notFound answers a console path nothing serves.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, h.session(r), &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "There is no console page at this address."})
}

// staticHandler serves the console's stylesheet and scripts.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/console/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
