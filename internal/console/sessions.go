package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
)

// sessionsRoutes registers the sessions pages.
func (h *Handler) sessionsRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/sessions", h.sessionsList)
	h.page(m, "POST /console/sessions/revoke", h.sessionsRevoke)
}

// sessionsView is the sessions page's data.
type sessionsView struct {
	Principal string
	All       bool // expired sessions too
	Sessions  []brevetapi.Session
	Limit     int
	// Now is the page's time, the revoke-before field's example.
	Now   time.Time
	Error *pageError
}

// Full reports whether the list may have been cut at Limit.
func (v *sessionsView) Full() bool { return len(v.Sessions) >= v.Limit }

// NowLocal is Now as a datetime-local field's value (UTC).
func (v *sessionsView) NowLocal() string { return v.Now.UTC().Format("2006-01-02T15:04:05") }

// sessionsList lists the temporary credentials issued in the account, of
// the principal ?principal= names (all when empty), the active ones
// unless ?show=all. ListSessions has no marker: the page shows the first
// PageSize.
func (h *Handler) sessionsList(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	v := &sessionsView{Principal: strings.TrimSpace(q.Get("principal")), All: q.Get("show") == "all", Limit: PageSize, Now: h.cfg.Now()}
	params := url.Values{"MaxItems": {strconv.Itoa(PageSize)}, "ActiveOnly": {strconv.FormatBool(!v.All)}}
	if v.Principal != "" {
		params.Set("PrincipalArn", v.Principal)
	}
	out, err := call(h, r, s, brevetapi.ListSessions, params)
	if err != nil {
		pe, ok := formError(err) // a principal that is not an ARN
		if !ok {
			return err
		}
		v.Error = pe
		return h.render(w, r, s, pe.Status, "sessions", "Sessions", "sessions", v)
	}
	v.Sessions = out.Sessions
	return h.render(w, r, s, http.StatusOK, "sessions", "Sessions", "sessions", v)
}

// sessionsRevoke revokes one session (AccessKeyId: it and every session
// made from it) or a principal's sessions issued before IssuedBefore
// (now when empty).
func (h *Handler) sessionsRevoke(w http.ResponseWriter, r *http.Request, s *session) error {
	principal := strings.TrimSpace(r.PostFormValue("PrincipalArn"))
	params := url.Values{}
	var what string
	if key := strings.TrimSpace(r.PostFormValue("AccessKeyId")); key != "" {
		params.Set("AccessKeyId", key) // exactly one of a key or a principal
		what = "Session " + key + " revoked."
	} else {
		params.Set("PrincipalArn", principal)
		before := h.cfg.Now().UTC()
		if b := strings.TrimSpace(r.PostFormValue("IssuedBefore")); b != "" {
			t, err := parseLocalTime(b)
			if err != nil {
				return badInput("IssuedBefore is a date and time, such as 2026-12-06T17:30.")
			}
			before = t
		}
		params.Set("IssuedBefore", before.Format(time.RFC3339))
	}
	out, err := call(h, r, s, brevetapi.RevokeSessions, params)
	if err != nil {
		return err
	}
	if what == "" && len(out.Revocations) > 0 {
		// The API's cut-off: a time to come is cut at now (a revocation
		// does not refuse sessions not yet issued).
		what = "Sessions of " + principal + " issued before " + out.Revocations[0].NotBefore.UTC().Format("2006-01-02 15:04:05 UTC") + " revoked."
	} else if what == "" {
		what = "Sessions of " + principal + " revoked."
	}
	back := "/console/sessions"
	if principal != "" {
		back += "?principal=" + url.QueryEscape(principal)
	}
	return h.seeOther(w, r, back, what)
}

// parseLocalTime reads a datetime-local field's value (or RFC 3339), as
// UTC.
func parseLocalTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("console: not a date and time")
}
