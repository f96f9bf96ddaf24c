package broker

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/broker/upstream"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
	upA   = "210987654321" // an upstream account
	upB   = "345678901234"
	// secret is the upstream key's secret the tests register: it must
	// never come back.
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEYX"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t    *testing.T
	st   store.Store
	keys *masterkey.Keyring
	s    *Service
	seq  int64
	ann  iam.User
	// admin is the caller of the admin actions, in acctA.
	admin *identity.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, teststores.SQLite(t, clock))
}

func clock() time.Time { return now }

// backends runs test on a fixture on each store backend: SQLite, and
// PostgreSQL when pgtest has a server.
func backends(t *testing.T, test func(t *testing.T, f *fixture)) {
	teststores.Each(t, clock, func(t *testing.T, st store.Store) { test(t, newFixtureOn(t, st)) })
}

func newFixtureOn(t *testing.T, st store.Store) *fixture {
	t.Helper()
	var err error
	ctx := t.Context()
	for _, id := range []string{acctA, acctB} {
		must(t, st.Accounts().Create(ctx, iam.Account{ID: id, Created: now}))
	}
	f := &fixture{t: t, st: st}
	f.ann = iam.User{Account: acctA, ID: "AIDAANNANNANNANNANN1", Name: "ann", Path: "/", Created: now}
	must(t, st.Users().Create(ctx, f.ann))
	if f.keys, err = masterkey.Generate(rand.Reader, now); err != nil {
		t.Fatal(err)
	}
	f.s = f.service(nil)
	f.admin = &identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: "arn:aws:iam::" + acctA + ":user/admin",
		AccessKeyID: "AKIAADMINADMINADMIN1", UserName: "admin"}
	return f
}

// service is another broker on the fixture's store (another node).
func (f *fixture) service(issuer TokenMinter) *Service {
	f.t.Helper()
	s, err := New(Config{Store: f.st, Keys: f.keys, Issuer: issuer, Dial: upstream.New})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// feed hands s the changes since the last call, as the node's follower
// does.
func (f *fixture) feed(s *Service) {
	f.t.Helper()
	cs, err := f.st.Changes().Since(f.t.Context(), f.seq, 0)
	must(f.t, err)
	if len(cs) > 0 {
		f.seq = cs[len(cs)-1].Seq
		s.Apply(cs)
	}
}

func keyReq(id string) *brevetapi.UpstreamAccountRequest {
	return &brevetapi.UpstreamAccountRequest{UpstreamAccountId: id, Mode: ptr(ModeKey), AccessKeyId: ptr("AKIAUPSTREAMKEY00001"),
		SecretAccessKey: ptr(secret), StsEndpoint: ptr("http://127.0.0.1:1"), IamEndpoint: ptr("http://127.0.0.1:1")}
}

func oidcReq(id string) *brevetapi.UpstreamAccountRequest {
	return &brevetapi.UpstreamAccountRequest{UpstreamAccountId: id, Mode: ptr(ModeOIDC)}
}

func trustOf(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
}

func TestCreateUpstreamValidation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), now); err != nil {
		t.Fatal(err)
	}
	with := func(r *brevetapi.UpstreamAccountRequest, change func(*brevetapi.UpstreamAccountRequest)) *brevetapi.UpstreamAccountRequest {
		change(r)
		return r
	}
	tests := []struct {
		name string
		req  *brevetapi.UpstreamAccountRequest
		code string // the wire code
		msg  string // a part of the message
	}{
		{"not 12 digits", oidcReq("12345"), "ValidationError", "12 digits"},
		{"a Brevet account", oidcReq(acctB), "EntityAlreadyExists", "is a Brevet account"},
		{"registered already", oidcReq(upA), "EntityAlreadyExists", "registered already"},
		{"OIDC with a key", with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.AccessKeyId, r.SecretAccessKey = ptr("AKIAX"), ptr("s") }), "ValidationError", "holds no key"},
		{"KEY without a key", with(keyReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.AccessKeyId, r.SecretAccessKey = nil, nil }), "ValidationError", "needs AccessKeyId and SecretAccessKey"},
		{"half a key", with(keyReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.SecretAccessKey = nil }), "ValidationError", "go together"},
		{"http not on loopback", with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.StsEndpoint = ptr("http://sts.example.com") }), "ValidationError", "loopback"},
		{"user information", with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.StsEndpoint = ptr("https://u:p@sts.example.com") }), "ValidationError", "user information"},
		{"ftp", with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.IamEndpoint = ptr("ftp://iam.example.com") }), "ValidationError", "must be https"},
		{"CA bundle without a certificate", with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.CaBundle = ptr("not PEM") }), "ValidationError", "CaBundle"},
		{"rotation in OIDC mode", with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) { r.RotateEveryDays = ptr(int32(30)) }), "ValidationError", "KEY mode"},
		{"no mode", &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upB}, "ValidationError", "Mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateUpstream(ctx, f.admin, tt.req, now)
			w := WireError(err)
			if w == nil || w.Code.Name != tt.code || !strings.Contains(w.Message, tt.msg) {
				t.Fatalf("CreateUpstream = %v, want %s mentioning %q", err, tt.code, tt.msg)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
	// Another Brevet account cannot register it either.
	other := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/x"}
	if _, err := f.s.CreateUpstream(ctx, other, oidcReq(upA), now); WireError(err) == nil || WireError(err).Code != awsquery.CodeEntityAlreadyExists {
		t.Fatalf("CreateUpstream of an id another account holds = %v, want EntityAlreadyExists", err)
	}
	u, err := f.s.CreateUpstream(ctx, f.admin, with(oidcReq(upB), func(r *brevetapi.UpstreamAccountRequest) {
		r.StsEndpoint, r.Region = ptr("http://[::1]:4566"), ptr("eu-west-3")
	}), now)
	if err != nil {
		t.Fatalf("http on ::1: %v", err)
	}
	if u.Audience != DefaultAudience || u.IAMEndpoint != DefaultIAMEndpoint || u.STSEndpoint != "http://[::1]:4566" {
		t.Fatalf("defaults: %+v", u)
	}
}

