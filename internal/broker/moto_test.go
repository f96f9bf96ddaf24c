package broker

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/mototest"
	"github.com/brevet-dev/brevet/internal/sts"
)

// motoAccount is the account moto_server answers as.
const motoAccount = "123456789012"

// moto is one moto_server (STS and IAM) for the test binary, the
// upstream of the tests that call one. It accepts any key.
var moto mototest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// motoAdmin is an IAM client of moto at base, as its administrator.
func motoAdmin(base string) *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(base),
		Credentials: awscreds.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "admin-secret", "")})
}

// motoUser makes an IAM user in moto with a key, as an administrator
// would for the KEY mode; it returns the key.
func motoUser(t *testing.T, base, name string) upstream.Key {
	t.Helper()
	c := motoAdmin(base)
	if _, err := c.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return upstream.Key{AccessKeyID: *out.AccessKey.AccessKeyId, SecretAccessKey: *out.AccessKey.SecretAccessKey}
}

// motoKeys lists a moto user's key ids.
func motoKeys(t *testing.T, base, name string) []string {
	t.Helper()
	c := motoAdmin(base)
	out, err := c.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		ids = append(ids, *k.AccessKeyId)
	}
	return ids
}

// uniqueName is a name unique on the shared moto (-count=N).
func uniqueName(prefix string) string { return prefix + strconv.FormatInt(time.Now().UnixNano(), 36) }

func (f *fixture) keyUpstream(t *testing.T, base string, k upstream.Key, user string, cache bool) Upstream {
	t.Helper()
	u, err := f.s.CreateUpstream(t.Context(), f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: motoAccount, Mode: ptr(ModeKey),
		StsEndpoint: ptr(base), IamEndpoint: ptr(base), AccessKeyId: ptr(k.AccessKeyID), SecretAccessKey: ptr(k.SecretAccessKey),
		UserName: ptr(user), CacheCredentials: ptr(cache), RotateEveryDays: ptr(int32(1))}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) annPrincipal() *identity.Principal {
	return &identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: f.ann.ARN(), AccessKeyID: "AKIAANNANNANNANNANN1", UserName: "ann", UserID: f.ann.ID}
}

func (f *fixture) brokered(t *testing.T, arn string) *sts.BrokeredRole {
	t.Helper()
	_, err := f.s.CreateRole(t.Context(), f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn,
		AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN())), ExternalId: ptr("ext-42")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	br, err := f.s.Role(t.Context(), arn)
	if err != nil {
		t.Fatal(err)
	}
	return br
}

func TestKeyModeMoto(t *testing.T) {
	base := moto.URL(t)
	f := newFixture(t)
	ctx := t.Context()
	user := uniqueName("brevet-broker-")
	k := motoUser(t, base, user)
	f.keyUpstream(t, base, k, user, true)
	arn := "arn:aws:iam::" + motoAccount + ":role/Deploy"
	br := f.brokered(t, arn)
	caller := f.annPrincipal()
	in := &sts.BrokerAssumeInput{Role: br, Caller: caller, SessionName: "ann", Duration: time.Hour,
		Tags: []credential.Tag{{Key: "team", Value: "blue"}}, TransitiveTagKeys: []string{"team"}, SourceIdentity: SourceIdentity(caller)}
	start := time.Now()
	got, err := f.s.AssumeRole(ctx, in, start)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	u := got.Upstream
	if got.Credentials.AccessKeyId == "" || got.Credentials.SecretAccessKey == "" || got.Credentials.SessionToken == "" ||
		!strings.HasPrefix(got.AssumedRoleARN, "arn:aws:sts::"+motoAccount+":assumed-role/Deploy/ann") {
		t.Fatalf("AssumeRole = %+v", got)
	}
	if u.Account != motoAccount || u.Action != ActionAssumeRole || u.RequestID == "" || u.RoleARN != arn ||
		u.SessionARN != got.AssumedRoleARN || u.SourceIdentity != "ann@"+acctA || u.AccessKeyID != got.Credentials.AccessKeyId || u.Cached {
		t.Fatalf("Upstream = %+v", u)
	}
	// The cache answers the same call again, not another one.
	again, err := f.s.AssumeRole(ctx, in, start.Add(time.Minute))
	if err != nil || !again.Upstream.Cached || again.Credentials.AccessKeyId != got.Credentials.AccessKeyId {
		t.Fatalf("AssumeRole again = %+v, %v; want the cached credentials", again, err)
	}
	other := *in
	other.SessionName = "ann2"
	if o, err := f.s.AssumeRole(ctx, &other, start.Add(time.Minute)); err != nil || o.Upstream.Cached {
		t.Fatalf("AssumeRole with another session name = %+v, %v; want a new call", o, err)
	}

	sess, rec, err := f.s.SessionToken(ctx, caller, motoAccount, 2*time.Hour, time.Now())
	if err != nil || sess.SessionToken == "" || rec.Action != ActionGetSessionToken || rec.Account != motoAccount {
		t.Fatalf("SessionToken = %+v, %+v, %v", sess, rec, err)
	}
	if _, _, err := f.s.SessionToken(ctx, caller, motoAccount, 60*time.Second, time.Now()); WireError(err) == nil {
		t.Fatalf("SessionToken for 60 s = %v, want ValidationError", err)
	}
	fed, rec, err := f.s.FederationToken(ctx, caller, motoAccount, upstream.FederationInput{Name: "carol",
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}, time.Now())
	if err != nil || fed.ARN != "arn:aws:sts::"+motoAccount+":federated-user/carol" || rec.SessionARN != fed.ARN {
		t.Fatalf("FederationToken = %+v, %+v, %v", fed, rec, err)
	}
	// Another Brevet account does not see the upstream.
	stranger := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/x"}
	if _, _, err := f.s.SessionToken(ctx, stranger, motoAccount, 0, time.Now()); WireError(err) == nil || WireError(err).Code.Name != "NoSuchEntity" {
		t.Fatalf("SessionToken from another account = %v, want NoSuchEntity", err)
	}
	for _, e := range []any{got, sess, fed} {
		b, _ := json.Marshal(e)
		if strings.Contains(string(b), k.SecretAccessKey) {
			t.Fatalf("a result holds the upstream key's secret: %s", b)
		}
	}
}

