package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/action"
	"github.com/brevet-dev/brevet/internal/s3wire"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// backendError is an error answer of the backend, passed to the client
// unchanged (status, headers, body). Its body is small and read whole, so
// that the audit event can carry its code.
type backendError struct {
	status  int
	header  http.Header
	body    []byte
	code    string
	message string
}

func (e *backendError) Error() string {
	return "backend answered " + strconv.Itoa(e.status) + " " + e.code
}

// maxErrorBody bounds a backend error document read whole.
const maxErrorBody = 64 << 10

// isBackendError reports whether a backend status is an S3 error: 4xx and
// 5xx, and the redirects S3 sends as errors.
func isBackendError(status int) bool {
	return status >= 400 || status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect
}

// readBackendError reads an error answer of the backend.
func readBackendError(resp *http.Response, method string) error {
	defer resp.Body.Close()
	e := &backendError{status: resp.StatusCode, header: resp.Header}
	if method != http.MethodHead {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
		if err != nil || len(b) > maxErrorBody {
			return errBackendUnavailable(errors.New("gateway: reading the backend's error document failed or it is too long"))
		}
		e.body = b
		var doc struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		if xml.Unmarshal(b, &doc) == nil {
			e.code, e.message = doc.Code, doc.Message
		}
	}
	if e.code == "" {
		e.code = http.StatusText(e.status)
	}
	return e
}

// wireError maps err to the S3 error the client sees.
func (c *call) wireError(err error) *s3wire.Error {
	var we *s3wire.Error
	if errors.As(err, &we) && we.Code != nil {
		return we
	}
	if ad, ok := errors.AsType[*request.AccessDeniedError](err); ok {
		msg := s3wire.CodeAccessDenied.Message
		if !c.anonymous() {
			msg = ad.Error()
		}
		return &s3wire.Error{Code: s3wire.CodeAccessDenied, Message: msg, Cause: err}
	}
	if _, ok := errors.AsType[*request.ThrottledError](err); ok {
		return &s3wire.Error{Code: s3wire.CodeSlowDown, Message: s3wire.CodeSlowDown.Message, Cause: err}
	}
	if se, ok := errors.AsType[*sigv4.Error](err); ok {
		return &s3wire.Error{Code: c.sigv4Code(se.Kind), Message: c.sigv4Message(se), Cause: err}
	}
	if e := actionError(err); e != nil {
		return e
	}
	if e := policyError(err); e != nil {
		return e
	}
	return &s3wire.Error{Code: s3wire.CodeServiceUnavailable, Message: s3wire.CodeServiceUnavailable.Message, Cause: err}
}

// sigv4Code is S3's code for each authentication failure.
func (c *call) sigv4Code(k sigv4.Kind) *s3wire.Code {
	switch k {
	case sigv4.KindSignatureDoesNotMatch:
		return s3wire.CodeSignatureDoesNotMatch
	case sigv4.KindInvalidClientTokenID:
		if strings.HasPrefix(c.auth.keyID, "ASIA") {
			return s3wire.CodeInvalidToken
		}
		return s3wire.CodeInvalidAccessKeyID
	case sigv4.KindExpiredToken:
		return s3wire.CodeExpiredToken
	case sigv4.KindRequestExpired:
		return s3wire.CodeRequestTimeTooSkewed
	case sigv4.KindContentSHA256Mismatch:
		return s3wire.CodeXAmzContentSHA256Mismatch
	case sigv4.KindIncompleteBody:
		return s3wire.CodeIncompleteBody
	case sigv4.KindBadDigest:
		return s3wire.CodeBadDigest
	case sigv4.KindAccessDenied, sigv4.KindMissingAuthenticationToken:
		return s3wire.CodeAccessDenied
	}
	// IncompleteSignature, InvalidScope: a malformed or misdirected
	// authorization.
	if c.auth.presigned {
		return s3wire.CodeAuthorizationQueryParametersError
	}
	return s3wire.CodeAuthorizationHeaderMalformed
}

// sigv4Message is S3's wording where it has its own, sigv4's otherwise.
func (c *call) sigv4Message(se *sigv4.Error) string {
	switch se.Kind {
	case sigv4.KindSignatureDoesNotMatch:
		return s3wire.CodeSignatureDoesNotMatch.Message
	case sigv4.KindInvalidClientTokenID:
		if strings.HasPrefix(c.auth.keyID, "ASIA") {
			return s3wire.CodeInvalidToken.Message
		}
		return s3wire.CodeInvalidAccessKeyID.Message
	case sigv4.KindExpiredToken:
		return s3wire.CodeExpiredToken.Message
	case sigv4.KindRequestExpired:
		return s3wire.CodeRequestTimeTooSkewed.Message
	}
	if se.Message == "" {
		return c.sigv4Code(se.Kind).Message
	}
	return se.Message
}

