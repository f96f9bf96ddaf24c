package action

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// route is one operation: its name, the condition keys it takes from the
// request, and how its authorizations are built.
type route struct {
	name      string
	conds     condSet
	kind      kind
	action    string // the IAM action, for the kinds that take one
	versioned string // the IAM action when the request names a version ("" for none)
	listName  string // kindIDConfig: the operation without ?id
}

// kind selects how a route builds its authorizations (a switch, not a func
// value, so that building one does not allocate).
type kind uint8

const (
	kindBucket        kind = iota // action on the bucket
	kindObject                    // action (or versioned) on the object
	kindService                   // action on *
	kindList                      // ListObjects or ListObjectsV2
	kindCreateBucket              // CreateBucket and what its headers set
	kindPutObject                 // PutObject or CopyObject
	kindWriteObject               // CreateMultipartUpload
	kindUploadPart                // UploadPart or UploadPartCopy
	kindDeleteObject              // DeleteObject(Version), with bypass
	kindPutRetention              // PutObjectRetention, with bypass
	kindSelect                    // SelectObjectContent
	kindIDConfig                  // Get (with ?id) or List (without) configurations
	kindDeleteObjects             // per key
	kindBrowserPost               // POST to a bucket: not served
)

type routeKey struct {
	level  level
	sub    string
	method string
}

// markers are the query parameters S3 reads as sub-resources: a request
// carries at most one. Unknown parameters are ignored, as S3 ignores them.
// Every sub-resource S3 knows must be listed here, served or not, or a
// request for it would be authorized as the plain operation.
var markers = map[string]bool{
	"acl": true, "tagging": true, "uploads": true, "uploadId": true, "policy": true,
	"versioning": true, "location": true, "delete": true, "versions": true, "cors": true,
	"lifecycle": true, "encryption": true, "object-lock": true, "retention": true,
	"legal-hold": true, "attributes": true, "restore": true, "select": true,
	"notification": true, "website": true, "logging": true, "replication": true,
	"requestPayment": true, "ownershipControls": true, "publicAccessBlock": true,
	"policyStatus": true, "accelerate": true, "analytics": true, "inventory": true,
	"metrics": true, "intelligent-tiering": true, "torrent": true,
	// Known and not served (NotImplemented), see unmapped.
	"session": true, "metadataTable": true, "metadataConfiguration": true,
	"metadataInventoryTable": true, "metadataJournalTable": true, "renameObject": true,
	"abac": true,
}

// unmapped names the operations behind the markers this map does not serve.
var unmapped = map[string]string{
	"session":                "CreateSession",
	"metadataTable":          "the bucket metadata table operations",
	"metadataConfiguration":  "the bucket metadata configuration operations",
	"metadataInventoryTable": "UpdateBucketMetadataInventoryTableConfiguration",
	"metadataJournalTable":   "UpdateBucketMetadataJournalTableConfiguration",
	"renameObject":           "RenameObject",
	"abac":                   "GetBucketAbac and PutBucketAbac",
}

// routes is the action map; it is built once and never modified.
var routes = buildRoutes()