func TestRotateMoto(t *testing.T) {
	base := moto.URL(t)
	f := newFixture(t)
	ctx := t.Context()
	user := uniqueName("brevet-rotate-")
	k := motoUser(t, base, user)
	created := f.keyUpstream(t, base, k, user, true)
	caller := f.annPrincipal()
	if _, _, err := f.s.SessionToken(ctx, caller, motoAccount, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	if f.s.cache.len() != 1 {
		t.Fatalf("cache entries = %d, want 1", f.s.cache.len())
	}
	// Not due yet: nothing happens.
	f.s.RotateDue(ctx, created.Key.Created.Add(time.Hour))
	if got := motoKeys(t, base, user); len(got) != 1 || got[0] != k.AccessKeyID {
		t.Fatalf("keys upstream before due = %v", got)
	}
	// Due: rotated.
	at := created.Key.Created.Add(25 * time.Hour)
	f.s.RotateDue(ctx, at)
	u, err := f.s.GetUpstream(ctx, acctA, motoAccount)
	must(t, err)
	if u.Key.AccessKeyID == k.AccessKeyID || !u.Rotation.Last.Equal(at) || !u.Rotation.Failed.IsZero() || !u.Rotation.Lease.IsZero() {
		t.Fatalf("after RotateDue: key %s, rotation %+v", u.Key.AccessKeyID, u.Rotation)
	}
	if got := motoKeys(t, base, user); len(got) != 1 || got[0] != u.Key.AccessKeyID {
		t.Fatalf("keys upstream after rotation = %v, want only %s", got, u.Key.AccessKeyID)
	}
	if f.s.cache.len() != 0 {
		t.Fatal("the cache kept credentials of the old key")
	}
	opened, err := f.s.openKey(&u)
	if err != nil || opened.SecretAccessKey == k.SecretAccessKey {
		t.Fatalf("the new key: %v", err)
	}
	b, _ := json.Marshal(wireUpstream(&u))
	if strings.Contains(string(b), opened.SecretAccessKey) {
		t.Fatal("the wire upstream shows the new secret")
	}
	// On demand, again, then a failure: the user is gone upstream. The
	// old key is kept and the failure recorded and raised.
	u2, err := f.s.Rotate(ctx, acctA, motoAccount, at.Add(time.Minute))
	if err != nil || u2.Key.AccessKeyID == u.Key.AccessKeyID {
		t.Fatalf("Rotate = %+v, %v", u2.Key, err)
	}
	_, err = f.s.UpdateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: motoAccount, UserName: ptr("nobody-" + user)}, at)
	must(t, err)
	_, err = f.s.Rotate(ctx, acctA, motoAccount, at.Add(2*time.Minute))
	w := WireError(err)
	if err == nil || w == nil || w.Code.Status < 400 {
		t.Fatalf("Rotate of a user that does not exist = %v (%v), want a wire error", err, w)
	}
	u3, err := f.s.GetUpstream(ctx, acctA, motoAccount)
	must(t, err)
	if u3.Key.AccessKeyID != u2.Key.AccessKeyID || u3.Rotation.Failed.IsZero() || u3.Rotation.Error == "" || !u3.Rotation.Lease.IsZero() {
		t.Fatalf("after a failed rotation: key %s, rotation %+v", u3.Key.AccessKeyID, u3.Rotation)
	}
	if got := f.s.Failing(); len(got) != 1 || got[0] != motoAccount {
		t.Fatalf("Failing = %v, want [%s]", got, motoAccount)
	}
	if strings.Contains(u3.Rotation.Error, opened.SecretAccessKey) {
		t.Fatal("the rotation error shows a secret")
	}
	// Not retried at once by the schedule.
	u3.Rotation.Last = u3.Rotation.Failed.Add(-25 * time.Hour) // long due
	u3.Key.Created = u3.Rotation.Last
	if due(&u3, u3.Rotation.Failed.Add(time.Minute)) {
		t.Fatal("due right after a failure")
	}
	if !due(&u3, u3.Rotation.Failed.Add(RetryFailedAfter)) {
		t.Fatal("not due RetryFailedAfter after a failure")
	}
	// A lease held elsewhere: busy.
	_, err = f.s.modifyUpstream(ctx, acctA, motoAccount, at, func(u *Upstream) error { u.Rotation.Lease = at.Add(time.Hour); return nil })
	must(t, err)
	if _, err := f.s.Rotate(ctx, acctA, motoAccount, at.Add(time.Minute)); WireError(err) == nil || !strings.Contains(WireError(err).Message, "being rotated") {
		t.Fatalf("Rotate while leased = %v, want busy", err)
	}
}

