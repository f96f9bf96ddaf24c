package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/action"
	"github.com/brevet-dev/brevet/internal/s3wire"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// call is one S3 request through the pipeline.
type call struct {
	request.Exchange
	g      *Gateway
	hostID string

	auth   authInfo
	addr   s3wire.Address
	header http.Header // the request's headers, with a presigned URL's hoisted x-amz-* parameters
	// ownHeader says header is a copy the call may change.
	ownHeader bool
	rawQuery  string // the query to forward
	areq      action.Request
	res       action.Result
	chunked   bool

	backend  *backend
	body     *verifiedBody // the upload, when streamed to the backend
	small    []byte        // a body read whole to authorize it
	policies map[string]*policy.Compiled
	del      *deleteRequest
	// refused are the keys of a DeleteObjects the gateway refused.
	refused []string

	// The answer: a backend response to stream, or one built here.
	resp  *http.Response
	local *localResponse
}

// authInfo is how the request authenticates, read before authentication
// (the Authenticator checks it).
type authInfo struct {
	signed    bool
	presigned bool
	// signedHeaders is the signature's list of signed header names,
	// ';'-separated, lower case.
	signedHeaders string
	keyID         string
	algorithm     string
	amzDate       time.Time
}

// localResponse is an answer the gateway built itself.
type localResponse struct {
	status int
	header http.Header
	body   []byte
}

func (c *call) close() {
	if c.resp != nil {
		c.resp.Body.Close()
	}
}

// Route refuses SigV2, resolves the bucket and key, and maps the request
// to its S3 operation.
func (c *call) Route(ctx context.Context, x *request.Exchange) error {
	r := x.HTTP
	if sigV2(r) {
		return s3wire.CodeInvalidRequest.New(s3wire.MsgSigV2)
	}
	c.auth = readAuth(r)
	if c.auth.signed && !c.auth.presigned && r.Header.Get("X-Amz-Content-Sha256") == "" {
		return s3wire.CodeInvalidRequest.New("Missing required header for this request: x-amz-content-sha256")
	}
	if c.auth.signedHeaders != "" {
		if err := allAmzSigned(r.Header, c.auth.signedHeaders); err != nil {
			return err
		}
	}
	addr, err := c.g.resolver.Request(r)
	if err != nil {
		return err
	}
	c.addr = addr
	c.header = r.Header
	var hoisted http.Header
	c.rawQuery, hoisted = splitQuery(r.URL.RawQuery, c.auth.presigned)
	if hoisted != nil {
		c.header, c.ownHeader = r.Header.Clone(), true
		for k, v := range hoisted {
			if _, ok := c.header[k]; !ok {
				c.header[k] = v
			}
		}
	}
	if err := singleAmzValues(c.header); err != nil {
		return err
	}
	c.chunked = isChunked(r)
	query, err := strictQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	c.areq = action.Request{Method: r.Method, Bucket: addr.Bucket, Key: addr.Key, Query: query, Header: c.header}
	c.res, err = action.Map(c.areq)
	if err != nil {
		return err
	}
	if err := checkCopySource(c.res, c.header); err != nil {
		return err
	}
	first := ""
	if len(c.res.Authorizations) > 0 {
		first = c.res.Authorizations[0].Action
	}
	x.Op = c.g.operation(c.res.Operation, first, r.Method)
	x.Stream = r.Body
	if x.Stream == nil {
		x.Stream = http.NoBody
	}
	return nil
}

// sigV2 reports whether r is signed with Signature Version 2. A query
// parameter's name is read decoded, as the backend reads it: a
// %53ignature must not pass for anonymous here and be forwarded to a
// store that takes it for a SigV2 presigned URL.
func sigV2(r *http.Request) bool {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "AWS ") {
		return true
	}
	q := r.URL.RawQuery
	if !strings.Contains(q, "AWSAccessKeyId") && !strings.Contains(q, "Signature") && !strings.Contains(q, "%") {
		return false
	}
	for part := range strings.SplitSeq(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		if strings.IndexByte(name, '%') >= 0 {
			name, _ = url.QueryUnescape(name) // a bad escape is refused by strictQuery
		}
		if name == "AWSAccessKeyId" || name == "Signature" {
			return true
		}
	}
	return false
}

