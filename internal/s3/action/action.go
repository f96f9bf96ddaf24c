package action

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Request is one S3 REST request as the gateway parsed it.
type Request struct {
	// Method is the HTTP method (GET, HEAD, PUT, POST, DELETE).
	Method string
	// Bucket is "" for the service (ListBuckets).
	Bucket string
	// Key is "" for a bucket-level request; it is the decoded object key.
	Key string
	// Query holds the query parameters, sub-resource markers included
	// (?acl is Query["acl"] = [""]).
	Query url.Values
	// Header holds the request headers with canonical keys, as net/http
	// gives them.
	Header http.Header
	// LocationConstraint is CreateBucket's location constraint, parsed from
	// its body by the caller ("" when the body has none).
	LocationConstraint string
	// Partition is the ARN partition; "" means "aws".
	Partition string
}

// Authorization is one IAM action on one resource that a request needs.
type Authorization struct {
	Action   string // e.g. s3:GetObject
	Resource string // e.g. arn:aws:s3:::bucket/key, or *
}

// Result is the operation a request invokes and what it needs.
type Result struct {
	// Operation is the S3 API operation, named as in botocore's s3 model.
	Operation string
	// Authorizations are all required; the request is allowed only if
	// every one is.
	Authorizations []Authorization
	// Conditions are the S3 condition keys the request supplies, nil when
	// it supplies none. Values may share storage with Request.Query and
	// Request.Header: do not modify them.
	Conditions map[string][]string
	// PerKey is set for DeleteObjects, whose authorizations come from
	// DeleteObjectsKey, once for each key of its body. Authorizations is
	// then empty.
	PerKey bool
}

// Tag is one object tag.
type Tag struct {
	Key, Value string
}

// level is the kind of resource a request addresses.
type level uint8

const (
	levelService level = iota
	levelBucket
	levelObject
)

func (l level) String() string {
	switch l {
	case levelService:
		return "service"
	case levelBucket:
		return "bucket"
	default:
		return "object"
	}
}

// Map returns the operation r invokes and the authorizations and condition
// keys it needs.
func Map(r Request) (Result, error) {
	lv := levelObject
	switch {
	case r.Bucket == "" && r.Key != "":
		return Result{}, &InvalidArgumentError{Name: "bucket", Reason: "an object key without a bucket"}
	case r.Bucket == "":
		lv = levelService
	case r.Key == "":
		lv = levelBucket
	}
	if strings.IndexByte(r.Bucket, '/') >= 0 {
		return Result{}, &InvalidArgumentError{Name: "bucket", Reason: "a bucket name cannot contain /"}
	}
	sub, err := subresource(r.Query, r.Method, lv)
	if err != nil {
		return Result{}, err
	}
	rt, ok := routes[routeKey{lv, sub, r.Method}]
	if !ok {
		return Result{}, unrouted(lv, sub, r.Method)
	}
	m := mapper{r: r}
	if err := m.build(&rt); err != nil {
		return Result{}, err
	}
	m.res.Operation = rt.name
	if m.op != "" {
		m.res.Operation = m.op
	}
	m.addConditions(rt.conds)
	return m.res, nil
}

// subresource returns the one sub-resource marker in q, or "".
func subresource(q url.Values, method string, lv level) (string, error) {
	sub := ""
	for k := range q {
		if !markers[k] {
			continue
		}
		if sub != "" {
			return "", &NotImplementedError{Method: method, Level: lv.String(), SubResource: sub + "&" + k,
				Reason: "more than one sub-resource in one request"}
		}
		sub = k
	}
	return sub, nil
}

// unrouted returns the error for a request no route serves: MethodNotAllowed
// when the resource serves other methods, NotImplemented otherwise.
func unrouted(lv level, sub, method string) error {
	methods := [...]string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete}
	if !slices.Contains(methods[:], method) {
		return &NotImplementedError{Method: method, Level: lv.String(), SubResource: sub, Reason: "S3 has no operation with this method"}
	}
	for _, m := range methods {
		if _, ok := routes[routeKey{lv, sub, m}]; ok {
			return &MethodNotAllowedError{Method: method, Level: lv.String(), SubResource: sub}
		}
	}
	reason := "no S3 operation for this resource"
	if _, ok := unmapped[sub]; ok {
		reason = "operation " + unmapped[sub] + " is not served"
	}
	return &NotImplementedError{Method: method, Level: lv.String(), SubResource: sub, Reason: reason}
}

// DeleteObjectsKey returns the authorizations and condition keys for one
// key of a DeleteObjects request r (POST ?delete): s3:DeleteObject on the
// key, or s3:DeleteObjectVersion when versionID is set, plus
// s3:BypassGovernanceRetention when r asks to bypass governance retention.
func DeleteObjectsKey(r Request, key, versionID string) (Result, error) {
	if r.Bucket == "" || strings.IndexByte(r.Bucket, '/') >= 0 {
		return Result{}, &InvalidArgumentError{Name: "bucket", Reason: "DeleteObjects needs a bucket"}
	}
	if key == "" {
		return Result{}, &InvalidArgumentError{Name: "Key", Reason: "an object to delete needs a key"}
	}
	r.Key = key
	m := mapper{r: r}
	res := m.objectARN()
	if versionID == "" {
		m.auth("s3:DeleteObject", res)
	} else {
		m.auth("s3:DeleteObjectVersion", res)
		m.cond("s3:VersionId", []string{versionID})
	}
	m.bypass(res)
	m.res.Operation = "DeleteObjects"
	m.addConditions(condSHA)
	return m.res, nil
}

// AddTagConditions adds s3:RequestObjectTagKeys and s3:RequestObjectTag/<key>
// for tags to conds (allocating it when nil) and returns it. The caller uses
// it with the tag set it parsed from a PutObjectTagging body.
func AddTagConditions(conds map[string][]string, tags []Tag) map[string][]string {
	if len(tags) == 0 {
		return conds
	}
	if conds == nil {
		conds = make(map[string][]string, len(tags)+1)
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		keys = append(keys, t.Key)
		conds["s3:RequestObjectTag/"+t.Key] = []string{t.Value}
	}
	conds["s3:RequestObjectTagKeys"] = keys
	return conds
}
