package gateway

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/action"
	"github.com/brevet-dev/brevet/internal/s3/bucketpolicy"
	"github.com/brevet-dev/brevet/internal/s3wire"
)

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// listedBucket is one bucket of a ListBuckets answer.
type listedBucket struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// maxListBody bounds a backend's ListBuckets answer read whole.
const maxListBody = 16 << 20

// listBuckets merges the ListBuckets of every backend, each filtered to
// the buckets it serves, owned by the gateway's account.
func (c *call) listBuckets(ctx context.Context) error {
	prefix := c.areq.Query.Get("prefix")
	var all []listedBucket
	for _, b := range c.g.backends {
		c.backend = b
		if err := c.roundTrip(ctx, &outgoing{method: http.MethodGet, payloadHash: emptySHA256}); err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(c.resp.Body, maxListBody+1))
		c.resp.Body.Close()
		c.resp = nil
		if err != nil || len(body) > maxListBody {
			return errBackendUnavailable(errors.New("gateway: reading a backend's bucket list failed or it is too long"))
		}
		var doc struct {
			Buckets []listedBucket `xml:"Buckets>Bucket"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			return errBackendUnavailable(err)
		}
		for _, lb := range doc.Buckets {
			if c.g.backendFor(lb.Name) == b && strings.HasPrefix(lb.Name, prefix) {
				all = append(all, lb)
			}
		}
	}
	c.backend = nil
	slices.SortFunc(all, func(a, b listedBucket) int { return strings.Compare(a.Name, b.Name) })
	page, next, err := bucketPage(all, c.areq.Query.Get("continuation-token"), c.areq.Query.Get("max-buckets"))
	if err != nil {
		return err
	}
	out := struct {
		XMLName xml.Name `xml:"ListAllMyBucketsResult"`
		NS      string   `xml:"xmlns,attr"`
		Owner   struct {
			ID          string `xml:"ID"`
			DisplayName string `xml:"DisplayName"`
		} `xml:"Owner"`
		Buckets           []listedBucket `xml:"Buckets>Bucket"`
		ContinuationToken string         `xml:"ContinuationToken,omitempty"`
		Prefix            string         `xml:"Prefix,omitempty"`
	}{NS: s3NS, Buckets: page, ContinuationToken: next, Prefix: prefix}
	out.Owner.ID, out.Owner.DisplayName = c.g.cfg.Account, c.g.cfg.Account
	body, err := xml.Marshal(out)
	if err != nil {
		return err
	}
	c.local = xmlDoc(http.StatusOK, body)
	return nil
}

// bucketPage cuts the sorted buckets after the continuation token (the
// name of the last bucket of the previous page, base64-encoded) to at
// most max-buckets (1 to 10,000; all when absent), and returns the token
// of the next page, "" for the last.
func bucketPage(all []listedBucket, token, maxBuckets string) ([]listedBucket, string, error) {
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", s3wire.CodeInvalidArgument.New("The continuation token provided is incorrect")
		}
		i, _ := slices.BinarySearchFunc(all, string(after), func(b listedBucket, name string) int { return strings.Compare(b.Name, name) })
		for i < len(all) && all[i].Name <= string(after) {
			i++
		}
		all = all[i:]
	}
	if maxBuckets == "" {
		return all, "", nil
	}
	n, err := strconv.Atoi(maxBuckets)
	if err != nil || n < 1 || n > 10000 {
		return nil, "", s3wire.CodeInvalidArgument.New("max-buckets must be between 1 and 10000")
	}
	if len(all) <= n {
		return all, "", nil
	}
	return all[:n], base64.RawURLEncoding.EncodeToString([]byte(all[n-1].Name)), nil
}

// bucketPolicyOp answers the bucket policy operations from Policies.
// As S3, it lets only the bucket owner's account read, replace or delete
// a policy, whatever the policy grants (405 MethodNotAllowed to others, as
// S3 answers an authorized caller of another account): a bucket open to
// everyone for s3:* must not let anyone rewrite its policy.
func (c *call) bucketPolicyOp(ctx context.Context) error {
	bucket := c.addr.Bucket
	p := c.g.cfg.Policies
	if c.res.Operation != "GetBucketPolicyStatus" && !c.ownerAccount() {
		return s3wire.CodeMethodNotAllowed.New("")
	}
	switch c.res.Operation {
	case "PutBucketPolicy":
		if err := c.headBucket(ctx, bucket); err != nil {
			return err
		}
		if err := p.Put(ctx, bucket, string(c.small), c.g.cfg.Now()); err != nil {
			return err
		}
		c.local = &localResponse{status: http.StatusNoContent, header: http.Header{}}
	case "GetBucketPolicy":
		doc, err := p.Get(ctx, bucket)
		if err != nil {
			return err
		}
		c.local = &localResponse{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(doc)}
	case "DeleteBucketPolicy":
		if err := p.Delete(ctx, bucket); err != nil && !isNoSuchPolicy(err) {
			return err
		}
		c.local = &localResponse{status: http.StatusNoContent, header: http.Header{}}
	case "GetBucketPolicyStatus":
		public, err := p.Status(ctx, bucket)
		if err != nil {
			return err
		}
		v := "false"
		if public {
			v = "true"
		}
		c.local = xmlDoc(http.StatusOK, []byte(`<PolicyStatus xmlns="`+s3NS+`"><IsPublic>`+v+`</IsPublic></PolicyStatus>`))
	}
	return nil
}

// headBucket checks, with the backend, that bucket exists.
func (c *call) headBucket(ctx context.Context, bucket string) error {
	c.backend = c.g.backendFor(bucket)
	if c.backend == nil {
		return noSuchBucket(bucket)
	}
	err := c.roundTrip(ctx, &outgoing{method: http.MethodHead, bucket: bucket, payloadHash: emptySHA256})
	if c.resp != nil {
		c.resp.Body.Close()
		c.resp = nil
	}
	if be, ok := errors.AsType[*backendError](err); ok {
		if be.status == http.StatusNotFound {
			return noSuchBucket(bucket)
		}
		c.g.log.ErrorContext(ctx, "s3 gateway: HeadBucket failed at the backend", "request_id", c.ID, "bucket", bucket, "status", be.status)
		return errBackendUnavailable(be)
	}
	return err
}

// keyError is one key of a DeleteObjects the gateway refused.
type keyError struct {
	obj  deleteObject
	code string
	msg  string
}

// deleteObjects authorizes each key of a DeleteObjects, forwards the
// allowed ones, and merges S3's per-key errors for the others into the
// answer, as S3 reports a key it may not delete.
func (c *call) deleteObjects(ctx context.Context) error {
	var allowed []deleteObject
	var refused []keyError
	for _, o := range c.del.Objects {
		ke, err := c.authorizeKey(ctx, o)
		if err != nil {
			return err
		}
		if ke != nil {
			refused = append(refused, *ke)
			continue
		}
		allowed = append(allowed, o)
	}
	for _, ke := range refused {
		c.refused = append(c.refused, ke.obj.Key)
	}
	if len(allowed) == 0 {
		var b bytes.Buffer
		b.WriteString(`<DeleteResult xmlns="` + s3NS + `">`)
		appendKeyErrors(&b, refused)
		b.WriteString(`</DeleteResult>`)
		c.local = xmlDoc(http.StatusOK, b.Bytes())
		return nil
	}
	fwd := deleteRequest{Objects: allowed, Quiet: c.del.Quiet}
	body, err := xml.Marshal(&fwd)
	if err != nil {
		return err
	}
	h := forwardHeader(c.header, c.chunked)
	for k := range h {
		if strings.HasPrefix(k, "X-Amz-Checksum-") || k == "X-Amz-Sdk-Checksum-Algorithm" || k == "Content-Md5" {
			delete(h, k)
		}
	}
	sum := md5.Sum(body)
	h.Set("Content-Md5", base64.StdEncoding.EncodeToString(sum[:]))
	o := &outgoing{method: http.MethodPost, bucket: c.addr.Bucket, rawQuery: c.rawQuery, header: h,
		body: bytes.NewReader(body), length: int64(len(body)), payloadHash: sha256Hex(body)}
	if err := c.roundTrip(ctx, o); err != nil {
		return err
	}
	if len(refused) == 0 {
		return nil
	}
	return c.mergeDeleteErrors(refused)
}

// authorizeKey authorizes one key; a refusal is a keyError, a failure to
// decide an error.
func (c *call) authorizeKey(ctx context.Context, o deleteObject) (*keyError, error) {
	// A key the gateway would refuse in a URL: a store that normalises
	// paths would delete another object than the one authorized.
	if we := s3wire.CheckKey(o.Key); we != nil {
		return &keyError{obj: o, code: we.Code.Name, msg: we.Message}, nil
	}
	res, err := action.DeleteObjectsKey(c.areq, o.Key, o.VersionID)
	if err != nil {
		return &keyError{obj: o, code: s3wire.CodeInvalidArgument.Name, msg: s3wire.CodeInvalidArgument.Message}, nil
	}
	conds := c.requestConditions(res.Conditions)
	for _, a := range res.Authorizations {
		t, err := c.target(ctx, a, conds)
		if err != nil {
			return nil, err
		}
		err = c.g.cfg.Pipeline.Authorize(ctx, &c.Exchange, t)
		if _, denied := errors.AsType[*request.AccessDeniedError](err); denied {
			return &keyError{obj: o, code: s3wire.CodeAccessDenied.Name, msg: s3wire.CodeAccessDenied.Message}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func appendKeyErrors(b *bytes.Buffer, errs []keyError) {
	for _, e := range errs {
		b.WriteString("<Error><Key>" + escapeText(e.obj.Key) + "</Key>")
		if e.obj.VersionID != "" {
			b.WriteString("<VersionId>" + escapeText(e.obj.VersionID) + "</VersionId>")
		}
		b.WriteString("<Code>" + e.code + "</Code><Message>" + escapeText(e.msg) + "</Message></Error>")
	}
}

// mergeDeleteErrors adds the refused keys to the backend's DeleteResult.
func (c *call) mergeDeleteErrors(refused []keyError) error {
	body, err := io.ReadAll(io.LimitReader(c.resp.Body, maxListBody+1))
	c.resp.Body.Close()
	if err != nil || len(body) > maxListBody {
		return errBackendUnavailable(errors.New("gateway: reading the backend's DeleteResult failed or it is too long"))
	}
	const end = "</DeleteResult>"
	i := bytes.LastIndex(body, []byte(end))
	if i < 0 {
		return errBackendUnavailable(errors.New("gateway: the backend's DeleteObjects answer is not a DeleteResult"))
	}
	var b bytes.Buffer
	b.Write(body[:i])
	appendKeyErrors(&b, refused)
	b.Write(body[i:])
	header := c.resp.Header.Clone()
	header.Del("Content-Length")
	c.local = &localResponse{status: c.resp.StatusCode, header: header, body: b.Bytes()}
	c.resp = nil
	return nil
}

// policyError maps the errors of BucketPolicies (s3/bucketpolicy).
func policyError(err error) *s3wire.Error {
	if e, ok := errors.AsType[*bucketpolicy.MalformedPolicyError](err); ok {
		return &s3wire.Error{Code: s3wire.CodeMalformedPolicy, Message: e.Message, Cause: err}
	}
	if errors.Is(err, bucketpolicy.ErrNoSuchBucketPolicy) {
		return &s3wire.Error{Code: s3wire.CodeNoSuchBucketPolicy, Message: s3wire.CodeNoSuchBucketPolicy.Message, Cause: err}
	}
	if errors.Is(err, bucketpolicy.ErrInvalidBucketName) {
		return &s3wire.Error{Code: s3wire.CodeInvalidBucketName, Message: s3wire.CodeInvalidBucketName.Message, Cause: err}
	}
	return nil
}

// isNoSuchPolicy reports whether err says the bucket has no policy.
func isNoSuchPolicy(err error) bool {
	return errors.Is(err, bucketpolicy.ErrNoSuchBucketPolicy)
}
