package gateway_test

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/s3/bucketpolicy"
	"github.com/brevet-dev/brevet/internal/s3/gateway"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const (
	acct          = "123456789012"
	region        = "us-east-1"
	backendKey    = "BACKENDKEYEXAMPLE0001"
	backendSecret = "backend-secret-never-logged"
)

// env is a real pipeline (authn and authz on a temporary SQLite store, an
// in-test auditor) in front of a gateway served over TLS.
type env struct {
	st       *sqlite.Store
	w        *authztest.World
	master   *masterkey.Keyring
	ring     *credential.TokenKeyRing
	audit    *recorder
	policies *bucketpolicy.Service
	revoked  *revokedSet
	gw       *gateway.Gateway
	srv      *httptest.Server
	keys     map[string]sigv4.Credentials // by user name

	authn *authn.Authenticator
	authz *authz.Authorizer

	mu          sync.Mutex
	lastPayload string // the x-amz-content-sha256 of the last request
}

func (e *env) payloadMode() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastPayload
}

// newEnv builds an env whose gateway serves the given backends (the
// Credentials of each are filled in with the test backend key).
func newEnv(t testing.TB, backends ...gateway.Backend) *env {
	t.Helper()
	return newEnvConfig(t, nil, backends...)
}

// newEnvConfig is newEnv with changes to the gateway's Config.
func newEnvConfig(t testing.TB, change func(*gateway.Config), backends ...gateway.Backend) *env {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "brevet.db"), Now: time.Now})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	master, err := masterkey.Generate(rand.Reader, now)
	must(t, err)
	ring, err := credential.NewTokenKeyRing(rand.Reader, now)
	must(t, err)
	e := &env{st: st, w: &authztest.World{Store: st, Now: now}, master: master, ring: ring,
		audit: &recorder{}, revoked: &revokedSet{ids: map[string]bool{}}, keys: map[string]sigv4.Credentials{}}
	must(t, e.w.Account(acct))
	e.policies, err = bucketpolicy.New(bucketpolicy.Config{Store: st, Account: acct, Resolver: st})
	must(t, err)
	e.user(t, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	e.user(t, "bob", "")
	e.user(t, "carol", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::alpha","arn:aws:s3:::alpha/*"]},
		{"Effect":"Deny","Action":"s3:ListBucket","Resource":"arn:aws:s3:::alpha","Condition":{"StringLike":{"s3:prefix":"secret*"}}}]}`)
	a, err := authn.New(ctx, authn.Config{Keys: st.Principals(), Changes: st.Changes(), Secrets: master, Tokens: ring,
		Regions: []string{region}, Revoked: e.revoked})
	must(t, err)
	az, err := authz.New(ctx, authz.Config{Store: st, MessageKey: make([]byte, 32), PollInterval: time.Hour})
	must(t, err)
	e.authn, e.authz = a, az
	for i := range backends {
		backends[i].Credentials = e.backendCreds()
	}
	cfg := gateway.Config{Pipeline: e.pipeline(e.audit), Backends: backends, Policies: e.policies, Account: acct}
	if change != nil {
		change(&cfg)
	}
	e.gw, err = gateway.New(cfg)
	must(t, err)
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.lastPayload = r.Header.Get("X-Amz-Content-Sha256")
		e.mu.Unlock()
		e.gw.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// pipeline is the real pipeline with the given auditor.
func (e *env) pipeline(aud request.Auditor) *request.Pipeline {
	return &request.Pipeline{Authenticator: e.authn, Principals: e.authz, Authorizer: e.authz, Auditor: aud}
}

func (e *env) backendCreds() aws.Credentials {
	return aws.Credentials{AccessKeyID: backendKey, SecretAccessKey: backendSecret}
}

// user creates a user with an inline policy (none when doc is "") and an
// access key.
func (e *env) user(t testing.TB, name, doc string) {
	t.Helper()
	_, err := e.w.User(acct, name)
	must(t, err)
	if doc != "" {
		must(t, e.w.Inline(authztest.UserOwner(acct, name), "p", doc))
	}
	id, err := credential.NewAccessKeyID(credential.PrefixAccessKey, acct, rand.Reader)
	must(t, err)
	secret, err := credential.NewSecretAccessKey(rand.Reader)
	must(t, err)
	ct, err := e.master.Seal([]byte(secret.Reveal()), authn.AccessKeyPurpose(id))
	must(t, err)
	k := iam.AccessKey{Account: acct, UserName: name, ID: id, Status: iam.AccessKeyActive, Created: e.w.Now, SecretCiphertext: ct}
	must(t, e.st.AccessKeys().Create(context.Background(), k))
	e.keys[name] = sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret.Reveal()}
}

// session mints temporary credentials of alice's, issued at issued.
func (e *env) session(t testing.TB, issued time.Time, ttl time.Duration) sigv4.Credentials {
	t.Helper()
	u, err := e.st.Users().Get(context.Background(), acct, "alice")
	must(t, err)
	tc, _, err := e.ring.Mint(credential.Claims{
		AccountID: acct, PrincipalType: credential.SessionUser, PrincipalARN: u.ARN(), PrincipalID: u.ID,
		SessionARN: u.ARN(), IssuedAt: issued, Expires: issued.Add(ttl),
		ParentAccessKeyID: e.keys["alice"].AccessKeyID, RootAccessKeyID: e.keys["alice"].AccessKeyID,
	}, rand.Reader)
	must(t, err)
	return sigv4.Credentials{AccessKeyID: tc.AccessKeyID, SecretAccessKey: tc.SecretAccessKey.Reveal(), SessionToken: tc.SessionToken}
}

// client is aws-sdk-go-v2's S3 client calling the gateway as name.
func (e *env) client(name string) *s3.Client {
	c := e.keys[name]
	return s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(e.srv.URL), UsePathStyle: true, HTTPClient: e.srv.Client(),
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		RetryMaxAttempts: 1,
	})
}

// do sends a request built by the test, signed with creds unless they
// are empty, and returns the answer with its body read.
func (e *env) do(t testing.TB, method, path string, h http.Header, body []byte, creds sigv4.Credentials, opts sigv4.SignOptions) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(string(body)))
	must(t, err)
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if creds.AccessKeyID != "" {
		if opts.Region == "" {
			opts.Region = region
		}
		if opts.Service == "" {
			opts.Service = "s3"
		}
		if opts.Time.IsZero() {
			opts.Time = time.Now()
		}
		opts.S3PathRules, opts.ContentSHA256Header = true, true
		s := &sigv4.Signer{Credentials: creds}
		must(t, s.SignHTTP(req, body, opts))
	}
	return e.send(t, req)
}

func (e *env) send(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, string(b)
}

// presign returns a presigned URL of path for creds.
func (e *env) presign(t testing.TB, method, path string, creds sigv4.Credentials, at time.Time, expires time.Duration) string {
	t.Helper()
	u, err := url.Parse(e.srv.URL + path)
	must(t, err)
	req := &sigv4.Request{Method: method, Path: u.EscapedPath(), RawQuery: u.RawQuery, Host: u.Host, Header: http.Header{}}
	s := &sigv4.Signer{Credentials: creds}
	must(t, s.Presign(req, sigv4.SignOptions{Region: region, Service: "s3", Time: at, Expires: expires, S3PathRules: true, PayloadHash: "UNSIGNED-PAYLOAD"}))
	return e.srv.URL + req.Path + "?" + req.RawQuery
}

// errorCode reads the <Code> of an S3 error document.
func errorCode(body string) string {
	var doc struct {
		Code string `xml:"Code"`
	}
	_ = xml.Unmarshal([]byte(body), &doc)
	return doc.Code
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// recorder is the Auditor: it keeps every record, and fails when told.
type recorder struct {
	mu   sync.Mutex
	recs []request.Record
	fail bool
}

func (r *recorder) Audit(_ context.Context, rec *request.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("audit sink down")
	}
	r.recs = append(r.recs, *rec)
	return nil
}

func (r *recorder) last() request.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recs) == 0 {
		return request.Record{}
	}
	return r.recs[len(r.recs)-1]
}

func (r *recorder) setFail(v bool) {
	r.mu.Lock()
	r.fail = v
	r.mu.Unlock()
}

// revokedSet revokes temporary credentials by access key id.
type revokedSet struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (r *revokedSet) Revoked(c *credential.Claims, _ time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[c.AccessKeyID]
}

func (r *revokedSet) revoke(id string) {
	r.mu.Lock()
	r.ids[id] = true
	r.mu.Unlock()
}

// nullS3 is a tiny in-memory S3 behind the gateway: it checks the
// gateway's signature with the backend key, stores objects only when
// their whole body arrived, and records what it saw.
type nullS3 struct {
	srv     *httptest.Server
	v       *sigv4.Verifier
	buckets []string

	mu      sync.Mutex
	objects map[string][]byte
	seen    []seenRequest
}

type seenRequest struct {
	Method, Host, Path, RawQuery string
	Header                       http.Header
	Body                         []byte
	Err                          string
}

func newNullS3(t testing.TB, buckets ...string) *nullS3 {
	t.Helper()
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{region}, Services: []string{"s3"}, MaxSkew: 15 * time.Minute,
		S3PathRules: true, UnsignedPayload: true})
	must(t, err)
	n := &nullS3{v: v, buckets: buckets, objects: map[string][]byte{}}
	n.srv = httptest.NewServer(n)
	t.Cleanup(n.srv.Close)
	return n
}

func (n *nullS3) backend(name string, buckets ...string) gateway.Backend {
	u, _ := url.Parse(n.srv.URL)
	return gateway.Backend{Name: name, Endpoint: u, Region: region, Buckets: buckets}
}

func (n *nullS3) hasBucket(b string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Contains(n.buckets, b)
}

func (n *nullS3) object(key string) ([]byte, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	b, ok := n.objects[key]
	return b, ok
}

func (n *nullS3) lastSeen() seenRequest {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.seen) == 0 {
		return seenRequest{}
	}
	return n.seen[len(n.seen)-1]
}

func (n *nullS3) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.seen)
}

func (n *nullS3) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", "BACKENDREQUESTID")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<Error><Code>"+code+"</Code><Message>backend says "+code+"</Message><RequestId>BACKENDREQUESTID</RequestId></Error>")
}

func (n *nullS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sreq := sigv4.FromHTTP(r, nil)
	seen := seenRequest{Method: r.Method, Host: r.Host, Path: sreq.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()}
	defer func() {
		n.mu.Lock()
		n.seen = append(n.seen, seen)
		n.mu.Unlock()
	}()
	a, err := sigv4.Parse(&sreq)
	if err != nil {
		seen.Err = err.Error()
		n.fail(w, 403, "AccessDenied")
		return
	}
	body, err := n.v.VerifyStream(&sreq, a, backendSecret, time.Now(), r.Body)
	if err == nil && a.AccessKeyID != backendKey {
		err = errors.New("wrong key")
	}
	if err != nil {
		seen.Err = err.Error()
		n.fail(w, 403, "SignatureDoesNotMatch")
		return
	}
	data, err := io.ReadAll(body)
	seen.Body = data
	if err != nil {
		seen.Err = err.Error()
		n.fail(w, 400, "IncompleteBody")
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(p, "/")
	if host := n.srv.Listener.Addr().String(); r.Host != host {
		bucket, key = strings.TrimSuffix(r.Host, "."+host), p // virtual-hosted
	}
	n.serve(w, r, bucket, key, data)
}

func (n *nullS3) serve(w http.ResponseWriter, r *http.Request, bucket, key string, data []byte) {
	w.Header().Set("X-Amz-Request-Id", "BACKENDREQUESTID")
	switch {
	case bucket == "":
		var b strings.Builder
		b.WriteString(`<ListAllMyBucketsResult><Owner><ID>backend</ID></Owner><Buckets>`)
		n.mu.Lock()
		names := slices.Clone(n.buckets)
		n.mu.Unlock()
		for _, name := range names {
			b.WriteString("<Bucket><Name>" + name + "</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>")
		}
		b.WriteString(`</Buckets></ListAllMyBucketsResult>`)
		_, _ = io.WriteString(w, b.String())
		return
	case key == "" && r.Method == http.MethodPut: // CreateBucket
		n.mu.Lock()
		if !slices.Contains(n.buckets, bucket) {
			n.buckets = append(n.buckets, bucket)
		}
		n.mu.Unlock()
		return
	case !n.hasBucket(bucket):
		n.fail(w, 404, "NoSuchBucket")
		return
	case key == "" && r.Method == http.MethodPost:
		var d struct {
			Objects []struct{ Key string } `xml:"Object"`
		}
		_ = xml.Unmarshal(data, &d)
		var b strings.Builder
		b.WriteString(`<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		n.mu.Lock()
		for _, o := range d.Objects {
			delete(n.objects, bucket+"/"+o.Key)
			b.WriteString("<Deleted><Key>" + o.Key + "</Key></Deleted>")
		}
		n.mu.Unlock()
		b.WriteString(`</DeleteResult>`)
		_, _ = io.WriteString(w, b.String())
		return
	case key == "":
		_, _ = io.WriteString(w, `<ListBucketResult><Name>`+bucket+`</Name></ListBucketResult>`)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		n.objects[bucket+"/"+key] = data
		w.Header().Set("ETag", `"etag"`)
		w.Header().Set("X-Amz-Version-Id", "v1")
	case http.MethodDelete:
		delete(n.objects, bucket+"/"+key)
		w.WriteHeader(http.StatusNoContent)
	default:
		obj, ok := n.objects[bucket+"/"+key]
		if !ok {
			n.fail(w, 404, "NoSuchKey")
			return
		}
		w.Header().Set("ETag", `"etag"`)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", itoa(len(obj)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(obj)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func nowUTC() time.Time { return time.Now().UTC() }
