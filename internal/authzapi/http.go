package authzapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
)

// The HTTP endpoints, on the main listener.
const (
	// PathPrefix is where every endpoint lives.
	PathPrefix = "/authz/"
	// EnvoyPrefix is Envoy's HTTP ext_authz path_prefix: the checked
	// request's path follows it.
	EnvoyPrefix = "/authz/envoy"
	// NginxPath is nginx's auth_request target.
	NginxPath = "/authz/nginx"
	// VerifyPath takes a JSON description of the request.
	VerifyPath = "/authz/verify"
)

// The headers nginx describes the original request with (set them with
// proxy_set_header in the auth_request location).
const (
	HeaderOriginalURI    = "X-Original-Uri"
	HeaderOriginalMethod = "X-Original-Method"
	HeaderOriginalHost   = "X-Original-Host"
	HeaderOriginalScheme = "X-Original-Scheme"
	// HeaderOriginalContentLength carries a signed Content-Length that
	// the subrequest (which has no body) cannot.
	HeaderOriginalContentLength = "X-Original-Content-Length"
	HeaderRealIP                = "X-Real-Ip"
	// HeaderErrorCode names why a check failed, for auth_request_set.
	HeaderErrorCode = "X-Brevet-Error-Code"
	// envoyHeadersToRemove is how an HTTP ext_authz service asks Envoy to
	// drop request headers.
	envoyHeadersToRemove = "X-Envoy-Auth-Headers-To-Remove"
)

// MaxVerifyBody bounds a /authz/verify request.
const MaxVerifyBody = 64 << 10

// Handler serves the HTTP endpoints under PathPrefix. It routes on the
// raw path and never cleans or redirects it: the path behind EnvoyPrefix
// is the checked request's, dot segments and all (they match no route).
func (c *Checker) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, _, _ := strings.Cut(r.RequestURI, "?")
		switch {
		case strings.HasPrefix(path, EnvoyPrefix+"/"):
			c.serveEnvoy(w, r)
		case path == NginxPath:
			c.serveNginx(w, r)
		case path == VerifyPath:
			c.serveVerify(w, r)
		default:
			writeError(w, &Result{Status: http.StatusNotFound, Code: "NotFound", Message: "No such endpoint of the authorization API."})
		}
	})
}

// serveEnvoy answers Envoy's HTTP ext_authz: the check request is the
// original one (method, headers) with its path behind EnvoyPrefix.
func (c *Checker) serveEnvoy(w http.ResponseWriter, r *http.Request) {
	res := c.Check(r.Context(), r, ProtocolEnvoyHTTP, func() (*Original, error) {
		uri := r.RequestURI
		if !strings.HasPrefix(uri, EnvoyPrefix+"/") {
			return nil, malformed("the check request's path must start with %s/", EnvoyPrefix)
		}
		path, query, _ := strings.Cut(uri[len(EnvoyPrefix):], "?")
		h := r.Header // the check request's headers are the original's; nothing changes them
		return &Original{Method: r.Method, Path: path, RawQuery: query, Host: r.Host, Header: h,
			Secure: strings.EqualFold(h.Get("X-Forwarded-Proto"), "https")}, nil
	})
	if !res.Allowed {
		writeError(w, res)
		return
	}
	setIdentity(w.Header(), res)
	if len(res.Remove) > 0 {
		w.Header().Set(envoyHeadersToRemove, strings.Join(res.Remove, ","))
	}
	w.WriteHeader(http.StatusOK)
}

// serveNginx answers nginx's auth_request: the original request is
// described by X-Original-* headers, its own headers come along.
func (c *Checker) serveNginx(w http.ResponseWriter, r *http.Request) {
	res := c.Check(r.Context(), r, ProtocolNginx, func() (*Original, error) {
		h := r.Header.Clone()
		uri, method := h.Get(HeaderOriginalURI), h.Get(HeaderOriginalMethod)
		if uri == "" || method == "" {
			return nil, malformed("%s and %s are required (proxy_set_header in the auth_request location)", HeaderOriginalURI, HeaderOriginalMethod)
		}
		path, query, _ := strings.Cut(uri, "?")
		o := &Original{Method: method, Path: path, RawQuery: query, Host: h.Get(HeaderOriginalHost), Header: h,
			Secure: strings.EqualFold(h.Get(HeaderOriginalScheme), "https"), SourceIP: h.Get(HeaderRealIP)}
		if o.Host == "" {
			o.Host = r.Host
		}
		h.Del("Content-Length")
		if cl := h.Get(HeaderOriginalContentLength); cl != "" {
			h.Set("Content-Length", cl)
		}
		for _, k := range []string{HeaderOriginalURI, HeaderOriginalMethod, HeaderOriginalHost, HeaderOriginalScheme, HeaderOriginalContentLength, HeaderRealIP} {
			h.Del(k)
		}
		return o, nil
	})
	if !res.Allowed {
		w.Header().Set(HeaderErrorCode, res.Code)
		writeError(w, res)
		return
	}
	setIdentity(w.Header(), res)
	w.WriteHeader(http.StatusOK)
}