func TestSecretNeverShown(t *testing.T) { backends(t, testSecretNeverShown) }

func testSecretNeverShown(t *testing.T, f *fixture) {
	ctx := t.Context()
	u, err := f.s.CreateUpstream(ctx, f.admin, keyReq(upA), now)
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.st.Objects().Get(ctx, acctA, KindUpstream, upA)
	must(t, err)
	if strings.Contains(string(o.Body), secret) || strings.Contains(string(o.Body), "wJalrXUtnFEMI") {
		t.Fatalf("the stored document holds the secret in clear: %s", o.Body)
	}
	k, err := f.s.openKey(&u)
	if err != nil || k.SecretAccessKey != secret || k.AccessKeyID != "AKIAUPSTREAMKEY00001" {
		t.Fatalf("openKey = %v, %v", k, err)
	}
	if strings.Contains(k.String(), secret) {
		t.Fatal("Key.String shows the secret")
	}
	// Sealed for this account and upstream only.
	if _, err := f.keys.Open(u.Key.Secret, KeyPurpose(acctB, upA)); err == nil {
		t.Fatal("the key opens under another account's purpose")
	}
	updated, err := f.s.UpdateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA, Description: ptr("prod")}, now)
	must(t, err)
	list, _, err := f.s.ListUpstreams(ctx, acctA, "", 0)
	must(t, err)
	for _, x := range append(list, u, updated) {
		w := wireUpstream(&x)
		if w.AccessKeyId != "AKIAUPSTREAMKEY00001" {
			t.Fatalf("AccessKeyId = %q", w.AccessKeyId)
		}
		b, _ := json.Marshal(w)
		enc := brevetapi.GetUpstreamAccount.EncodeOutput(&brevetapi.UpstreamAccountResponse{UpstreamAccount: w})
		eb, _ := json.Marshal(enc)
		if strings.Contains(string(b), secret) || strings.Contains(string(eb), secret) {
			t.Fatalf("the wire response holds the secret: %s", b)
		}
	}
	// The request's SecretAccessKey is a sensitive member.
	for _, m := range brevetapi.CreateUpstreamAccount.Info().Input.Members {
		if m.Name == "SecretAccessKey" && !m.Shape.Sensitive {
			t.Fatal("SecretAccessKey is not a sensitive shape")
		}
	}
	if updated.Key == nil || updated.Key.AccessKeyID != "AKIAUPSTREAMKEY00001" || updated.Description != "prod" {
		t.Fatalf("UpdateUpstream without a key changed the key: %+v", updated)
	}
	// A new pair replaces the key.
	re, err := f.s.UpdateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA,
		AccessKeyId: ptr("AKIAUPSTREAMKEY00002"), SecretAccessKey: ptr("another")}, now)
	must(t, err)
	if k, err := f.s.openKey(&re); err != nil || k.SecretAccessKey != "another" {
		t.Fatalf("the replaced key = %v, %v", k, err)
	}
}

func TestRegistry(t *testing.T) { backends(t, testRegistry) }