// readAuth reads how r authenticates, without verifying anything.
func readAuth(r *http.Request) authInfo {
	sreq := sigv4.FromHTTP(r, nil)
	a, err := sigv4.Parse(&sreq)
	if err != nil {
		// Malformed, but still a signed request of one kind or the other:
		// authentication answers it with the parser's error (for a
		// presigned URL, AuthorizationQueryParametersError), so Route must
		// not ask a presigned URL for the headers only a signed header
		// needs.
		header := r.Header.Get("Authorization") != ""
		query := !header && presignQuery(r.URL.RawQuery)
		return authInfo{signed: header || query, presigned: query}
	}
	return authInfo{signed: true, presigned: a.Presigned, signedHeaders: a.SignedHeaders, keyID: a.AccessKeyID, algorithm: a.Algorithm, amzDate: a.Time}
}

// allAmzSigned refuses, as S3 does, a signed request carrying an x-amz-*
// header its signature does not cover: such a header (x-amz-copy-source,
// x-amz-acl, x-amz-tagging) changes what the request does, and anyone
// holding a presigned URL or a captured request could add it. Only
// x-amz-content-sha256 may go unsigned, as S3 allows.
func allAmzSigned(h http.Header, signed string) error {
	for name := range h {
		if len(name) <= 6 || !strings.EqualFold(name[:6], "x-amz-") || strings.EqualFold(name, "X-Amz-Content-Sha256") {
			continue
		}
		if !headerListed(signed, name) {
			return s3wire.CodeAccessDenied.New("There were headers present in the request which were not signed")
		}
	}
	return nil
}

// headerListed reports whether the ';'-separated list names name,
// ignoring case.
func headerListed(list, name string) bool {
	for item := range strings.SplitSeq(list, ";") {
		if strings.EqualFold(item, name) {
			return true
		}
	}
	return false
}

// singleAmzValues refuses an x-amz-* header given more than once (user
// metadata aside), as strictQuery refuses a repeated query parameter: a
// condition matches when any of a key's values does, so x-amz-acl:
// public-read plus x-amz-acl: private would pass a policy allowing only
// private, while a store reading the first value makes the object public.
func singleAmzValues(h http.Header) error {
	for name, vs := range h {
		if len(vs) < 2 || len(name) <= 6 || !strings.EqualFold(name[:6], "x-amz-") || strings.HasPrefix(name, "X-Amz-Meta-") {
			continue
		}
		return s3wire.CodeInvalidArgument.Errorf("The header %q is given more than once.", name)
	}
	return nil
}

// strictQuery parses a request's query for the action map, refusing what
// another parser could read differently: the backend receives the query
// as sent, so it must see exactly the operation and parameters that were
// authorized. Go's parser drops a pair with a semicolon or a bad escape,
// where a backend may split on the semicolon or keep the pair, and a
// repeated name (versionId=a&versionId=b) is read first-wins here and may
// be last-wins there: all three are InvalidArgument.
func strictQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, s3wire.CodeInvalidArgument.New("The query string is not valid: a parameter has a semicolon or an invalid escape.")
	}
	for name, vs := range q {
		if len(vs) > 1 {
			return nil, s3wire.CodeInvalidArgument.Errorf("The query parameter %q is given more than once.", name)
		}
	}
	return q, nil
}

// presignQuery reports whether a raw query carries any of the presigning
// parameters of SigV4.
func presignQuery(raw string) bool {
	for part := range strings.SplitSeq(raw, "&") {
		switch name, _, _ := strings.Cut(part, "="); name {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders":
			return true
		}
	}
	return false
}