// actionError maps the action map's typed errors.
func actionError(err error) *s3wire.Error {
	if e, ok := errors.AsType[*action.NotImplementedError](err); ok {
		return &s3wire.Error{Code: s3wire.CodeNotImplemented, Message: s3wire.CodeNotImplemented.Message, Cause: e}
	}
	if e, ok := errors.AsType[*action.MethodNotAllowedError](err); ok {
		return &s3wire.Error{Code: s3wire.CodeMethodNotAllowed, Message: s3wire.CodeMethodNotAllowed.Message, Cause: e}
	}
	if e, ok := errors.AsType[*action.InvalidArgumentError](err); ok {
		return &s3wire.Error{Code: s3wire.CodeInvalidArgument, Message: "Invalid " + e.Name + ": " + e.Reason, Cause: e}
	}
	return nil
}

// respond audits the request, then writes its answer.
func (c *call) respond(ctx context.Context, w http.ResponseWriter, err error) {
	var rec request.Record
	now := c.g.cfg.Now()
	var we *s3wire.Error
	be, isBackend := errors.AsType[*backendError](err)
	switch {
	case err == nil:
		c.Record(&rec, now, nil, c.status(), "", "")
	case isBackend:
		c.Record(&rec, now, err, be.status, be.code, be.message)
	default:
		we = c.wireError(err)
		if we.Code == s3wire.CodeServiceUnavailable || we.Code == s3wire.CodeInternalError {
			c.g.log.ErrorContext(ctx, "s3 gateway: request failed", "request_id", c.ID, "op", c.res.Operation, "err", err)
		}
		c.Record(&rec, now, err, we.Code.Status, we.Code.Name, we.Message)
	}
	c.dataEvent(&rec)
	if c.g.cfg.Pipeline.Finish(ctx, &rec) != nil {
		c.close()
		s3wire.WriteError(w, c.HTTP.Method, c.ids(), s3wire.CodeServiceUnavailable.New(""))
		return
	}
	switch {
	case isBackend:
		c.writeBackendError(w, be)
	case err != nil:
		if te, ok := errors.AsType[*request.ThrottledError](err); ok {
			w.Header().Set("Retry-After", request.RetryAfterSeconds(te.RetryAfter))
		}
		s3wire.WriteError(w, c.HTTP.Method, c.ids(), we)
	case c.local != nil:
		c.writeLocal(w)
	case c.resp != nil:
		c.writeResponse(ctx, w)
	default:
		c.local = &localResponse{status: http.StatusOK, header: http.Header{}}
		c.writeLocal(w)
	}
}

func (c *call) ids() s3wire.IDs { return s3wire.IDs{RequestID: c.ID, HostID: c.hostID} }

// status is the status of a successful answer.
func (c *call) status() int {
	switch {
	case c.local != nil:
		return c.local.status
	case c.resp != nil:
		return c.resp.StatusCode
	}
	return http.StatusOK
}

// hopHeaders are response headers not passed back; the ids are the
// gateway's own.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "X-Amz-Request-Id": true, "X-Amz-Id-2": true,
}

func (c *call) copyHeader(dst, src http.Header) {
	for k, v := range src {
		if !hopHeaders[k] {
			dst[k] = v
		}
	}
	dst.Set("X-Amz-Request-Id", c.ID)
	dst.Set("X-Amz-Id-2", c.hostID)
}

func (c *call) writeResponse(ctx context.Context, w http.ResponseWriter) {
	resp := c.resp
	c.copyHeader(w.Header(), resp.Header)
	if resp.ContentLength >= 0 && c.HTTP.Method != http.MethodHead {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(resp.StatusCode)
	if c.HTTP.Method == http.MethodHead {
		return
	}
	if _, err := copyBody(w, resp.Body); err != nil && ctx.Err() == nil {
		c.g.log.WarnContext(ctx, "s3 gateway: streaming the response failed", "request_id", c.ID, "err", err)
	}
}

func (c *call) writeBackendError(w http.ResponseWriter, be *backendError) {
	c.copyHeader(w.Header(), be.header)
	if c.HTTP.Method != http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(be.body)))
	}
	w.WriteHeader(be.status)
	_, _ = w.Write(be.body)
}

func (c *call) writeLocal(w http.ResponseWriter) {
	l := c.local
	c.copyHeader(w.Header(), l.header)
	if c.HTTP.Method != http.MethodHead && l.status != http.StatusNoContent {
		w.Header().Set("Content-Length", strconv.Itoa(len(l.body)))
	}
	w.WriteHeader(l.status)
	if c.HTTP.Method != http.MethodHead {
		_, _ = w.Write(l.body)
	}
}