func testRegistry(t *testing.T, f *fixture) {
	ctx := t.Context()
	other := f.service(nil) // another node: it learns through Apply
	arn := "arn:aws:iam::" + upA + ":role/team/Deploy"
	if f.s.Handles(upA) {
		t.Fatal("Handles before anything is registered")
	}
	if _, err := other.Role(ctx, arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Role before registration = %v, want ErrNotFound", err)
	}
	if _, err := f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN()))}, now); WireError(err) == nil ||
		!strings.Contains(WireError(err).Message, "not an upstream account registered") {
		t.Fatalf("CreateRole of an unregistered upstream = %v", err)
	}
	_, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), now)
	must(t, err)
	role, err := f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN())),
		MaxSessionDuration: ptr(int32(900)), ExternalId: ptr("ext-1")}, now)
	must(t, err)
	if len(role.TrustBindings) != 1 || role.TrustBindings[0].ID != f.ann.ID {
		t.Fatalf("TrustBindings = %+v, want ann bound to %s", role.TrustBindings, f.ann.ID)
	}
	if !f.s.Handles(upA) || f.s.Handles(upB) || f.s.Handles(acctA) {
		t.Fatal("Handles on the writing node: want only the upstream")
	}
	br, err := f.s.Role(ctx, arn)
	if err != nil || br.Role.ARN() != arn || br.Role.Account != upA || br.Role.MaxSessionDuration != 900 {
		t.Fatalf("Role = %+v, %v", br, err)
	}
	if _, err := f.s.Role(ctx, "arn:aws:iam::"+upA+":role/team/deploy"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Role of another case = %v, want ErrNotFound (matched exactly)", err)
	}
	f.feed(other)
	if _, err := other.Role(ctx, arn); err != nil {
		t.Fatalf("Role on the other node after Apply: %v", err)
	}
	if !other.Handles(upA) {
		t.Fatal("Handles on the other node after Apply and a read")
	}
	// A principal that names no one is refused, as IAM refuses it.
	if _, err := f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: "arn:aws:iam::" + upA + ":role/Other",
		AssumeRolePolicyDocument: ptr(trustOf("arn:aws:iam::" + acctA + ":user/nobody"))}, now); WireError(err) != nil ||
		awsqueryCode(err) != "MalformedPolicyDocument" {
		t.Fatalf("CreateRole naming no one = %v, want MalformedPolicyDocument", err)
	}
	if _, err := f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN()))}, now); WireError(err) == nil ||
		WireError(err).Code != awsquery.CodeEntityAlreadyExists {
		t.Fatalf("CreateRole again = %v, want EntityAlreadyExists", err)
	}
	if err := f.s.DeleteUpstream(ctx, acctA, upA); WireError(err) == nil || WireError(err).Code != awsquery.CodeDeleteConflict {
		t.Fatalf("DeleteUpstream with a role = %v, want DeleteConflict", err)
	}
	up, err := f.s.UpdateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, Description: ptr("deploys")}, now)
	if err != nil || up.Description != "deploys" || up.ExternalID != "ext-1" || up.MaxSessionDuration != 900 {
		t.Fatalf("UpdateRole = %+v, %v", up, err)
	}
	rs, _, err := f.s.ListRoles(ctx, acctA, upA, "", 0)
	if err != nil || len(rs) != 1 {
		t.Fatalf("ListRoles = %v, %v", rs, err)
	}
	for _, wrong := range []string{"arn:aws:iam::" + upA + ":role/Deploy", "arn:aws:iam::" + upA + ":role/team/DEPLOY"} {
		if err := f.s.DeleteRole(ctx, acctA, wrong); WireError(err) == nil || WireError(err).Code != awsquery.CodeNoSuchEntity {
			t.Fatalf("DeleteRole(%s) of %s = %v, want NoSuchEntity (the ARN must be the role's)", wrong, arn, err)
		}
	}
	must(t, f.s.DeleteRole(ctx, acctA, arn))
	must(t, f.s.DeleteUpstream(ctx, acctA, upA))
	if f.s.Handles(upA) {
		t.Fatal("Handles after DeleteUpstream")
	}
	f.feed(other)
	if _, err := other.Role(ctx, arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Role on the other node after the delete = %v", err)
	}
	if other.Handles(upA) {
		t.Fatal("Handles on the other node after the delete")
	}
}

// awsqueryCode is the wire code awsquery itself gives err (policy's
// errors).
func awsqueryCode(err error) string {
	w, _ := awsquery.ToWire(err)
	return w.Code.Name
}

