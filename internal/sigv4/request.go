package sigv4

import (
	"net/http"
	"strings"
)

// Request is the part of an HTTP request that SigV4 covers, as the server
// received it. Nothing in it is modified by Parse or Verify.
type Request struct {
	// Method is the HTTP method, e.g. "POST".
	Method string
	// Path is the request path exactly as on the wire (still
	// percent-encoded, without the query), e.g. "/a%20b". Clients sign
	// what they sent, so the server must not decode or clean it first.
	Path string
	// RawQuery is the query string as on the wire, without the '?'.
	RawQuery string
	// Host is the Host header (net/http moves it out of Header into
	// r.Host). When empty, Header["Host"] is used.
	Host string
	// Header holds the request headers. Keys must be in canonical MIME
	// form, as net/http and Header.Add produce; multiple values and
	// their order are kept.
	Header http.Header
	// Body is the whole request body, for requests whose payload is
	// signed by hash. Streaming (aws-chunked) bodies go to VerifyStream
	// instead.
	Body []byte
}

// FromHTTP returns the Request for a server-side *http.Request whose body
// has already been read into body. It takes the path from RequestURI,
// which is the path as the client sent it (r.URL.Path is decoded and
// r.URL.EscapedPath may re-encode it differently).
func FromHTTP(r *http.Request, body []byte) Request {
	path, query := r.RequestURI, ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if !strings.HasPrefix(path, "/") { // client-side request, absolute-form or "*"
		path, query = r.URL.EscapedPath(), r.URL.RawQuery
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return Request{Method: r.Method, Path: path, RawQuery: query, Host: host, Header: r.Header, Body: body}
}

// headerValues returns the values of the header with the given name, in
// any case. It builds the canonical MIME key on the stack, so the lookup
// does not allocate.
func headerValues(h http.Header, name string) []string {
	if h == nil {
		return nil
	}
	var buf [128]byte
	if len(name) > len(buf) {
		return h[http.CanonicalHeaderKey(name)]
	}
	b := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	return h[string(b)]
}

// header returns the first value of a header, or "".
func header(h http.Header, name string) string {
	if v := headerValues(h, name); len(v) > 0 {
		return v[0]
	}
	return ""
}