func TestOIDCModeMoto(t *testing.T) {
	base := moto.URL(t)
	f := newFixture(t)
	ctx := t.Context()
	key, err := issuer.GenerateKey(TokenAlgorithm, time.Now())
	must(t, err)
	iss, err := issuer.New(issuer.Config{URL: "https://brevet.example.com"}, []*issuer.Key{key})
	must(t, err)
	minter := &recordingMinter{next: iss}
	f.s = f.service(minter)
	_, err = f.s.CreateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: motoAccount, Mode: ptr(ModeOIDC),
		StsEndpoint: ptr(base), IamEndpoint: ptr(base), Audience: ptr("brevet-upstream")}, time.Now())
	must(t, err)
	arn := "arn:aws:iam::" + motoAccount + ":role/Web"
	br := f.brokered(t, arn)
	caller := &identity.Principal{Type: identity.AssumedRole, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":assumed-role/Dev/ann",
		AccessKeyID: "ASIAANN", Session: &credential.Claims{PrincipalARN: "arn:aws:iam::" + acctA + ":role/Dev", RootAccessKeyID: "AKIAROOT"}}
	in := &sts.BrokerAssumeInput{Role: br, Caller: caller, SessionName: "ann", Duration: time.Hour,
		Tags: []credential.Tag{{Key: "team", Value: "blue"}}, TransitiveTagKeys: []string{"team"}, SourceIdentity: "Dev.ann"}
	got, err := f.s.AssumeRole(ctx, in, time.Now())
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if got.Upstream.Action != ActionAssumeRoleWithWebIdentity || got.Credentials.SessionToken == "" || got.Upstream.SourceIdentity != "Dev.ann" {
		t.Fatalf("AssumeRole = %+v", got)
	}
	mi := minter.last
	if mi.Subject != "arn:aws:iam::"+acctA+":role/Dev" || len(mi.Audience) != 1 || mi.Audience[0] != "brevet-upstream" ||
		mi.Duration != TokenLifetime || mi.AWSSourceIdentity != "Dev.ann" || mi.SessionTags["team"] != "blue" || len(mi.TransitiveTagKeys) != 1 {
		t.Fatalf("MintInput = %+v", mi)
	}
	claims := jwtClaims(t, minter.raw)
	if claims["sub"] != mi.Subject || claims[issuer.ClaimSourceIdentity] != "Dev.ann" {
		t.Fatalf("token claims = %v", claims)
	}
	// A caller of another Brevet account, even one the Brevet-side trust
	// policy names: refused before any token is minted, so that the
	// registering account's endpoint never receives a token naming it.
	minted := minter.raw
	foreign := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/bob", AccessKeyID: "AKIABOB"}
	fin := *in
	fin.Caller = foreign
	var denied *sts.AccessDeniedError
	if _, err := f.s.AssumeRole(ctx, &fin, time.Now()); !errors.As(err, &denied) || !strings.Contains(denied.Message, "only for principals of the Brevet account that registered it") {
		t.Fatalf("AssumeRole by another account's caller in OIDC mode = %v, want AccessDenied", err)
	}
	if minter.raw != minted {
		t.Fatal("a token was minted for another account's caller")
	}
	if _, _, err := f.s.SessionToken(ctx, caller, motoAccount, 0, time.Now()); WireError(err) == nil ||
		WireError(err).Message != "Upstream account "+motoAccount+" trusts Brevet's OIDC issuer and holds no key: only its roles can be brokered." {
		t.Fatalf("SessionToken in OIDC mode = %v", err)
	}
	// Without an issuer: ServiceUnavailable with the contract's text.
	for _, m := range []TokenMinter{nil, disabledMinter{}} {
		f.s = f.service(m)
		if _, err := f.s.AssumeRole(ctx, in, time.Now()); WireError(err) == nil || WireError(err).Code.Name != "ServiceUnavailable" ||
			!strings.HasPrefix(WireError(err).Message, "Brevet's OIDC issuer is not enabled") {
			t.Fatalf("AssumeRole without an issuer (%T) = %v", m, err)
		}
	}
}