func TestSourceIdentity(t *testing.T) {
	tests := []struct {
		p    identity.Principal
		want string
	}{
		{identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: "arn:aws:iam::" + acctA + ":user/ops/ann", UserName: "ann"}, "ann@" + acctA},
		{identity.Principal{Type: identity.AssumedRole, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":assumed-role/Deploy/ci-run-7"}, "Deploy.ci-run-7"},
		{identity.Principal{Type: identity.FederatedUser, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":federated-user/bob"}, "federated.bob"},
		{identity.Principal{Type: identity.Root, Account: acctA, CallerARN: "arn:aws:iam::" + acctA + ":root"}, "root@" + acctA},
		{identity.Principal{Type: identity.AssumedRole, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":assumed-role/R/" + strings.Repeat("s", 64)}, "R." + strings.Repeat("s", 62)},
		{identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: "arn:aws:iam::" + acctA + ":user/x", UserName: "a b/c"}, "a-b-c@" + acctA},
		// A session name is the caller's choice: with an @ it would take
		// the shape of a user's (admin.bob@ACCOUNT is user admin.bob's),
		// so only the user form keeps @.
		{identity.Principal{Type: identity.AssumedRole, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":assumed-role/admin/bob@" + acctA}, "admin.bob-" + acctA},
		{identity.Principal{Type: identity.AssumedRole, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":assumed-role/a@b/c"}, "a-b.c"},
		{identity.Principal{Type: identity.FederatedUser, Account: acctA, CallerARN: "arn:aws:sts::" + acctA + ":federated-user/x@" + acctA}, "federated.x-" + acctA},
		{identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: "arn:aws:iam::" + acctA + ":user/x", UserName: "bob@corp.example"}, "bob@corp.example@" + acctA},
	}
	for _, tt := range tests {
		if got := SourceIdentity(&tt.p); got != tt.want {
			t.Errorf("SourceIdentity(%s) = %q, want %q", tt.p.CallerARN, got, tt.want)
		}
	}
	if got, want := UpstreamARN(acctA, upA), "arn:aws:brevet::"+acctA+":upstream/"+upA; got != want {
		t.Errorf("UpstreamARN = %q, want %q", got, want)
	}
}

func TestWireError(t *testing.T) {
	tests := []struct {
		err        error
		code, want string
	}{
		{&upstream.Error{Account: upA, Kind: upstream.Limited}, "Throttling", "Rate exceeded for upstream account " + upA + "."},
		{&upstream.Error{Account: upA, Kind: upstream.Refused, Code: "AccessDenied", Message: "not authorized"}, "AccessDenied", "Upstream account " + upA + " refused: not authorized"},
		{&upstream.Error{Account: upA, Kind: upstream.Invalid, Code: "MalformedPolicyDocument", Message: "bad"}, "MalformedPolicyDocument", "Upstream account " + upA + ": bad"},
		{&upstream.Error{Account: upA, Kind: upstream.Invalid, Code: "RegionDisabledException", Message: "off"}, "ValidationError", "Upstream account " + upA + ": off"},
		{&upstream.Error{Account: upA, Kind: upstream.Credentials, Code: "InvalidClientTokenId"}, "ServiceUnavailable",
			"Upstream account " + upA + " refused Brevet's own credentials (InvalidClientTokenId); an administrator must check its registration (docs/broker.md)."},
		{&upstream.Error{Account: upA, Kind: upstream.Throttled}, "ServiceUnavailable", "Upstream account " + upA + " kept throttling Brevet's requests; try again later."},
		{&KeylessError{Account: upA}, "ValidationError", "Upstream account " + upA + " trusts Brevet's OIDC issuer and holds no key: only its roles can be brokered."},
		{&IssuerDisabledError{Account: upA}, "ServiceUnavailable", "Brevet's OIDC issuer is not enabled (set federation.issuer_url or serve HTTPS); upstream account " + upA + " trusts it."},
	}
	for _, tt := range tests {
		w := WireError(tt.err)
		if w == nil || w.Code.Name != tt.code || w.Message != tt.want {
			t.Errorf("WireError(%v) = %v, want %s %q", tt.err, w, tt.code, tt.want)
		}
	}
	if WireError(errors.New("other")) != nil {
		t.Error("WireError of a foreign error: want nil")
	}
}

