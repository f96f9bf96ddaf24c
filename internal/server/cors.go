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
	// s3AllowMethods are the methods of S3's REST API, which a browser
	// app sends the streaming listener (the S3 gateway).
	s3AllowMethods = "GET, HEAD, PUT, POST, DELETE"
	// s3ExposeHeaders are the S3 response headers the SDK reads besides
	// the safelisted ones (ETag for uploads and conditional requests, the
	// version, checksums, the ranges of partial reads).
	s3ExposeHeaders = corsExposeHeaders + ", etag, x-amz-version-id, x-amz-delete-marker, content-length, content-range, " +
		"accept-ranges, last-modified, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, " +
		"x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-checksum-type, x-amz-server-side-encryption, x-amz-expiration, " +
		"x-amz-mp-parts-count, x-amz-object-lock-mode"
	// maxPreflightHeaders bounds the request headers an S3 preflight may
	// name (Access-Control-Request-Headers), as the server's header size
	// limit bounds their bytes.
	maxPreflightHeaders = 64
)

// cors answers browsers' cross-origin requests for the origins allowed,
// and adds nothing for any other origin (the browser then refuses the
// response to the page). It never allows credentials (cookies, TLS client
// certificates chosen by the browser): AWS requests carry their
// credentials in a signature the page computes.
type cors struct {
	any     bool            // "*" is allowed
	origins map[string]bool // lower-cased scheme://host[:port]
	// s3 answers as the S3 gateway's listener: S3's methods and headers,
	// and any request header the preflight names (S3's AllowedHeaders
	// "*": uploads send x-amz-meta-*, checksums and conditions).
	s3 bool
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
				h.Set("Access-Control-Expose-Headers", c.exposeHeaders())
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
	methods, headers := corsAllowMethods, corsAllowHeaders
	switch m := r.Header.Get("Access-Control-Request-Method"); {
	case m == http.MethodGet || m == http.MethodPost:
	case c.s3 && (m == http.MethodHead || m == http.MethodPut || m == http.MethodDelete):
	default:
		allow = ""
	}
	if c.s3 {
		methods = s3AllowMethods
		var ok bool
		if headers, ok = requestedHeaders(r.Header.Values("Access-Control-Request-Headers")); !ok {
			allow = ""
		}
	}
	if allow != "" {
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Allow-Methods", methods)
		if headers != "" {
			h.Set("Access-Control-Allow-Headers", headers)
		}
		h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *cors) exposeHeaders() string {
	if c.s3 {
		return s3ExposeHeaders
	}
	return corsExposeHeaders
}

// requestedHeaders is the list of header names a preflight asks for,
// lower-cased and comma-separated, when every one is a header name
// token and there are at most maxPreflightHeaders of them; false
// otherwise (the preflight is then refused).
func requestedHeaders(values []string) (string, bool) {
	var names []string
	for _, v := range values {
		for n := range strings.SplitSeq(v, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if !validHeaderName(n) || len(names) == maxPreflightHeaders {
				return "", false
			}
			names = append(names, n)
		}
	}
	return strings.Join(names, ", "), true
}

// validHeaderName reports whether n is an HTTP token (RFC 9110).
func validHeaderName(n string) bool {
	for i := 0; i < len(n); i++ {
		b := n[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0) {
			return false
		}
	}
	return true
}

// streaming is the streaming listener's CORS: preflights answered before
// next (which would refuse OPTIONS as an S3 action it does not know), the
// other requests wrapped.
func (c *cors) streaming(next http.Handler) http.Handler {
	next = c.wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			c.preflight(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