// dataEvent fills the data-event fields of rec.
func (c *call) dataEvent(rec *request.Record) {
	rec.Category = request.CategoryData
	rec.Refused = len(c.refused)
	if c.addr.Bucket != "" {
		rec.Resources = append(rec.Resources, request.Resource{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + c.addr.Bucket})
		if c.addr.Key != "" {
			rec.Resources = append(rec.Resources, request.Resource{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::" + c.addr.Bucket + "/" + c.addr.Key})
		}
	}
	rec.Resources = c.otherResources(rec.Resources)
	rec.ResponseElements = c.responseElements()
	if len(c.refused) > 0 {
		if rec.ResponseElements == nil {
			rec.ResponseElements = map[string]any{}
		}
		rec.ResponseElements["refusedKeys"] = c.refused
	}
	switch {
	case c.body != nil:
		rec.BytesIn = c.body.Count()
	case c.small != nil:
		rec.BytesIn = int64(len(c.small))
	}
	switch {
	case c.resp != nil && c.resp.ContentLength > 0 && c.HTTP.Method != http.MethodHead:
		rec.BytesOut = c.resp.ContentLength
	case c.local != nil:
		rec.BytesOut = int64(len(c.local.body))
	}
	d := map[string]string{"x-amz-id-2": c.hostID}
	if c.auth.signed {
		d["SignatureVersion"] = "SigV4"
		if c.auth.algorithm == sigv4.AlgorithmECDSA {
			d["SignatureVersion"] = "SigV4a"
		}
		d["AuthenticationMethod"] = "AuthHeader"
		if c.auth.presigned {
			d["AuthenticationMethod"] = "QueryString"
		}
	}
	if s := c.HTTP.TLS; s != nil {
		d["CipherSuite"] = tls.CipherSuiteName(s.CipherSuite)
	}
	rec.Details = d
	rec.RequestParameters = c.requestParameters()
}

// otherResources adds the resources authorized that the address does not
// name (a copy's source object and bucket).
func (c *call) otherResources(rs []request.Resource) []request.Resource {
	for _, a := range c.res.Authorizations {
		b := bucketOf(a.Resource)
		if b == "" || b == c.addr.Bucket {
			continue
		}
		bucket := request.Resource{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + b}
		if !slices.Contains(rs, bucket) {
			rs = append(rs, bucket)
		}
		if obj := (request.Resource{Type: "AWS::S3::Object", ARN: a.Resource}); a.Resource != bucket.ARN && !slices.Contains(rs, obj) {
			rs = append(rs, obj)
		}
	}
	return rs
}

// responseHeaders are the backend's answers CloudTrail records as an S3
// data event's responseElements.
var responseHeaders = [...]string{"X-Amz-Version-Id", "X-Amz-Server-Side-Encryption", "X-Amz-Expiration", "X-Amz-Delete-Marker"}

func (c *call) responseElements() map[string]any {
	if c.resp == nil {
		return nil
	}
	var m map[string]any
	for _, h := range responseHeaders {
		if v := c.resp.Header.Get(h); v != "" {
			if m == nil {
				m = make(map[string]any, 2)
			}
			m[strings.ToLower(h)] = v
		}
	}
	return m
}

// requestParameters are CloudTrail's requestParameters of an S3 data
// event: the bucket, the key, the host, and the query (sub-resources and
// parameters), never the presigning parameters.
func (c *call) requestParameters() map[string]any {
	if c.Op == nil {
		return nil
	}
	p := map[string]any{"Host": c.HTTP.Host}
	if c.addr.Bucket != "" {
		p["bucketName"] = c.addr.Bucket
	}
	if c.addr.Key != "" {
		p["key"] = c.addr.Key
	}
	for k, v := range c.areq.Query {
		if signingParams[k] || len(v) == 0 {
			continue
		}
		if customerKey(k) {
			p[k] = request.HiddenValue
			continue
		}
		if len(v) == 1 {
			p[k] = v[0]
		} else {
			p[k] = v
		}
	}
	return p
}

// customerKey reports whether a query parameter carries an SSE-C key
// (x-amz-server-side-encryption-customer-key, or the copy source's), a
// secret that a presigned URL may carry as a hoisted header.
func customerKey(name string) bool {
	const suffix = "-customer-key"
	return len(name) > len(suffix) && strings.EqualFold(name[len(name)-len(suffix):], suffix)
}

// xmlDoc builds a local XML answer.
func xmlDoc(status int, body []byte) *localResponse {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.Write(body)
	return &localResponse{status: status, header: http.Header{"Content-Type": {"application/xml"}}, body: b.Bytes()}
}