func TestCache(t *testing.T) {
	c := newCredCache(2)
	caller := &identity.Principal{CallerARN: "arn:aws:iam::" + acctA + ":user/ann", AccessKeyID: "AKIAANN"}
	k1 := cacheKey(caller, ActionAssumeRole, "arn:aws:iam::"+upA+":role/R", "s", time.Hour, "", nil, nil, nil, "ann@"+acctA)
	k2 := cacheKey(caller, ActionAssumeRole, "arn:aws:iam::"+upA+":role/R", "s", 2*time.Hour, "", nil, nil, nil, "ann@"+acctA)
	k3 := cacheKey(caller, ActionAssumeRole, "arn:aws:iam::"+upA+":role/R", "s", time.Hour, "", nil, []upstream.Tag{{Key: "a", Value: "b"}}, nil, "ann@"+acctA)
	if k1 == k2 || k1 == k3 {
		t.Fatal("different calls share a cache key")
	}
	sess := &upstream.Session{AccessKeyID: "ASIA1", SecretAccessKey: "x", Expiration: now.Add(time.Hour)}
	c.put(k1, upA, "AKIAK", now, sess, requestSession(upA))
	tests := []struct {
		name  string
		at    time.Time
		keyID string
		want  bool
	}{
		{"fresh", now.Add(time.Minute), "AKIAK", true},
		{"half its lifetime left", now.Add(30 * time.Minute), "AKIAK", true},
		{"less than half left", now.Add(31 * time.Minute), "AKIAK", false},
	}
	for _, tt := range tests {
		c.put(k1, upA, "AKIAK", now, sess, requestSession(upA))
		_, rec, ok := c.get(k1, tt.keyID, tt.at)
		if ok != tt.want || (ok && !rec.Cached) {
			t.Errorf("%s: get = %v (cached %v), want %v", tt.name, ok, rec.Cached, tt.want)
		}
	}
	c.put(k1, upA, "AKIAK", now, sess, requestSession(upA))
	if _, _, ok := c.get(k1, "AKIAOTHER", now); ok {
		t.Error("an entry obtained with another key is reused")
	}
	short := &upstream.Session{Expiration: now.Add(8 * time.Minute)}
	c.put(k1, upA, "AKIAK", now, short, requestSession(upA))
	if _, _, ok := c.get(k1, "AKIAK", now.Add(4*time.Minute)); ok {
		t.Error("an entry with less than 5 minutes left is reused")
	}
	c.put(k1, upA, "K", now, sess, requestSession(upA))
	c.put(k2, upA, "K", now, sess, requestSession(upA))
	c.put(k3, upB, "K", now, sess, requestSession(upB))
	if c.len() != 2 {
		t.Fatalf("len = %d, want 2 (the bound)", c.len())
	}
	if _, _, ok := c.get(k1, "K", now); ok {
		t.Error("the oldest entry was not evicted")
	}
	c.dropUpstream(upA)
	if c.len() != 1 {
		t.Fatalf("len after dropUpstream = %d, want 1", c.len())
	}
}

func TestRewrap(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	_, err := f.s.CreateUpstream(ctx, f.admin, keyReq(upA), now)
	must(t, err)
	_, err = f.s.CreateUpstream(ctx, f.admin, oidcReq(upB), now)
	must(t, err)
	rotated, err := f.keys.Rotate(rand.Reader, now)
	must(t, err)
	n, err := Rewrap(ctx, f.st.Objects(), []string{acctA, acctB}, rotated, rotated)
	if err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v; want 1 key", n, err)
	}
	only, err := rotated.Without(f.keys.ActiveID())
	must(t, err)
	s, err := New(Config{Store: f.st, Keys: only, Dial: upstream.New})
	must(t, err)
	u, err := s.GetUpstream(ctx, acctA, upA)
	must(t, err)
	if k, err := s.openKey(&u); err != nil || k.SecretAccessKey != secret {
		t.Fatalf("the key under the new master key only: %v", err)
	}
}

func requestSession(id string) request.UpstreamSession {
	return request.UpstreamSession{Account: id, Action: ActionAssumeRole, RequestID: "req-1"}
}

// TestUpstreamBecomesBrevetAccount: an upstream id that becomes a Brevet
// account of the installation later (brevet import --account) is no
// longer brokered: AssumeRole of that account's roles stays Brevet's.
func TestUpstreamBecomesBrevetAccount(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	other := f.service(nil)
	_, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), now)
	must(t, err)
	arn := "arn:aws:iam::" + upA + ":role/Deploy"
	_, err = f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN()))}, now)
	must(t, err)
	f.feed(other)
	if _, err := other.Role(ctx, arn); err != nil || !other.Handles(upA) {
		t.Fatalf("before the account exists: Role = %v, Handles = %v", err, other.Handles(upA))
	}
	must(t, f.st.Accounts().Create(ctx, iam.Account{ID: upA, Created: now}))
	f.feed(other)
	if _, err := other.Role(ctx, arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Role once %s is a Brevet account = %v, want ErrNotFound", upA, err)
	}
	if other.Handles(upA) {
		t.Fatalf("Handles(%s) once it is a Brevet account: want false (its roles are Brevet's)", upA)
	}
	if _, _, err := other.SessionToken(ctx, f.admin, upA, 0, now); WireError(err) == nil || WireError(err).Code != awsquery.CodeNoSuchEntity {
		t.Fatalf("SessionToken = %v, want NoSuchEntity", err)
	}
}