// recordingMinter mints with the real issuer and keeps the last input
// and token, for the test to read.
type recordingMinter struct {
	next *issuer.Issuer
	last issuer.MintInput
	raw  string
}

func (m *recordingMinter) Mint(in issuer.MintInput, now time.Time) (*issuer.Token, error) {
	m.last = in
	tok, err := m.next.Mint(in, now)
	if err == nil {
		m.raw = tok.Raw
	}
	return tok, err
}

// jwtClaims decodes a JWT's payload (the signature is the issuer's
// business, tested there).
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	return m
}

// disabledMinter is the node's federation when no issuer is configured.
type disabledMinter struct{}

func (disabledMinter) Mint(issuer.MintInput, time.Time) (*issuer.Token, error) {
	return nil, sts.OutboundDisabledError{}
}

// TestRotateOnceInACluster: two nodes rotate the same upstream at once;
// the lease lets one of them do it, the other is busy, and one new key
// lives upstream.
func TestRotateOnceInACluster(t *testing.T) {
	base := moto.URL(t)
	backends(t, func(t *testing.T, f *fixture) {
		user := uniqueName("brevet-cluster-")
		k := motoUser(t, base, user)
		f.keyUpstream(t, base, k, user, false)
		nodes := []*Service{f.s, f.service(nil)}
		errs := make(chan error, len(nodes))
		at := time.Now()
		for _, s := range nodes {
			go func() {
				_, err := s.Rotate(t.Context(), acctA, motoAccount, at)
				errs <- err
			}()
		}
		var ok, busy int
		for range nodes {
			switch err := <-errs; {
			case err == nil:
				ok++
			case strings.Contains(fmt.Sprint(WireError(err)), "being rotated"):
				busy++
			default:
				t.Errorf("Rotate: %v", err)
			}
		}
		if ok != 1 || busy != 1 {
			t.Fatalf("%d rotations and %d busy, want one of each", ok, busy)
		}
		if got := motoKeys(t, base, user); len(got) != 1 || got[0] == k.AccessKeyID {
			t.Fatalf("keys upstream = %v, want one new key", got)
		}
	})
}

// TestOIDCModeTagsTooLarge: session tags too large for Brevet's token (50
// tags of the longest keys and values) are the caller's mistake, answered
// as AssumeRole answers tags that do not fit: PackedPolicyTooLarge, not
// a code of GetWebIdentityToken's. Nothing is called upstream.
func TestOIDCModeTagsTooLarge(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	key, err := issuer.GenerateKey(TokenAlgorithm, time.Now())
	must(t, err)
	iss, err := issuer.New(issuer.Config{URL: "https://brevet.example.com"}, []*issuer.Key{key})
	must(t, err)
	f.s = f.service(iss)
	_, err = f.s.CreateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA, Mode: ptr(ModeOIDC),
		StsEndpoint: ptr("http://127.0.0.1:1"), IamEndpoint: ptr("http://127.0.0.1:1")}, time.Now())
	must(t, err)
	br := f.brokered(t, "arn:aws:iam::"+upA+":role/Web")
	var tags []credential.Tag
	for i := range 50 {
		tags = append(tags, credential.Tag{Key: fmt.Sprintf("%03d", i) + strings.Repeat("k", 125), Value: strings.Repeat("v", 256)})
	}
	in := &sts.BrokerAssumeInput{Role: br, Caller: f.annPrincipal(), SessionName: "ann", Duration: time.Hour, Tags: tags, SourceIdentity: "ann@" + acctA}
	_, err = f.s.AssumeRole(ctx, in, time.Now())
	w := WireError(err)
	if w == nil || w.Code.Name != "PackedPolicyTooLarge" || !strings.Contains(w.Message, "session tags") {
		t.Fatalf("AssumeRole with 50 large tags = %v (wire %v), want PackedPolicyTooLarge", err, w)
	}
}
