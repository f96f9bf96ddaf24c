package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/policy"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// idp is an in-test OpenID provider: discovery and JWKS over HTTPS on the
// loopback interface, with keys the test can rotate.
type idp struct {
	srv       *fedtest.Server
	mu        sync.Mutex
	public    []jose.JSONWebKey
	fail      atomic.Bool
	huge      atomic.Bool
	jwksCalls atomic.Int64
}

func newIDP(t testing.TB, keys ...jose.JSONWebKey) *idp {
	p := &idp{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host
		json.NewEncoder(w).Encode(map[string]string{"issuer": base, "jwks_uri": base + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		p.jwksCalls.Add(1)
		if p.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		if p.huge.Load() {
			w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}`))
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: p.public})
	})
	p.srv = fedtest.NewTLS(t, mux)
	p.setKeys(keys...)
	return p
}

func (p *idp) setKeys(keys ...jose.JSONWebKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.public = nil
	for _, k := range keys {
		p.public = append(p.public, k.Public())
	}
}

type testKey struct {
	jwk jose.JSONWebKey
	alg jose.SignatureAlgorithm
}

var (
	keyOnce             sync.Once
	rsaA, rsaB, ecA, ps testKey
)

func keys(t testing.TB) {
	keyOnce.Do(func() {
		ra, _ := rsa.GenerateKey(rand.Reader, 2048)
		rb, _ := rsa.GenerateKey(rand.Reader, 2048)
		ea, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		rsaA = testKey{jose.JSONWebKey{Key: ra, KeyID: "rsa-a", Use: "sig"}, jose.RS256}
		rsaB = testKey{jose.JSONWebKey{Key: rb, KeyID: "rsa-b", Use: "sig"}, jose.RS256}
		ecA = testKey{jose.JSONWebKey{Key: ea, KeyID: "ec-a", Use: "sig"}, jose.ES256}
		ps = testKey{jose.JSONWebKey{Key: ra, KeyID: "rsa-a"}, jose.PS256}
	})
}

// sign makes a compact JWS of claims with k, naming kid in the header.
func sign(t testing.TB, k testKey, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.jwk.Key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func baseClaims(iss string) map[string]any {
	return map[string]any{
		"iss": iss, "sub": "repo:brevet/brevet:ref:refs/heads/main", "aud": "sts.amazonaws.com",
		"iat": t0.Unix() - 10, "nbf": t0.Unix() - 10, "exp": t0.Unix() + 300, "jti": "j1",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func newVerifier(t testing.TB, p *idp, mod ...func(*Provider)) *Verifier {
	t.Helper()
	prov := Provider{URL: p.srv.URL, ClientIDs: []string{"sts.amazonaws.com", "web-app"}}
	for _, m := range mod {
		m(&prov)
	}
	v, err := NewVerifier(prov, Config{HTTPClient: p.srv.Client})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifySuccess(t *testing.T) {
	keys(t)
	p := newIDP(t, rsaA.jwk, ecA.jwk)
	v := newVerifier(t, p)
	iss := p.srv.URL
	host := strings.TrimPrefix(iss, "https://")
	tags := map[string]any{
		"principal_tags":      map[string]any{"Project": []string{"Automation"}, "CostCenter": "987654"},
		"transitive_tag_keys": []string{"Project"},
	}
	tests := []struct {
		name     string
		token    string
		want     *Identity
		wantKeys []ConditionKey
	}{{
		name:  "RS256",
		token: sign(t, rsaA, "rsa-a", baseClaims(iss)),
		want: &Identity{Issuer: iss, ProviderKey: host, Subject: "repo:brevet/brevet:ref:refs/heads/main",
			Audience: []string{"sts.amazonaws.com"}, ClientID: "sts.amazonaws.com", ID: "j1",
			IssuedAt: t0.Add(-10 * time.Second), NotBefore: t0.Add(-10 * time.Second), Expiry: t0.Add(300 * time.Second)},
		wantKeys: []ConditionKey{
			{host + ":sub", []string{"repo:brevet/brevet:ref:refs/heads/main"}},
			{host + ":aud", []string{"sts.amazonaws.com"}},
			{host + ":oaud", []string{"sts.amazonaws.com"}},
		},
	}, {
		name:  "ES256 without kid, aud list, azp, amr, tags, issuer with trailing slash",
		token: sign(t, ecA, "", with(baseClaims(iss+"/"), "aud", []string{"other", "web-app"}, "azp", "android", "amr", []string{"pwd", "mfa"}, "https://aws.amazon.com/tags", tags, "nbf", nil, "jti", nil)),
		want: &Identity{Issuer: iss + "/", ProviderKey: host, Subject: "repo:brevet/brevet:ref:refs/heads/main",
			Audience: []string{"other", "web-app"}, ClientID: "web-app", AuthorizedParty: "android", AMR: []string{"pwd", "mfa"},
			IssuedAt: t0.Add(-10 * time.Second), Expiry: t0.Add(300 * time.Second),
			PrincipalTags: map[string]string{"Project": "Automation", "CostCenter": "987654"}, TransitiveTagKeys: []string{"Project"}},
		wantKeys: []ConditionKey{
			{host + ":sub", []string{"repo:brevet/brevet:ref:refs/heads/main"}},
			{host + ":aud", []string{"android"}},
			{host + ":oaud", []string{"other", "web-app"}},
			{host + ":azp", []string{"android"}},
			{host + ":amr", []string{"pwd", "mfa"}},
		},
	}, {
		name:  "source identity, 64 characters",
		token: sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/source_identity", "alice@123456789012"+strings.Repeat("_+=,.@-", 6)+"abcd")),
		want: &Identity{Issuer: iss, ProviderKey: host, Subject: "repo:brevet/brevet:ref:refs/heads/main",
			Audience: []string{"sts.amazonaws.com"}, ClientID: "sts.amazonaws.com", ID: "j1",
			IssuedAt: t0.Add(-10 * time.Second), NotBefore: t0.Add(-10 * time.Second), Expiry: t0.Add(300 * time.Second),
			SourceIdentity: "alice@123456789012" + strings.Repeat("_+=,.@-", 6) + "abcd"},
	}, {
		name:  "PS256, audience matched through azp",
		token: sign(t, ps, "rsa-a", with(baseClaims(iss), "aud", []string{"api", "userinfo"}, "azp", "web-app")),
		want: &Identity{Issuer: iss, ProviderKey: host, Subject: "repo:brevet/brevet:ref:refs/heads/main",
			Audience: []string{"api", "userinfo"}, ClientID: "web-app", AuthorizedParty: "web-app", ID: "j1",
			IssuedAt: t0.Add(-10 * time.Second), NotBefore: t0.Add(-10 * time.Second), Expiry: t0.Add(300 * time.Second)},
	}, {
		name:  "expired within leeway",
		token: sign(t, rsaA, "rsa-a", with(baseClaims(iss), "exp", t0.Unix()-30)),
		want: &Identity{Issuer: iss, ProviderKey: host, Subject: "repo:brevet/brevet:ref:refs/heads/main",
			Audience: []string{"sts.amazonaws.com"}, ClientID: "sts.amazonaws.com", ID: "j1",
			IssuedAt: t0.Add(-10 * time.Second), NotBefore: t0.Add(-10 * time.Second), Expiry: t0.Add(-30 * time.Second)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.token, t0)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Identity{}, "Claims")); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			if got.Claims["sub"] != tt.want.Subject {
				t.Errorf("Claims[sub] = %v, want %v", got.Claims["sub"], tt.want.Subject)
			}
			if tt.wantKeys != nil {
				if diff := cmp.Diff(tt.wantKeys, got.ConditionKeys()); diff != "" {
					t.Errorf("condition keys (-want +got):\n%s", diff)
				}
			}
		})
	}
	if got := v.Fetches(); got != 1 {
		t.Errorf("fetches = %d, want 1 (keys cached)", got)
	}
}

func TestVerifyRejects(t *testing.T) {
	keys(t)
	p := newIDP(t, rsaA.jwk, ecA.jwk)
	v := newVerifier(t, p)
	iss := p.srv.URL
	good := sign(t, rsaA, "rsa-a", baseClaims(iss))
	parts := strings.Split(good, ".")

	pubDER, _ := x509.MarshalPKIXPublicKey(rsaA.jwk.Key.(*rsa.PrivateKey).Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := testKey{jose.JSONWebKey{Key: pubPEM}, jose.HS256}
	var hsRaw = testKey{jose.JSONWebKey{Key: pubDER}, jose.HS256}
	attackerEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	embedded := func() string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: attackerEC},
			(&jose.SignerOptions{EmbedJWK: true}).WithHeader("kid", "ec-a"))
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(baseClaims(iss))
		jws, _ := s.Sign(payload)
		out, _ := jws.CompactSerialize()
		return out
	}()

	tests := []struct {
		name     string
		token    string
		wantKind Kind
		wantMsg  string
	}{
		{"garbage", "not-a-jwt", InvalidToken, msgMalformed},
		{"two parts", parts[0] + "." + parts[1], InvalidToken, msgMalformed},
		{"too large", strings.Repeat("a", MaxTokenBytes+1), InvalidToken, msgMalformed},
		{"tampered payload", parts[0] + "." + b64(with(baseClaims(iss), "sub", "admin")) + "." + parts[2], InvalidToken, msgSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 256)), InvalidToken, msgSignature},
		{"wrong key, known kid", sign(t, rsaB, "rsa-a", baseClaims(iss)), InvalidToken, msgSignature},
		{"wrong key, unknown kid", sign(t, rsaB, "rsa-b", baseClaims(iss)), InvalidToken, msgNoKey},
		{"alg none", b64(map[string]string{"alg": "none", "kid": "rsa-a"}) + "." + parts[1] + ".", InvalidToken, msgAlgorithm},
		{"alg none, no signature part", b64(map[string]string{"alg": "none"}) + "." + parts[1], InvalidToken, msgAlgorithm},
		{"header not base64", "!!." + parts[1] + "." + parts[2], InvalidToken, msgMalformed},
		{"header not JSON", b64("x")[:2] + "." + parts[1] + "." + parts[2], InvalidToken, msgMalformed},
		{"HS256 with the RSA public key PEM as secret", sign(t, hs, "rsa-a", baseClaims(iss)), InvalidToken, msgAlgorithm},
		{"HS256 with the RSA public key DER as secret", sign(t, hsRaw, "rsa-a", baseClaims(iss)), InvalidToken, msgAlgorithm},
		{"kid names the EC key, RS256 signature", sign(t, rsaB, "ec-a", baseClaims(iss)), InvalidToken, msgNoKey},
		{"kid names the RSA key, ES256 signature", sign(t, testKey{jose.JSONWebKey{Key: attackerEC}, jose.ES256}, "rsa-a", baseClaims(iss)), InvalidToken, msgNoKey},
		{"embedded jwk", embedded, InvalidToken, msgSignature},
		{"wrong issuer", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "iss", "https://evil.example")), InvalidToken, msgIssuer},
		{"issuer prefix", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "iss", iss+"/x")), InvalidToken, msgIssuer},
		{"missing iss", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "iss", nil)), InvalidToken, "Missing a required claim: iss"},
		{"wrong audience", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "aud", "sts.amazon.com")), InvalidToken, msgAudience},
		{"wrong audience list and azp", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "aud", []string{"a", "b"}, "azp", "c")), InvalidToken, msgAudience},
		{"signed, aud an object", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "aud", map[string]any{"x": 1})), InvalidToken, msgMalformed},
		{"signed, exp a string", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "exp", "tomorrow")), InvalidToken, msgMalformed},
		{"missing aud", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "aud", nil)), InvalidToken, "Missing a required claim: aud"},
		{"missing sub", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "sub", nil)), InvalidToken, "Missing a required claim: sub"},
		{"missing exp", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "exp", nil)), InvalidToken, "Missing a required claim: exp"},
		{"expired", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "exp", t0.Unix()-61)), Expired,
			"Token expired: current date/time 1795334400 must be before the expiration date/time 1795334339"},
		{"not yet valid", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "nbf", t0.Unix()+120)), InvalidToken, msgNotYetValid},
		{"issued in the future", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "iat", t0.Unix()+120)), InvalidToken, msgIssuedFuture},
		{"tag with two values", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/tags",
			map[string]any{"principal_tags": map[string]any{"a": []string{"1", "2"}}})), RejectedClaim, msgTags},
		{"tags not an object", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/tags", "x")), RejectedClaim, msgTags},
		{"transitive key without tag", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/tags",
			map[string]any{"transitive_tag_keys": []string{"a"}})), RejectedClaim, msgTags},
		{"source identity not a string", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/source_identity",
			[]string{"alice"})), RejectedClaim, msgSourceIdentity},
		{"source identity too short", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/source_identity", "a")), RejectedClaim, msgSourceIdentity},
		{"source identity too long", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/source_identity",
			strings.Repeat("a", 65))), RejectedClaim, msgSourceIdentity},
		{"source identity with a space", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/source_identity", "alice smith")), RejectedClaim, msgSourceIdentity},
		{"source identity with the reserved prefix", sign(t, rsaA, "rsa-a", with(baseClaims(iss), "https://aws.amazon.com/source_identity", "aws:alice")), RejectedClaim, msgSourceIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token, t0)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify error = %v, want *Error", err)
			}
			if e.Kind != tt.wantKind || e.Message != tt.wantMsg {
				t.Errorf("got %v %q, want %v %q (detail: %v)", e.Kind, e.Message, tt.wantKind, tt.wantMsg, e.Err)
			}
		})
	}
}

func TestConditionKeysIntoPolicyContext(t *testing.T) {
	id := &Identity{ProviderKey: "token.actions.githubusercontent.com", Subject: "repo:o/r:ref:refs/heads/main", Audience: []string{"sts.amazonaws.com"}}
	var c policy.Context
	id.AddConditionKeys(c.Add)
	for key, want := range map[string][]string{
		"token.actions.githubusercontent.com:sub":  {"repo:o/r:ref:refs/heads/main"},
		"token.actions.githubusercontent.com:aud":  {"sts.amazonaws.com"},
		"TOKEN.actions.githubusercontent.com:OAUD": {"sts.amazonaws.com"},
	} {
		got, ok := c.Lookup(key)
		if !ok || !cmp.Equal(got, want) {
			t.Errorf("Lookup(%q) = %v, %v; want %v", key, got, ok, want)
		}
	}
	if _, ok := c.Lookup("token.actions.githubusercontent.com:amr"); ok {
		t.Error("amr present without an amr claim")
	}
}

func TestRotationAndRateLimit(t *testing.T) {
	keys(t)
	p := newIDP(t, rsaA.jwk)
	v := newVerifier(t, p)
	ctx := context.Background()
	iss := p.srv.URL
	if _, err := v.Verify(ctx, sign(t, rsaA, "rsa-a", baseClaims(iss)), t0); err != nil {
		t.Fatal(err)
	}
	// The provider rotates: rsa-b appears. A token under the new kid
	// within the rate-limit window fails without a fetch...
	p.setKeys(rsaA.jwk, rsaB.jwk)
	tokB := sign(t, rsaB, "rsa-b", baseClaims(iss))
	if _, err := v.Verify(ctx, tokB, t0.Add(10*time.Second)); err == nil {
		t.Fatal("unknown kid inside the rate-limit window verified")
	}
	if got := v.Fetches(); got != 1 {
		t.Fatalf("fetches = %d, want 1", got)
	}
	// ...and once the window has passed, the unknown kid triggers a
	// refresh and verifies.
	if _, err := v.Verify(ctx, tokB, t0.Add(31*time.Second)); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	if got := v.Fetches(); got != 2 {
		t.Fatalf("fetches = %d, want 2", got)
	}
	// A flood of unknown kids, concurrently, in a later window: one fetch.
	now := t0.Add(2 * time.Minute)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := sign(t, rsaB, "unknown-"+string(rune('a'+i%26)), baseClaims(iss))
			if _, err := v.Verify(ctx, tok, now); err == nil {
				t.Error("unknown kid verified")
			}
		}()
	}
	wg.Wait()
	if got, calls := v.Fetches(), p.jwksCalls.Load(); got != 3 || calls != 3 {
		t.Errorf("fetches = %d, JWKS requests = %d; want 3 and 3", got, calls)
	}
	// Known keys keep verifying during the flood window.
	if _, err := v.Verify(ctx, tokB, now.Add(time.Second)); err != nil {
		t.Errorf("known kid after flood: %v", err)
	}
}

func TestProviderOutage(t *testing.T) {
	keys(t)
	ctx := context.Background()

	p := newIDP(t, rsaA.jwk)
	p.fail.Store(true)
	v := newVerifier(t, p)
	_, err := v.Verify(ctx, sign(t, rsaA, "rsa-a", baseClaims(p.srv.URL)), t0)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Communication {
		t.Fatalf("first fetch failing: err = %v, want Communication", err)
	}

	// Keys fetched before an outage stay in use past MaxKeyAge.
	p.fail.Store(false)
	later := t0.Add(time.Minute)
	tok := sign(t, rsaA, "rsa-a", with(baseClaims(p.srv.URL), "exp", later.Add(48*time.Hour).Unix()))
	if _, err := v.Verify(ctx, tok, later); err != nil {
		t.Fatal(err)
	}
	p.fail.Store(true)
	if _, err := v.Verify(ctx, tok, later.Add(25*time.Hour)); err != nil {
		t.Errorf("stale keys during outage: %v", err)
	}

	// Oversized documents are refused.
	p2 := newIDP(t, rsaA.jwk)
	p2.huge.Store(true)
	v2 := newVerifier(t, p2)
	_, err = v2.Verify(ctx, sign(t, rsaA, "rsa-a", baseClaims(p2.srv.URL)), t0)
	if !errors.As(err, &e) || e.Kind != Communication || !strings.Contains(e.Error(), "larger than") {
		t.Errorf("huge JWKS: err = %v, want Communication 'larger than'", err)
	}
}

func TestUntrustedTLS(t *testing.T) {
	keys(t)
	p := newIDP(t, rsaA.jwk)
	v, err := NewVerifier(Provider{URL: p.srv.URL, ClientIDs: []string{"sts.amazonaws.com"}},
		Config{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), sign(t, rsaA, "rsa-a", baseClaims(p.srv.URL)), t0)
	var e *Error
	if !errors.As(err, &e) || e.Kind != Communication {
		t.Errorf("err = %v, want Communication (certificate not trusted)", err)
	}
}

func TestThumbprintFallback(t *testing.T) {
	keys(t)
	p := newIDP(t, rsaA.jwk)
	sum := sha1.Sum(p.srv.Certificate().Raw)
	pin := hex.EncodeToString(sum[:])
	other := strings.Repeat("ab", 20)
	untrusting := &http.Client{Timeout: 5 * time.Second}
	localhost := strings.Replace(p.srv.URL, "127.0.0.1", "localhost", 1)
	tests := []struct {
		name        string
		url         string
		client      *http.Client
		thumbprints []string
		wantErr     bool
	}{
		{"untrusted CA, thumbprint matches", p.srv.URL, untrusting, []string{other, strings.ToUpper(pin)}, false},
		{"untrusted CA, no matching thumbprint", p.srv.URL, untrusting, []string{other}, true},
		{"untrusted CA, no thumbprints", p.srv.URL, untrusting, nil, true},
		{"trusted CA, thumbprints not consulted", p.srv.URL, p.srv.Client, []string{other}, false},
		{"thumbprint matches, host name does not", localhost, untrusting, []string{pin}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(Provider{URL: tt.url, ClientIDs: []string{"sts.amazonaws.com"}, Thumbprints: tt.thumbprints}, Config{HTTPClient: tt.client})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), sign(t, rsaA, "rsa-a", baseClaims(tt.url)), t0)
			var e *Error
			if tt.wantErr {
				if !errors.As(err, &e) || e.Kind != Communication {
					t.Errorf("err = %v, want Communication", err)
				}
			} else if err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	if _, err := NewVerifier(Provider{URL: p.srv.URL, ClientIDs: []string{"a"}, Thumbprints: []string{"xyz"}}, Config{HTTPClient: untrusting}); err == nil {
		t.Error("malformed thumbprint accepted")
	}
}

func inlineVerifier(t testing.TB, iss string, ks ...jose.JSONWebKey) *Verifier {
	t.Helper()
	var pub []jose.JSONWebKey
	for _, k := range ks {
		pub = append(pub, k.Public())
	}
	raw, _ := json.Marshal(jose.JSONWebKeySet{Keys: pub})
	v, err := NewVerifier(Provider{URL: iss, ClientIDs: []string{"sts.amazonaws.com"}, JWKS: raw}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestInlineJWKS(t *testing.T) {
	keys(t)
	iss := "https://idp.closed.example/realm"
	v := inlineVerifier(t, iss, rsaA.jwk, ecA.jwk)
	id, err := v.Verify(context.Background(), sign(t, ecA, "ec-a", baseClaims(iss)), t0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := id.ProviderKey, "idp.closed.example/realm"; got != want {
		t.Errorf("ProviderKey = %q, want %q", got, want)
	}
	_, err = v.Verify(context.Background(), sign(t, rsaB, "rsa-b", baseClaims(iss)), t0)
	var e *Error
	if !errors.As(err, &e) || e.Message != msgNoKey {
		t.Errorf("unknown kid with inline JWKS: %v", err)
	}
}

func TestNewVerifierRejectsConfig(t *testing.T) {
	keys(t)
	sym, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte("secretsecretsecretsecret"), KeyID: "k"}}})
	tests := []struct {
		name string
		p    Provider
		cfg  Config
	}{
		{"http issuer", Provider{URL: "http://idp.example", ClientIDs: []string{"a"}}, Config{HTTPClient: http.DefaultClient}},
		{"query", Provider{URL: "https://idp.example?x=1", ClientIDs: []string{"a"}}, Config{HTTPClient: http.DefaultClient}},
		{"no client id", Provider{URL: "https://idp.example"}, Config{HTTPClient: http.DefaultClient}},
		{"HS256", Provider{URL: "https://idp.example", ClientIDs: []string{"a"}, Algorithms: []string{"HS256"}}, Config{HTTPClient: http.DefaultClient}},
		{"none", Provider{URL: "https://idp.example", ClientIDs: []string{"a"}, Algorithms: []string{"none"}}, Config{HTTPClient: http.DefaultClient}},
		{"no http client", Provider{URL: "https://idp.example", ClientIDs: []string{"a"}}, Config{}},
		{"symmetric inline key only", Provider{URL: "https://idp.example", ClientIDs: []string{"a"}, JWKS: sym}, Config{}},
		{"inline JWKS not JSON", Provider{URL: "https://idp.example", ClientIDs: []string{"a"}, JWKS: []byte("{")}, Config{}},
	}
	for _, tt := range tests {
		if _, err := NewVerifier(tt.p, tt.cfg); err == nil {
			t.Errorf("%s: NewVerifier succeeded", tt.name)
		}
	}
}

func TestAlgorithmsRestrict(t *testing.T) {
	keys(t)
	raw, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{ecA.jwk.Public(), rsaA.jwk.Public()}})
	v, err := NewVerifier(Provider{URL: "https://idp.example", ClientIDs: []string{"sts.amazonaws.com"}, JWKS: raw, Algorithms: []string{"ES256"}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), sign(t, rsaA, "rsa-a", baseClaims("https://idp.example")), t0)
	var e *Error
	if !errors.As(err, &e) || e.Message != msgAlgorithm {
		t.Errorf("RS256 with ES256-only provider: %v", err)
	}
}

func TestUnverifiedIssuer(t *testing.T) {
	keys(t)
	got, err := UnverifiedIssuer(sign(t, rsaA, "", baseClaims("https://x.example")))
	if err != nil || got != "https://x.example" {
		t.Errorf("UnverifiedIssuer = %q, %v", got, err)
	}
	if _, err := UnverifiedIssuer("x.y.z"); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := UnverifiedIssuer(sign(t, rsaA, "", with(baseClaims(""), "iss", nil))); err == nil {
		t.Error("token without iss accepted")
	}
}

func TestKeyOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://token.actions.githubusercontent.com":      "token.actions.githubusercontent.com",
		"https://oidc.eks.us-east-1.amazonaws.com/id/ABC/": "oidc.eks.us-east-1.amazonaws.com/id/ABC",
		"https://127.0.0.1:8443":                           "127.0.0.1:8443",
	} {
		if got := KeyOf(in); got != want {
			t.Errorf("KeyOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzVerifyJWT(f *testing.F) {
	keys(f)
	iss := "https://idp.fuzz.example"
	v := inlineVerifier(f, iss, rsaA.jwk, ecA.jwk)
	f.Add(sign(f, rsaA, "rsa-a", baseClaims(iss)))
	f.Add(sign(f, ecA, "ec-a", with(baseClaims(iss), "aud", []string{"x", "sts.amazonaws.com"})))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := v.Verify(context.Background(), raw, t0)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not *Error", err)
			}
			return
		}
		if id.Subject == "" || id.ClientID == "" {
			t.Fatalf("verified identity without subject or client id: %+v", id)
		}
		UnverifiedIssuer(raw)
	})
}

func BenchmarkVerifyRS256(b *testing.B) {
	keys(b)
	p := newIDP(b, rsaA.jwk)
	v := newVerifier(b, p)
	tok := sign(b, rsaA, "rsa-a", with(baseClaims(p.srv.URL), "https://aws.amazon.com/tags",
		map[string]any{"principal_tags": map[string]any{"Project": []string{"Automation"}}}))
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok, t0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	keys(b)
	v := inlineVerifier(b, "https://idp.example", ecA.jwk)
	tok := sign(b, ecA, "ec-a", baseClaims("https://idp.example"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}

var _ crypto.Signer = (*rsa.PrivateKey)(nil)