// TestRoleLeftBehind: a brokered role whose upstream was removed (a
// delete racing a CreateBrokeredRole) is not brokered with the upstream
// another account registers under the same id afterwards.
func TestRoleLeftBehind(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	arn := "arn:aws:iam::" + upA + ":role/Deploy"
	_, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), now)
	must(t, err)
	_, err = f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN()))}, now)
	must(t, err)
	// The race's outcome: the upstream object gone, the role left.
	must(t, f.st.Objects().Delete(ctx, acctA, KindUpstream, upA))
	adminB := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/admin", UserName: "admin"}
	_, err = f.s.CreateUpstream(ctx, adminB, oidcReq(upA), now)
	must(t, err)
	s := f.service(nil)
	if !s.Handles(upA) {
		t.Fatal("Handles: want B's upstream")
	}
	if _, err := s.Role(ctx, arn); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Role of A's role left behind, with B's upstream = %v, want ErrNotFound", err)
	}
}

// TestRegistrationClaim: an upstream id is claimed installation-wide
// before it is registered, so that two accounts registering it at once
// do not both succeed; a claim whose registration never came is taken
// over after claimTakeover, and a removed upstream's id is free again.
func TestRegistrationClaim(t *testing.T) { backends(t, testRegistrationClaim) }

func testRegistrationClaim(t *testing.T, f *fixture) {
	ctx := t.Context()
	must(t, f.st.Accounts().Create(ctx, iam.Account{ID: iam.AWSAccount, Created: now}))
	adminB := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/admin", UserName: "admin"}
	// B's registration has claimed the id and not yet stored its
	// upstream (the other node, mid-request).
	must(t, f.s.claim(ctx, acctB, upA, now))
	if _, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), now); WireError(err) == nil || WireError(err).Code != awsquery.CodeEntityAlreadyExists {
		t.Fatalf("CreateUpstream while another account registers the id = %v, want EntityAlreadyExists", err)
	}
	// B never finished: once the claim is old, A takes it over.
	later := now.Add(claimTakeover + time.Second)
	if _, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), later); err != nil {
		t.Fatalf("CreateUpstream over a stale claim: %v", err)
	}
	if _, err := f.s.CreateUpstream(ctx, adminB, oidcReq(upA), later.Add(time.Hour)); WireError(err) == nil || WireError(err).Code != awsquery.CodeEntityAlreadyExists {
		t.Fatalf("CreateUpstream of an id A holds = %v, want EntityAlreadyExists", err)
	}
	must(t, f.s.DeleteUpstream(ctx, acctA, upA))
	if _, err := f.s.CreateUpstream(ctx, adminB, oidcReq(upA), later); err != nil {
		t.Fatalf("CreateUpstream of a removed upstream's id: %v", err)
	}
	if _, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(upA), later.Add(time.Hour)); WireError(err) == nil || WireError(err).Code != awsquery.CodeEntityAlreadyExists {
		t.Fatalf("CreateUpstream of an id B holds = %v, want EntityAlreadyExists", err)
	}
}

// TestRegistrationRace: two nodes registering one upstream id for two
// accounts at once: one succeeds.
func TestRegistrationRace(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	must(t, f.st.Accounts().Create(ctx, iam.Account{ID: iam.AWSAccount, Created: now}))
	adminB := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/admin", UserName: "admin"}
	other := f.service(nil)
	for i := range 20 {
		id := fmt.Sprintf("5000000000%02d", i)
		errs := make(chan error, 2)
		go func() { _, err := f.s.CreateUpstream(ctx, f.admin, oidcReq(id), now); errs <- err }()
		go func() { _, err := other.CreateUpstream(ctx, adminB, oidcReq(id), now); errs <- err }()
		ok := 0
		for range 2 {
			if err := <-errs; err == nil {
				ok++
			} else if WireError(err) == nil || WireError(err).Code != awsquery.CodeEntityAlreadyExists {
				t.Fatalf("CreateUpstream(%s) = %v", id, err)
			}
		}
		if ok != 1 {
			t.Fatalf("CreateUpstream(%s) from two accounts at once: %d succeeded, want 1", id, ok)
		}
	}
}

// TestRotateDueStaleIndex: a node whose index is behind (the change feed
// has not brought another node's rotation yet) does not rotate again: the
// stored upstream decides whether it is due.
func TestRotateDueStaleIndex(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	created := now.Add(-48 * time.Hour)
	req := keyReq(upA)
	req.RotateEveryDays = ptr(int32(1))
	_, err := f.s.CreateUpstream(ctx, f.admin, req, created)
	must(t, err)
	other := f.service(nil) // its index: the upstream due
	// Another node rotated it a moment ago (its key stays the fixture's:
	// only the state matters here).
	_, err = f.s.modifyUpstream(ctx, acctA, upA, now, func(u *Upstream) error {
		u.Rotation = Rotation{Last: now.Add(-time.Minute)}
		return nil
	})
	must(t, err)
	other.RotateDue(ctx, now)
	u, err := f.s.GetUpstream(ctx, acctA, upA)
	must(t, err)
	if !u.Rotation.Failed.IsZero() || u.Rotation.Error != "" || !u.Rotation.Lease.IsZero() {
		t.Fatalf("Rotation after RotateDue on a stale index = %+v, want untouched (not due)", u.Rotation)
	}
}

