package server

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS headers the server sends, fixed by what the AWS SDK for
// JavaScript v3 sends and reads from a browser.
const (
	// corsAllowMethods are the methods of the Query API (POST, and GET
	// with the parameters in the URL) and of the OIDC discovery documents.
	corsAllowMethods = "GET, POST"
	// corsAllowHeaders are the request headers the SDK sets: the
	// signature's, its user agent (browsers forbid User-Agent), its retry
	// bookkeeping, and those of the JSON protocols and SigV4a.
	corsAllowHeaders = "authorization, content-type, x-amz-date, x-amz-security-token, x-amz-user-agent, " +
		"amz-sdk-invocation-id, amz-sdk-request, x-amz-content-sha256, x-amz-target, x-amz-region-set, x-amzn-trace-id"
	// corsExposeHeaders are the response headers the SDK reads besides
	// the CORS-safelisted ones: the request id, Date (to correct a skewed
	// clock) and the retry hints.
	corsExposeHeaders = "x-amzn-requestid, x-amz-request-id, x-amz-id-2, date, retry-after, x-amz-retry-after"
	// corsMaxAge is how long a browser may cache a preflight answer, in
	// seconds: ten minutes, well under what browsers cap it at (2 hours
	// for Chromium).
	corsMaxAge = 600
)

// cors answers browsers' cross-origin requests for the origins allowed,
// and adds nothing for any other origin (the browser then refuses the
// response to the page). It never allows credentials (cookies, TLS client
// certificates chosen by the browser): AWS requests carry their
// credentials in a signature the page computes.
type cors struct {
	any     bool            // "*" is allowed
	origins map[string]bool // lower-cased scheme://host[:port]
}

// newCORS returns nil when no origin is allowed: no CORS at all.
func newCORS(origins []string) *cors {
	if len(origins) == 0 {
		return nil
	}
	c := &cors{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			c.any = true
		}
		c.origins[strings.ToLower(o)] = true
	}
	return c
}

// allowed returns the Access-Control-Allow-Origin value for origin, ""
// when it is not allowed.
func (c *cors) allowed(origin string) string {
	switch {
	case origin == "":
		return ""
	case c.any:
		return "*"
	case c.origins[strings.ToLower(origin)]:
		return origin
	}
	return ""
}

// wrap adds the CORS headers of an actual (not preflight) request from an
// allowed origin, before next writes its response.
func (c *cors) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" {
			h := w.Header()
			h.Add("Vary", "Origin")
			if allow := c.allowed(origin); allow != "" {
				h.Set("Access-Control-Allow-Origin", allow)
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers OPTIONS, the browser's question whether it may send
// the request, with 204 and no authentication: the preflight carries no
// credentials, and the request it announces is authenticated as any
// other. A preflight from an origin not allowed, or for a method the API
// does not take, gets 204 without CORS headers, which the browser reads
// as no.
func (c *cors) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	allow := c.allowed(r.Header.Get("Origin"))
	switch r.Header.Get("Access-Control-Request-Method") {
	case http.MethodGet, http.MethodPost:
	default:
		allow = ""
	}
	if allow != "" {
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
	}
	w.WriteHeader(http.StatusNoContent)
}