func buildRoutes() map[routeKey]route {
	rs := map[routeKey]route{}
	add := func(lv level, sub, method string, rt route) {
		rt.conds |= condSHA
		rs[routeKey{lv, sub, method}] = rt
	}
	bucket := func(name, action string) route { return route{name: name, kind: kindBucket, action: action} }
	object := func(name, action, versioned string) route {
		return route{name: name, kind: kindObject, action: action, versioned: versioned, conds: condVersion}
	}
	const get, head, put, post, del = http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete

	add(levelService, "", get, route{name: "ListBuckets", kind: kindService, action: "s3:ListAllMyBuckets"})

	// Buckets.
	add(levelBucket, "", get, route{name: "ListObjects", kind: kindList, action: "s3:ListBucket", conds: condList})
	add(levelBucket, "", head, bucket("HeadBucket", "s3:ListBucket"))
	add(levelBucket, "", put, route{name: "CreateBucket", kind: kindCreateBucket, conds: condACL | condCreate})
	add(levelBucket, "", del, bucket("DeleteBucket", "s3:DeleteBucket"))
	add(levelBucket, "", post, route{kind: kindBrowserPost})
	add(levelBucket, "versions", get, route{name: "ListObjectVersions", kind: kindBucket, action: "s3:ListBucketVersions", conds: condList})
	add(levelBucket, "uploads", get, bucket("ListMultipartUploads", "s3:ListBucketMultipartUploads"))
	add(levelBucket, "delete", post, route{name: "DeleteObjects", kind: kindDeleteObjects})
	add(levelBucket, "acl", get, bucket("GetBucketAcl", "s3:GetBucketAcl"))
	add(levelBucket, "acl", put, route{name: "PutBucketAcl", kind: kindBucket, action: "s3:PutBucketAcl", conds: condACL})
	add(levelBucket, "location", get, bucket("GetBucketLocation", "s3:GetBucketLocation"))
	add(levelBucket, "policyStatus", get, bucket("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus"))
	for _, c := range []struct {
		sub                    string
		get, put, del          string // operations ("" when none)
		getAct, putAct, delAct string // IAM actions
	}{
		{"policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"},
		{"tagging", "GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:PutBucketTagging"},
		{"versioning", "GetBucketVersioning", "PutBucketVersioning", "", "s3:GetBucketVersioning", "s3:PutBucketVersioning", ""},
		{"cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors", "s3:GetBucketCORS", "s3:PutBucketCORS", "s3:PutBucketCORS"},
		{"lifecycle", "GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
		{"encryption", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
		{"object-lock", "GetObjectLockConfiguration", "PutObjectLockConfiguration", "", "s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", ""},
		{"notification", "GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", "", "s3:GetBucketNotification", "s3:PutBucketNotification", ""},
		{"website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite", "s3:GetBucketWebsite", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite"},
		{"logging", "GetBucketLogging", "PutBucketLogging", "", "s3:GetBucketLogging", "s3:PutBucketLogging", ""},
		{"replication", "GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication", "s3:GetReplicationConfiguration", "s3:PutReplicationConfiguration", "s3:PutReplicationConfiguration"},
		{"requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", "", "s3:GetBucketRequestPayment", "s3:PutBucketRequestPayment", ""},
		{"ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls", "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls", "s3:PutBucketOwnershipControls"},
		{"publicAccessBlock", "GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
		{"accelerate", "GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", "", "s3:GetAccelerateConfiguration", "s3:PutAccelerateConfiguration", ""},
	} {
		add(levelBucket, c.sub, get, bucket(c.get, c.getAct))
		add(levelBucket, c.sub, put, bucket(c.put, c.putAct))
		if c.del != "" {
			add(levelBucket, c.sub, del, bucket(c.del, c.delAct))
		}
	}
	// Configurations addressed by ?id: GET without an id lists them.
	for _, c := range []struct{ sub, name, getAct, putAct string }{
		{"analytics", "Analytics", "s3:GetAnalyticsConfiguration", "s3:PutAnalyticsConfiguration"},
		{"inventory", "Inventory", "s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration"},
		{"metrics", "Metrics", "s3:GetMetricsConfiguration", "s3:PutMetricsConfiguration"},
		{"intelligent-tiering", "IntelligentTiering", "s3:GetIntelligentTieringConfiguration", "s3:PutIntelligentTieringConfiguration"},
	} {
		add(levelBucket, c.sub, get, route{name: "GetBucket" + c.name + "Configuration", listName: "ListBucket" + c.name + "Configurations",
			kind: kindIDConfig, action: c.getAct})
		add(levelBucket, c.sub, put, bucket("PutBucket"+c.name+"Configuration", c.putAct))
		add(levelBucket, c.sub, del, bucket("DeleteBucket"+c.name+"Configuration", c.putAct))
	}

	// Objects.
	add(levelObject, "", get, object("GetObject", "s3:GetObject", "s3:GetObjectVersion"))
	add(levelObject, "", head, object("HeadObject", "s3:GetObject", "s3:GetObjectVersion"))
	add(levelObject, "", put, route{name: "PutObject", kind: kindPutObject, conds: condWrite})
	add(levelObject, "", del, route{name: "DeleteObject", kind: kindDeleteObject, action: "s3:DeleteObject", versioned: "s3:DeleteObjectVersion", conds: condVersion})
	add(levelObject, "acl", get, object("GetObjectAcl", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"))
	putACL := object("PutObjectAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl")
	putACL.conds |= condACL
	add(levelObject, "acl", put, putACL)
	add(levelObject, "tagging", get, object("GetObjectTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"))
	add(levelObject, "tagging", put, object("PutObjectTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"))
	add(levelObject, "tagging", del, object("DeleteObjectTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"))
	add(levelObject, "attributes", get, object("GetObjectAttributes", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"))
	add(levelObject, "retention", get, object("GetObjectRetention", "s3:GetObjectRetention", ""))
	add(levelObject, "retention", put, route{name: "PutObjectRetention", kind: kindPutRetention, action: "s3:PutObjectRetention", conds: condVersion})
	add(levelObject, "legal-hold", get, object("GetObjectLegalHold", "s3:GetObjectLegalHold", ""))
	add(levelObject, "legal-hold", put, object("PutObjectLegalHold", "s3:PutObjectLegalHold", ""))
	add(levelObject, "restore", post, object("RestoreObject", "s3:RestoreObject", ""))
	add(levelObject, "torrent", get, route{name: "GetObjectTorrent", kind: kindObject, action: "s3:GetObjectTorrent"})
	add(levelObject, "select", post, route{name: "SelectObjectContent", kind: kindSelect, action: "s3:GetObject"})
	add(levelObject, "uploads", post, route{name: "CreateMultipartUpload", kind: kindWriteObject, conds: condWrite})
	add(levelObject, "uploadId", get, route{name: "ListParts", kind: kindObject, action: "s3:ListMultipartUploadParts"})
	add(levelObject, "uploadId", put, route{name: "UploadPart", kind: kindUploadPart})
	add(levelObject, "uploadId", post, route{name: "CompleteMultipartUpload", kind: kindObject, action: "s3:PutObject"})
	add(levelObject, "uploadId", del, route{name: "AbortMultipartUpload", kind: kindObject, action: "s3:AbortMultipartUpload"})
	return rs
}

// build adds rt's authorizations to m.
func (m *mapper) build(rt *route) error {
	switch rt.kind {
	case kindService:
		m.auth(rt.action, "*")
	case kindBucket:
		m.auth(rt.action, m.bucketARN())
	case kindObject:
		m.auth(m.versionedAction(rt), m.objectARN())
	case kindList:
		return m.listObjects(rt)
	case kindCreateBucket:
		m.createBucket()
	case kindPutObject:
		return m.putObject()
	case kindWriteObject:
		return m.writeObject()
	case kindUploadPart:
		return m.uploadPart()
	case kindDeleteObject, kindPutRetention:
		res := m.objectARN()
		m.auth(m.versionedAction(rt), res)
		m.bypass(res)
	case kindSelect:
		if m.r.Query.Get("select-type") != "2" {
			return &NotImplementedError{Method: m.r.Method, Level: "object", SubResource: "select", Reason: "select-type must be 2"}
		}
		m.auth(rt.action, m.objectARN())
	case kindIDConfig:
		if _, ok := m.r.Query["id"]; !ok {
			m.op = rt.listName
		}
		m.auth(rt.action, m.bucketARN())
	case kindDeleteObjects:
		m.res.PerKey = true
	default: // kindBrowserPost
		return &NotImplementedError{Method: m.r.Method, Level: "bucket", Reason: "browser-based POST uploads are not served"}
	}
	return nil
}

func (m *mapper) versionedAction(rt *route) string {
	if rt.versioned != "" && m.r.Query.Has("versionId") {
		return rt.versioned
	}
	return rt.action
}

func (m *mapper) listObjects(rt *route) error {
	if lt, ok := m.r.Query["list-type"]; ok {
		if len(lt) != 1 || lt[0] != "2" {
			return &InvalidArgumentError{Name: "list-type", Reason: "list-type must be 2"}
		}
		m.op = "ListObjectsV2"
	}
	m.auth(rt.action, m.bucketARN())
	return nil
}

func (m *mapper) createBucket() {
	res := m.bucketARN()
	m.auth("s3:CreateBucket", res)
	if hasACLHeaders(m.r.Header) {
		m.auth("s3:PutBucketAcl", res)
	}
	if strings.EqualFold(headerValue(m.r.Header, "X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		m.auth("s3:PutBucketObjectLockConfiguration", res)
		m.auth("s3:PutBucketVersioning", res)
	}
	if _, ok := m.r.Header["X-Amz-Object-Ownership"]; ok {
		m.auth("s3:PutBucketOwnershipControls", res)
	}
}

// putObject is PutObject, or CopyObject when the request names a source.
func (m *mapper) putObject() error {
	if _, ok := m.r.Header[hdrCopySource]; !ok {
		return m.writeObject()
	}
	m.op = "CopyObject"
	if err := m.copySource(); err != nil {
		return err
	}
	if err := m.writeObject(); err != nil {
		return err
	}
	if v, ok := m.r.Header["X-Amz-Metadata-Directive"]; ok {
		m.cond("s3:x-amz-metadata-directive", v)
	}
	return nil
}

// uploadPart is UploadPart, or UploadPartCopy when the request names a source.
func (m *mapper) uploadPart() error {
	if _, ok := m.r.Header[hdrCopySource]; ok {
		m.op = "UploadPartCopy"
		if err := m.copySource(); err != nil {
			return err
		}
	}
	m.auth("s3:PutObject", m.objectARN())
	return nil
}

const hdrCopySource = "X-Amz-Copy-Source"

// mapper builds one Result.
type mapper struct {
	r   Request
	res Result
	op  string // overrides the route's name when set
}

func (m *mapper) auth(action, resource string) {
	if m.res.Authorizations == nil {
		m.res.Authorizations = make([]Authorization, 0, 2)
	}
	m.res.Authorizations = append(m.res.Authorizations, Authorization{Action: action, Resource: resource})
}

func (m *mapper) cond(key string, values []string) {
	if m.res.Conditions == nil {
		m.res.Conditions = make(map[string][]string, 4)
	}
	m.res.Conditions[key] = values
}

func (m *mapper) partition() string {
	if m.r.Partition == "" {
		return "aws"
	}
	return m.r.Partition
}

func (m *mapper) bucketARN() string {
	return "arn:" + m.partition() + ":s3:::" + m.r.Bucket
}

func (m *mapper) objectARN() string {
	return "arn:" + m.partition() + ":s3:::" + m.r.Bucket + "/" + m.r.Key
}

// writeObject authorizes writing the object (PutObject, CopyObject's target,
// CreateMultipartUpload) and what its headers set besides the data.
func (m *mapper) writeObject() error {
	res := m.objectARN()
	m.auth("s3:PutObject", res)
	h := m.r.Header
	if hasACLHeaders(h) {
		m.auth("s3:PutObjectAcl", res)
	}
	if v, ok := h["X-Amz-Tagging"]; ok {
		tags, err := parseTagging(v)
		if err != nil {
			return err
		}
		m.auth("s3:PutObjectTagging", res)
		m.res.Conditions = AddTagConditions(m.res.Conditions, tags)
	}
	_, mode := h["X-Amz-Object-Lock-Mode"]
	_, until := h["X-Amz-Object-Lock-Retain-Until-Date"]
	if mode || until {
		m.auth("s3:PutObjectRetention", res)
	}
	if _, ok := h["X-Amz-Object-Lock-Legal-Hold"]; ok {
		m.auth("s3:PutObjectLegalHold", res)
	}
	return nil
}

// copySource authorizes reading the source of a copy and records it as
// s3:x-amz-copy-source.
func (m *mapper) copySource() error {
	src, err := parseCopySource(m.r.Header[hdrCopySource])
	if err != nil {
		return err
	}
	action := "s3:GetObject"
	if src.versionID != "" {
		action = "s3:GetObjectVersion"
	}
	m.auth(action, "arn:"+m.partition()+":s3:::"+src.bucket+"/"+src.key)
	m.cond("s3:x-amz-copy-source", []string{src.bucket + "/" + src.key})
	return nil
}

// bypass adds s3:BypassGovernanceRetention when the request asks for it.
func (m *mapper) bypass(resource string) {
	if strings.EqualFold(headerValue(m.r.Header, "X-Amz-Bypass-Governance-Retention"), "true") {
		m.auth("s3:BypassGovernanceRetention", resource)
	}
}

type copySourceRef struct {
	bucket, key, versionID string
}

// parseCopySource parses x-amz-copy-source: [/]bucket/key[?versionId=id],
// URL-encoded.
func parseCopySource(values []string) (copySourceRef, error) {
	bad := func(reason string) (copySourceRef, error) {
		return copySourceRef{}, &InvalidArgumentError{Name: "x-amz-copy-source", Reason: reason}
	}
	if len(values) != 1 {
		return bad("exactly one copy source is needed")
	}
	v := values[0]
	if strings.HasPrefix(v, "arn:") {
		return bad("access point copy sources are not served")
	}
	raw, rawQuery, hasQuery := strings.Cut(v, "?")
	p, err := url.PathUnescape(raw)
	if err != nil {
		return bad("the copy source is not URL-encoded correctly")
	}
	p = strings.TrimPrefix(p, "/")
	if strings.HasPrefix(p, "arn:") {
		return bad("access point copy sources are not served")
	}
	bucket, key, ok := strings.Cut(p, "/")
	if !ok || bucket == "" || key == "" {
		return bad("the copy source must be bucket/key")
	}
	if strings.IndexByte(bucket, ':') >= 0 {
		return bad("the copy source bucket is not a bucket name")
	}
	src := copySourceRef{bucket: bucket, key: key}
	if hasQuery {
		q, err := url.ParseQuery(rawQuery)
		if err != nil || len(q) != 1 || len(q["versionId"]) != 1 || q["versionId"][0] == "" {
			return bad("the copy source may only have a versionId")
		}
		src.versionID = q["versionId"][0]
	}
	return src, nil
}

// parseTagging parses x-amz-tagging (k1=v1&k2=v2, URL-encoded) into tags
// sorted by key.
func parseTagging(values []string) ([]Tag, error) {
	bad := &InvalidArgumentError{Name: "x-amz-tagging", Reason: "the tag set must be URL-encoded key=value pairs, each key once"}
	if len(values) != 1 {
		return nil, bad
	}
	if values[0] == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(values[0])
	if err != nil {
		return nil, bad
	}
	tags := make([]Tag, 0, len(q))
	for k, vs := range q {
		if k == "" || len(vs) != 1 {
			return nil, bad
		}
		tags = append(tags, Tag{Key: k, Value: vs[0]})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	return tags, nil
}

var aclHeaders = [...]struct{ header, key string }{
	{"X-Amz-Acl", "s3:x-amz-acl"},
	{"X-Amz-Grant-Full-Control", "s3:x-amz-grant-full-control"},
	{"X-Amz-Grant-Read", "s3:x-amz-grant-read"},
	{"X-Amz-Grant-Read-Acp", "s3:x-amz-grant-read-acp"},
	{"X-Amz-Grant-Write", "s3:x-amz-grant-write"},
	{"X-Amz-Grant-Write-Acp", "s3:x-amz-grant-write-acp"},
}

func hasACLHeaders(h http.Header) bool {
	for _, a := range aclHeaders {
		if _, ok := h[a.header]; ok {
			return true
		}
	}
	return false
}

func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