// TestClientFollowsEndpoint: a request that read the registry before an
// endpoint changed, and builds the upstream's client after the change
// dropped the old one, does not leave a client of the old endpoint for
// every later call.
func TestClientFollowsEndpoint(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	before, err := f.s.CreateUpstream(ctx, f.admin, keyReq(upA), now)
	must(t, err)
	after, err := f.s.UpdateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA, StsEndpoint: ptr("http://127.0.0.1:2")}, now)
	must(t, err)
	stale, err := f.s.client(&before) // the in-flight request
	must(t, err)
	cur, err := f.s.client(&after)
	must(t, err)
	if cur == stale {
		t.Fatal("the client of the new endpoint is the one built for the old endpoint")
	}
	again, err := f.s.client(&after)
	must(t, err)
	if again != cur {
		t.Fatal("the client of an unchanged endpoint was built again")
	}
}

// TestUpdateUpstreamModeSwitch: a KEY upstream with a user name and a
// schedule can move to OIDC (its KEY-only settings go with its key; the
// API cannot set UserName to ""), and back with a key.
func TestUpdateUpstreamModeSwitch(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	req := keyReq(upA)
	req.UserName, req.RotateEveryDays = ptr("brevet"), ptr(int32(30))
	_, err := f.s.CreateUpstream(ctx, f.admin, req, now)
	must(t, err)
	u, err := f.s.UpdateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA, Mode: ptr(ModeOIDC)}, now)
	if err != nil {
		t.Fatalf("UpdateUpstream to OIDC: %v", err)
	}
	if u.Mode != ModeOIDC || u.Key != nil || u.UserName != "" || u.RotateEvery != 0 || u.Audience != DefaultAudience {
		t.Fatalf("after the switch to OIDC: %+v", u)
	}
	if _, err := f.s.UpdateUpstream(ctx, f.admin, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA, Mode: ptr(ModeOIDC), UserName: ptr("x")}, now); WireError(err) == nil || WireError(err).Code != awsquery.CodeValidationError {
		t.Fatalf("OIDC with a UserName = %v, want ValidationError", err)
	}
	back := keyReq(upA)
	back.StsEndpoint, back.IamEndpoint = nil, nil
	u, err = f.s.UpdateUpstream(ctx, f.admin, back, now)
	if err != nil || u.Mode != ModeKey || u.Key == nil || u.Audience != "" {
		t.Fatalf("UpdateUpstream back to KEY = %+v, %v", u, err)
	}
}

// TestAccountScoping: another Brevet account can neither see, change,
// rotate, delete nor use an account's upstream and brokered roles.
func TestAccountScoping(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	_, err := f.s.CreateUpstream(ctx, f.admin, keyReq(upA), now)
	must(t, err)
	arn := "arn:aws:iam::" + upA + ":role/Deploy"
	_, err = f.s.CreateRole(ctx, f.admin, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN()))}, now)
	must(t, err)
	adminB := &identity.Principal{Type: identity.IAMUser, Account: acctB, CallerARN: "arn:aws:iam::" + acctB + ":user/admin", UserName: "admin"}
	notFound := func(what string, err error) {
		t.Helper()
		if w := WireError(err); w == nil || w.Code != awsquery.CodeNoSuchEntity {
			t.Errorf("%s from account B = %v, want NoSuchEntity", what, err)
		}
	}
	_, err = f.s.GetUpstream(ctx, acctB, upA)
	notFound("GetUpstream", err)
	_, err = f.s.UpdateUpstream(ctx, adminB, &brevetapi.UpstreamAccountRequest{UpstreamAccountId: upA, StsEndpoint: ptr("https://evil.example")}, now)
	notFound("UpdateUpstream", err)
	_, err = f.s.Rotate(ctx, acctB, upA, now)
	notFound("Rotate", err)
	notFound("DeleteUpstream", f.s.DeleteUpstream(ctx, acctB, upA))
	_, _, err = f.s.SessionToken(ctx, adminB, upA, 0, now)
	notFound("SessionToken", err)
	_, _, err = f.s.FederationToken(ctx, adminB, upA, upstream.FederationInput{Name: "bob"}, now)
	notFound("FederationToken", err)
	_, err = f.s.GetRole(ctx, acctB, arn)
	notFound("GetRole", err)
	_, err = f.s.UpdateRole(ctx, adminB, &brevetapi.BrokeredRoleRequest{RoleArn: arn, Description: ptr("x")}, now)
	notFound("UpdateRole", err)
	notFound("DeleteRole", f.s.DeleteRole(ctx, acctB, arn))
	if _, err := f.s.CreateRole(ctx, adminB, &brevetapi.BrokeredRoleRequest{RoleArn: arn, AssumeRolePolicyDocument: ptr(trustOf(f.ann.ARN()))}, now); WireError(err) == nil || WireError(err).Code != awsquery.CodeValidationError {
		t.Errorf("CreateRole of A's upstream from B = %v, want ValidationError", err)
	}
	if us, _, err := f.s.ListUpstreams(ctx, acctB, "", 0); err != nil || len(us) != 0 {
		t.Errorf("ListUpstreams of B = %v, %v", us, err)
	}
	if rs, _, err := f.s.ListRoles(ctx, acctB, "", "", 0); err != nil || len(rs) != 0 {
		t.Errorf("ListRoles of B = %v, %v", rs, err)
	}
	if u, err := f.s.GetUpstream(ctx, acctA, upA); err != nil || u.STSEndpoint == "https://evil.example" {
		t.Errorf("A's upstream after B's attempts = %+v, %v", u, err)
	}
}

