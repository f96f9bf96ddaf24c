package console

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// call runs op as the signed-in principal: a Query request with params
// (the action's parameters, in the Query protocol's names:
// "UserName", "Tags.member.1.Key"), signed with the console session's
// credentials and taken through the same pipeline as a request from the
// network (awsquery.Invoke). It returns the action's output, or the
// *awsquery.Error a client would have received.
func call[In, Out any](h *Handler, r *http.Request, s *session, op *awsquery.Operation[In, Out], params url.Values) (*Out, error) {
	body := url.Values{}
	for k, v := range params {
		body[k] = v
	}
	body.Set("Action", op.Name)
	body.Set("Version", op.Service.Version)
	req, err := h.signed(r, s, op.Service.Name, "application/x-www-form-urlencoded; charset=utf-8", "", []byte(body.Encode()))
	if err != nil {
		return nil, err
	}
	out, _, werr := awsquery.Invoke(h.cfg.Dispatcher, req, op)
	if werr != nil {
		return nil, werr
	}
	return out, nil
}

// callAPI sends a request of another protocol (CloudTrail's JSON 1.1:
// target is its X-Amz-Target) to the server's API handler in process,
// signed for service, and returns the response's status and body.
func (h *Handler) callAPI(r *http.Request, s *session, service, target string, body []byte) (int, []byte, error) {
	if h.api == nil {
		return 0, nil, awsquery.CodeServiceUnavailable.New("The console is not connected to the API yet.")
	}
	req, err := h.signed(r, s, service, "application/x-amz-json-1.1", target, body)
	if err != nil {
		return 0, nil, err
	}
	rec := &recorder{header: http.Header{}}
	h.api.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec.code, rec.body.Bytes(), nil
}

// recorder keeps an in-process response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

// Header is the response's header.
func (w *recorder) Header() http.Header { return w.header }

// WriteHeader keeps the first status written.
func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// Write keeps the body (status 200 unless one was written).
func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// signed builds an in-process request for the browser's request r: the
// browser's address, user agent, host and TLS state (the request facts
// policies test), a request id of its own, and a SigV4 signature with
// the console session's credentials.
func (h *Handler) signed(r *http.Request, s *session, service, contentType, target string, body []byte) (*http.Request, error) {
	// The call ends with the browser's request, under a request id of its
	// own.
	ctx := request.WithRequestID(r.Context(), request.NewID())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+r.Host+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Host, req.RemoteAddr, req.TLS = r.Host, r.RemoteAddr, r.TLS
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", contentType)
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("User-Agent", userAgent(r))
	sg := sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken}}
	if err := sg.SignHTTP(req, body, sigv4.SignOptions{Region: h.cfg.Region, Service: service, Time: h.cfg.Now()}); err != nil {
		return nil, err
	}
	req.Body = awsquery.NewBody(body)
	return req, nil
}

// userAgent is the audit trail's user agent of a console call: the
// console's name, then the browser's (bounded).
func userAgent(r *http.Request) string {
	ua := "brevet-console"
	if b := strings.TrimSpace(r.UserAgent()); b != "" {
		if len(b) > 200 {
			b = b[:200]
		}
		ua += " " + b
	}
	return ua
}