// Decode reads the small bodies the authorization depends on, through the
// verifying reader.
func (c *call) Decode(ctx context.Context, x *request.Exchange) error {
	if c.chunked && !c.auth.signed {
		return s3wire.CodeInvalidRequest.New("An aws-chunked body must be signed.")
	}
	if readsBody[c.res.Operation] {
		if err := c.mayBeAllowed(ctx); err != nil {
			return err
		}
	}
	switch c.res.Operation {
	case "CreateBucket":
		b, err := c.readSmall(maxSmallBody, s3wire.CodeMalformedXML)
		if err != nil {
			return err
		}
		lc, err := locationConstraint(b)
		if err != nil {
			return err
		}
		if lc != "" {
			c.areq.LocationConstraint = lc
			if c.res, err = action.Map(c.areq); err != nil {
				return err
			}
		}
	case "PutObjectTagging", "PutBucketTagging":
		b, err := c.readSmall(maxSmallBody, s3wire.CodeMalformedXML)
		if err != nil {
			return err
		}
		tags, err := parseTagging(b)
		if err != nil {
			return err
		}
		c.res.Conditions = action.AddTagConditions(cloneConds(c.res.Conditions), tags)
	case "DeleteObjects":
		b, err := c.readSmall(maxDeleteBody, s3wire.CodeMalformedXML)
		if err != nil {
			return err
		}
		if c.del, err = parseDelete(b); err != nil {
			return err
		}
	case "PutBucketPolicy":
		b, err := c.readSmall(maxPolicyBody, s3wire.CodeMalformedPolicy)
		if err != nil {
			return err
		}
		c.small = b
	}
	return nil
}

// readsBody are the operations whose body the gateway reads whole before
// authorizing them.
var readsBody = map[string]bool{
	"CreateBucket": true, "PutObjectTagging": true, "PutBucketTagging": true,
	"DeleteObjects": true, "PutBucketPolicy": true,
}

// mayBeAllowed refuses, before its body is read, a request no policy can
// allow: an anonymous caller is allowed only by a bucket policy, so
// without one nobody reads its body (up to 2 MiB) for nothing.
func (c *call) mayBeAllowed(ctx context.Context) error {
	if !c.anonymous() || c.addr.Bucket == "" {
		return nil
	}
	p, err := c.bucketPolicy(ctx, c.addr.Bucket)
	if err != nil || p != nil {
		return err
	}
	action := c.Op.Action
	if c.res.PerKey {
		action = "s3:DeleteObject"
	}
	return &request.AccessDeniedError{Principal: "anonymous", Action: action, Resource: "arn:aws:s3:::" + c.addr.Bucket}
}

// The bounds on bodies read whole.
const (
	maxSmallBody  = 64 << 10 // CreateBucket, tagging
	maxDeleteBody = 2 << 20  // DeleteObjects: 1,000 keys
	maxPolicyBody = 20 << 10 // S3's bucket policy limit
)

// readSmall reads the whole body, at most limit bytes, through the
// verifying reader.
func (c *call) readSmall(limit int64, tooLarge *s3wire.Code) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Stream, limit+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge.Errorf("The request body exceeds the maximum of %d bytes.", limit)
	}
	c.small = b
	return b, nil
}

// bodyError maps a failure to read the client's body.
func bodyError(err error) error {
	var se *sigv4.Error
	var we *s3wire.Error
	if errors.As(err, &se) || errors.As(err, &we) {
		return err
	}
	e := s3wire.CodeIncompleteBody.New("")
	e.Cause = err
	return e
}