// TestDescriptionCharacters: a description is bounded in characters, as
// the API's shape bounds it, not in bytes.
func TestDescriptionCharacters(t *testing.T) {
	f := newFixture(t)
	req := oidcReq(upA)
	req.Description = ptr(strings.Repeat("é", maxDescription))
	if _, err := f.s.CreateUpstream(t.Context(), f.admin, req, now); err != nil {
		t.Fatalf("CreateUpstream with %d two-byte characters: %v", maxDescription, err)
	}
	req = oidcReq(upB)
	req.Description = ptr(strings.Repeat("é", maxDescription+1))
	if _, err := f.s.CreateUpstream(t.Context(), f.admin, req, now); WireError(err) == nil || WireError(err).Code != awsquery.CodeValidationError {
		t.Fatalf("CreateUpstream with %d characters = %v, want ValidationError", maxDescription+1, err)
	}
}

// TestSealedKeyUnopenable: an upstream key this node's master key cannot
// open (sealed under a key it does not hold, or damaged) is the
// operator's problem, not the caller's: ServiceUnavailable with a message
// that points at the log, never a 500.
func TestSealedKeyUnopenable(t *testing.T) {
	f := newFixture(t)
	sealed, err := f.keys.Seal([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), KeyPurpose(acctA, "123456789012"))
	must(t, err)
	for name, secret := range map[string][]byte{
		"damaged":            []byte("not sealed at all"),
		"another upstream's": sealed,
		"another account's":  mustSeal(t, f, KeyPurpose(acctB, "123456789012")),
	} {
		t.Run(name, func(t *testing.T) {
			u := &Upstream{Account: acctA, ID: "123456789013", Mode: ModeKey, Key: &SealedKey{AccessKeyID: "AKIAEXAMPLEEXAMPLE", Secret: secret}}
			_, err := f.s.openKey(u)
			w := WireError(err)
			if w == nil || w.Code != awsquery.CodeServiceUnavailable ||
				w.Message != "Brevet cannot open its sealed key for upstream account 123456789013; an administrator must check the server's log (docs/broker.md)." {
				t.Fatalf("openKey = %v, wire %v; want ServiceUnavailable", err, w)
			}
		})
	}
}

func mustSeal(t *testing.T, f *fixture, purpose string) []byte {
	t.Helper()
	b, err := f.keys.Seal([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), purpose)
	must(t, err)
	return b
}

// TestIssuerFailure: an enabled issuer that cannot sign (no active key)
// answers ServiceUnavailable pointing at the log, not a 500.
func TestIssuerFailure(t *testing.T) {
	f := newFixture(t)
	s := f.service(failingMinter{})
	u := &Upstream{Account: acctA, ID: "123456789013", Mode: ModeOIDC, Audience: DefaultAudience}
	in := &sts.BrokerAssumeInput{Caller: &identity.Principal{Type: identity.IAMUser, Account: acctA, CallerARN: "arn:aws:iam::" + acctA + ":user/ann"},
		SessionName: "ann", Duration: time.Hour, SourceIdentity: "ann@" + acctA}
	_, err := s.mint(u, in, now)
	w := WireError(err)
	if w == nil || w.Code != awsquery.CodeServiceUnavailable ||
		w.Message != "Brevet's OIDC issuer could not sign a token for upstream account 123456789013; an administrator must check the server's log (docs/broker.md)." {
		t.Fatalf("mint = %v, wire %v; want ServiceUnavailable", err, w)
	}
}

// failingMinter is an enabled issuer without an active signing key.
type failingMinter struct{}

func (failingMinter) Mint(in issuer.MintInput, _ time.Time) (*issuer.Token, error) {
	return nil, &issuer.Error{Kind: issuer.NoKey, Message: "no active signing key for " + in.Algorithm}
}