// verifyRequest is /authz/verify's body.
type verifyRequest struct {
	Method   string                 `json:"method"`
	Path     string                 `json:"path"`
	Host     string                 `json:"host"`
	Headers  map[string]stringOrArr `json:"headers"`
	SourceIP string                 `json:"sourceIp"`
	Secure   bool                   `json:"secure"`
}

type stringOrArr []string

func (s *stringOrArr) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("a header value must be a string or a list of strings")
	}
	*s = many
	return nil
}

// verifyResponse is /authz/verify's answer when allowed.
type verifyResponse struct {
	Allowed        bool              `json:"allowed"`
	PrincipalARN   string            `json:"principalArn"`
	Account        string            `json:"account"`
	PrincipalID    string            `json:"principalId,omitempty"`
	SessionName    string            `json:"sessionName,omitempty"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	Action         string            `json:"action"`
	Resource       string            `json:"resource"`
	RequestID      string            `json:"requestId"`
}

// serveVerify answers a JSON description of a request.
func (c *Checker) serveVerify(w http.ResponseWriter, r *http.Request) {
	res := c.Check(r.Context(), r, ProtocolVerify, func() (*Original, error) {
		if r.Method != http.MethodPost {
			return nil, &WireError{Status: http.StatusMethodNotAllowed, Code: "InvalidRequest", Message: "use POST"}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxVerifyBody+1))
		if err != nil {
			return nil, malformed("reading the body failed")
		}
		if len(body) > MaxVerifyBody {
			return nil, &WireError{Status: http.StatusRequestEntityTooLarge, Code: "InvalidRequest", Message: "the body is larger than 64 KiB"}
		}
		var vr verifyRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&vr); err != nil {
			return nil, malformed("the body is not a valid request description: %v", err)
		}
		if len(vr.Headers) > c.cfg.MaxHeaders {
			return nil, malformed("the request has more than %d header fields", c.cfg.MaxHeaders)
		}
		h := make(http.Header, len(vr.Headers))
		for k, v := range vr.Headers {
			h[http.CanonicalHeaderKey(k)] = append(h[http.CanonicalHeaderKey(k)], v...)
		}
		path, query, _ := strings.Cut(vr.Path, "?")
		if vr.Host == "" {
			vr.Host = h.Get("Host")
		}
		h.Del("Host")
		return &Original{Method: vr.Method, Path: path, RawQuery: query, Host: vr.Host, Header: h, Secure: vr.Secure, SourceIP: vr.SourceIP}, nil
	})
	if !res.Allowed {
		writeError(w, res)
		return
	}
	setIdentity(w.Header(), res)
	out := verifyResponse{Allowed: true, PrincipalARN: res.PrincipalARN, Action: res.Action, Resource: res.Resource, RequestID: res.RequestID}
	if p := res.principal; p != nil {
		out.Account, out.PrincipalID = p.Account, p.PrincipalID
		if s := p.Session; s != nil {
			out.SessionName, out.SourceIdentity = s.SessionName, s.SourceIdentity
			for _, t := range s.Tags {
				if out.Tags == nil {
					out.Tags = map[string]string{}
				}
				out.Tags[t.Key] = t.Value
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func setIdentity(h http.Header, res *Result) {
	for _, x := range res.Headers {
		h.Set(x.Name, x.Value)
	}
}

// errorBody is the JSON body of every refusal.
type errorBody struct {
	Error          string `json:"error"`
	Message        string `json:"message"`
	Reason         string `json:"reason,omitempty"`
	EncodedMessage string `json:"encodedMessage,omitempty"`
	RequestID      string `json:"requestId,omitempty"`
}

func (res *Result) errorJSON() []byte {
	b, _ := json.Marshal(errorBody{Error: res.Code, Message: res.Message, Reason: res.Reason,
		EncodedMessage: res.EncodedMessage, RequestID: res.RequestID})
	return b
}

func writeError(w http.ResponseWriter, res *Result) {
	if res.RetryAfter > 0 {
		w.Header().Set("Retry-After", request.RetryAfterSeconds(res.RetryAfter))
	}
	if res.RequestID != "" {
		w.Header().Set(HeaderRequestID, res.RequestID)
	}
	if res.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `AWS4-HMAC-SHA256, Bearer`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.errorJSON())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