func cloneConds(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Target is unused: a call authorizes through Targets.
func (c *call) Target(context.Context, *request.Exchange) (request.Target, bool, error) {
	return request.Target{}, false, nil
}

// Targets returns every authorization the request needs, each with the
// policy of the bucket it names.
func (c *call) Targets(ctx context.Context, x *request.Exchange) ([]request.Target, error) {
	if c.res.PerKey {
		return nil, nil // DeleteObjects authorizes key by key in Act
	}
	conds := c.requestConditions(c.res.Conditions)
	ts := make([]request.Target, 0, len(c.res.Authorizations))
	for _, a := range c.res.Authorizations {
		t, err := c.target(ctx, a, conds)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func (c *call) target(ctx context.Context, a action.Authorization, conds map[string][]string) (request.Target, error) {
	t := request.Target{Action: a.Action, Resource: a.Resource, Context: conds, ResourceAccount: c.g.cfg.Account}
	if b := bucketOf(a.Resource); b != "" {
		p, err := c.bucketPolicy(ctx, b)
		if err != nil {
			return t, err
		}
		t.ResourcePolicy = p
	}
	return t, nil
}

// bucketPolicy returns bucket's compiled policy, asked once per request.
func (c *call) bucketPolicy(ctx context.Context, bucket string) (*policy.Compiled, error) {
	if p, ok := c.policies[bucket]; ok {
		return p, nil
	}
	p, err := c.g.cfg.Policies.Compiled(ctx, bucket)
	if err != nil {
		return nil, errBackendUnavailable(err)
	}
	if c.policies == nil {
		c.policies = make(map[string]*policy.Compiled, 2)
	}
	c.policies[bucket] = p
	return p, nil
}

// bucketOf returns the bucket an S3 ARN names, "" for "*" and others.
func bucketOf(arn string) string {
	bucket, _ := objectOf(arn)
	return bucket
}

// objectOf returns the bucket and key an S3 ARN names; the key is "" for
// a bucket's ARN, both are "" for "*" and others.
func objectOf(arn string) (bucket, key string) {
	const prefix = ":s3:::"
	i := strings.Index(arn, prefix)
	if !strings.HasPrefix(arn, "arn:") || i < 0 {
		return "", ""
	}
	bucket, key, _ = strings.Cut(arn[i+len(prefix):], "/")
	return bucket, key
}

// checkCopySource refuses a copy whose source the backend could read as
// another object than the one authorized, since it reads the source from
// x-amz-copy-source itself: a key the gateway would refuse in a URL
// (s3wire.CheckKey: a store that normalises the path reads another), and
// a header whose reading depends on the decoder. The action map decodes
// it once as a path; MinIO and SeaweedFS decode it as a query ("+" is a
// space) and MinIO decodes the result again, so a "+", or a key that
// still holds an escape once decoded, names two objects.
func checkCopySource(res action.Result, h http.Header) error {
	if res.Operation != "CopyObject" && res.Operation != "UploadPartCopy" {
		return nil
	}
	for _, v := range h["X-Amz-Copy-Source"] {
		if strings.IndexByte(v, '+') >= 0 {
			return s3wire.CodeInvalidArgument.New("x-amz-copy-source has a '+', which S3-compatible stores read differently: encode it as %2B.")
		}
	}
	for _, a := range res.Authorizations {
		_, key := objectOf(a.Resource)
		if key == "" {
			continue
		}
		if e := s3wire.CheckKey(key); e != nil {
			return e
		}
		if again, err := url.PathUnescape(key); err == nil && again != key {
			return s3wire.CodeInvalidArgument.New("x-amz-copy-source names a key holding a percent-encoded sequence once decoded, which S3-compatible stores read differently.")
		}
	}
	return nil
}

// requestConditions adds S3's request keys to the operation's conditions.
func (c *call) requestConditions(base map[string][]string) map[string][]string {
	m := make(map[string][]string, len(base)+5)
	for k, v := range base {
		m[k] = v
	}
	if c.auth.signed {
		if c.auth.presigned {
			m["s3:authType"] = []string{"REST-QUERY-STRING"}
		} else {
			m["s3:authType"] = []string{"REST-HEADER"}
		}
		if c.auth.algorithm != "" {
			m["s3:signatureversion"] = []string{c.auth.algorithm}
		}
		if !c.auth.amzDate.IsZero() {
			m["s3:signatureAge"] = []string{strconv.FormatInt(c.Start.Sub(c.auth.amzDate).Milliseconds(), 10)}
		}
	}
	if s := c.HTTP.TLS; s != nil {
		if v := tlsVersion(s.Version); v != "" {
			m["s3:TlsVersion"] = []string{v}
		}
	}
	if v, ok := c.HTTP.Header["X-Amz-Content-Sha256"]; ok {
		m["s3:x-amz-content-sha256"] = v
	}
	return m
}

// tlsVersion is the value of s3:TlsVersion, a number as S3 gives it
// ("1.2", "1.3"), compared with numeric operators
// ("NumericLessThan": {"s3:TlsVersion": 1.2}).
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "1.3"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS10:
		return "1.0"
	}
	return ""
}

// ownerAccount reports whether the caller belongs to the account that
// owns the buckets.
func (c *call) ownerAccount() bool {
	p, _ := c.Principal.(*identity.Principal)
	return p != nil && p.Type != identity.Unknown && p.Account == c.g.cfg.Account
}

// anonymous reports whether the caller did not authenticate.
func (c *call) anonymous() bool {
	p, _ := c.Principal.(*identity.Principal)
	return p == nil || p.Type == identity.Unknown
}

// Act answers the bucket policy operations and ListBuckets here and
// forwards everything else to the bucket's backend.
func (c *call) Act(ctx context.Context, x *request.Exchange) error {
	if err := c.expectedOwner(); err != nil {
		return err
	}
	switch c.res.Operation {
	case "ListBuckets":
		return c.listBuckets(ctx)
	case "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus":
		return c.bucketPolicyOp(ctx)
	}
	c.backend = c.g.backendFor(c.addr.Bucket)
	if c.backend == nil {
		return noSuchBucket(c.addr.Bucket)
	}
	if err := c.sameBackendSource(); err != nil {
		return err
	}
	if c.res.Operation == "DeleteObjects" {
		return c.deleteObjects(ctx)
	}
	o, err := c.outgoing()
	if err != nil {
		return err
	}
	if err := c.roundTrip(ctx, o); err != nil {
		return err
	}
	if c.res.Operation == "DeleteBucket" {
		c.forgetPolicy(ctx)
	}
	return nil
}

// sameBackendSource refuses a copy whose source another backend serves:
// the backend copies, so it must hold both.
func (c *call) sameBackendSource() error {
	for _, a := range c.res.Authorizations {
		b := bucketOf(a.Resource)
		if b == "" || b == c.addr.Bucket {
			continue
		}
		if src := c.g.backendFor(b); src != c.backend {
			if src == nil {
				return noSuchBucket(b)
			}
			return s3wire.CodeNotImplemented.New("Copying between buckets of different backends is not supported by this gateway.")
		}
	}
	return nil
}

// expectedOwnerHeaders name the account a client expects to own the
// bucket (and a copy's source bucket).
var expectedOwnerHeaders = [...]string{"X-Amz-Expected-Bucket-Owner", "X-Amz-Source-Expected-Bucket-Owner"}

// expectedOwner answers the expected-owner headers for the backend: every
// bucket behind the gateway is the gateway's account's, whatever account
// the backend's key belongs to. A match is removed (the backend would
// compare with its own account); a mismatch is S3's AccessDenied.
func (c *call) expectedOwner() error {
	for _, h := range expectedOwnerHeaders {
		v, ok := c.header[h]
		if !ok {
			continue
		}
		if len(v) != 1 || v[0] != c.g.cfg.Account {
			return s3wire.CodeAccessDenied.New("")
		}
		if !c.ownHeader {
			c.header, c.ownHeader = c.header.Clone(), true
		}
		delete(c.header, h)
	}
	return nil
}

// forgetPolicy deletes the policy of a bucket the backend deleted, so
// that a bucket made again under its name starts without one, as in S3.
func (c *call) forgetPolicy(ctx context.Context) {
	if err := c.g.cfg.Policies.Delete(ctx, c.addr.Bucket); err != nil && !isNoSuchPolicy(err) {
		c.g.log.WarnContext(ctx, "s3 gateway: deleting the policy of a deleted bucket", "request_id", c.ID, "bucket", c.addr.Bucket, "err", err)
	}
}

func noSuchBucket(bucket string) error {
	e := s3wire.CodeNoSuchBucket.New("")
	e.BucketName = bucket
	e.Resource = "/" + bucket
	return e
}

// outgoing builds the request to forward, body included.
func (c *call) outgoing() (*outgoing, error) {
	r := c.HTTP
	o := &outgoing{
		method: r.Method, bucket: c.addr.Bucket, key: c.addr.Key, rawQuery: c.rawQuery,
		header: forwardHeader(c.header, c.chunked),
	}
	if c.small != nil {
		o.body, o.length, o.payloadHash = strings.NewReader(string(c.small)), int64(len(c.small)), sha256Hex(c.small)
		return o, nil
	}
	n, err := bodyLength(r, c.chunked)
	if err != nil {
		return nil, err
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if name := trailerName(r.Header.Get("X-Amz-Trailer")); c.chunked && name != "" && n >= 0 {
		// Forward the checksum the client sent in its trailer.
		c.body = newVerifiedBody(c.Stream, n)
		o.body, o.length, o.payloadHash = newTrailerEncoder(c.body, name), trailerLength(n, name), sigv4.StreamingUnsignedPayloadTrailer
		o.header["Content-Encoding"] = []string{strings.Join(append([]string{"aws-chunked"}, o.header["Content-Encoding"]...), ",")}
		o.header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(n, 10))
		o.header.Set("X-Amz-Trailer", name)
		if v := r.Header.Get("X-Amz-Sdk-Checksum-Algorithm"); v != "" {
			o.header.Set("X-Amz-Sdk-Checksum-Algorithm", v)
		}
		return o, nil
	}
	if n == 0 {
		// Read to the end all the same: the verifying reader checks an
		// empty body's hash, chunks and trailer at EOF.
		if err := drain(c.Stream); err != nil {
			return nil, err
		}
		o.length, o.payloadHash = 0, emptySHA256
		return o, nil
	}
	c.body = newVerifiedBody(c.Stream, n)
	o.body, o.length = c.body, n
	if isHexSHA256(declared) && !c.chunked {
		o.payloadHash = strings.ToLower(declared) // the backend checks it too
	} else {
		o.payloadHash = sigv4.UnsignedPayload
	}
	return o, nil
}

// drain reads a body that must be empty to its end.
func drain(r io.Reader) error {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n > 0 {
			return errBodyTooLong
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
	}
}

// roundTrip sends o and keeps the backend's answer: a success to stream,
// or its error to pass through.
func (c *call) roundTrip(ctx context.Context, o *outgoing) error {
	resp, err := c.g.send(ctx, c.backend, o)
	if c.body != nil {
		if ferr := c.body.Failure(); ferr != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return ferr
		}
	}
	if err != nil {
		if isCanceled(ctx, err) {
			return clientGone(err)
		}
		c.g.log.ErrorContext(ctx, "s3 gateway: backend unreachable", "request_id", c.ID, "backend", c.backend.Name, "err", err)
		return errBackendUnavailable(err)
	}
	if isBackendError(resp.StatusCode) {
		return readBackendError(resp, o.method)
	}
	c.resp = resp
	return nil
}

// clientGone is the error of a request whose client went away.
func clientGone(cause error) error {
	e := s3wire.CodeIncompleteBody.New("The client closed the connection.")
	e.Cause = cause
	return e
}
