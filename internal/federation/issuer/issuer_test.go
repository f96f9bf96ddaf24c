package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

const roleARN = "arn:aws:iam::123456789012:role/Builder"

// served starts an issuer on an HTTPS loopback server under a test CA and
// returns it with a verifier for it, built from package oidc exactly as a
// second Brevet would configure a provider for the first.
func served(t *testing.T, clock *atomic.Pointer[time.Time], algs ...string) (*Issuer, *oidc.Verifier) {
	t.Helper()
	var iss *Issuer
	srv := fedtest.NewTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { iss.Handler().ServeHTTP(w, r) }))
	var err error
	iss, err = New(Config{URL: srv.URL, Now: func() time.Time { return *clock.Load() }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range algs {
		if _, err := iss.Rotate(alg, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	v, err := oidc.NewVerifier(oidc.Provider{URL: srv.URL, ClientIDs: []string{"https://api.example.com"}}, oidc.Config{HTTPClient: srv.Client})
	if err != nil {
		t.Fatal(err)
	}
	return iss, v
}

func clockAt(t time.Time) *atomic.Pointer[time.Time] {
	var p atomic.Pointer[time.Time]
	p.Store(&t)
	return &p
}

func TestMintVerifiesWithOIDC(t *testing.T) {
	clock := clockAt(t0)
	iss, v := served(t, clock, RS256, ES384)
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			tok, err := iss.Mint(MintInput{
				Account: "123456789012", Subject: roleARN, Audience: []string{"https://api.example.com", "other"},
				Algorithm: alg, PrincipalTags: map[string]string{"team": "data"}, RequestTags: map[string]string{"job": "7"},
				SourceIdentity: "alice", SourceRegion: "eu-west-1",
			}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tok.Expiration, t0.Add(DefaultDuration); !got.Equal(want) {
				t.Errorf("Expiration = %v, want %v", got, want)
			}
			id, err := v.Verify(context.Background(), tok.Raw, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("oidc Verify: %v", err)
			}
			if id.Subject != roleARN || id.ClientID != "https://api.example.com" || id.Issuer != iss.URL() || id.ID != tok.ID {
				t.Errorf("identity = %+v", id)
			}
			want := map[string]any{
				"aws_account": "123456789012", "source_region": "eu-west-1", "source_identity": "alice",
				"principal_tags": map[string]any{"team": "data"}, "request_tags": map[string]any{"job": "7"},
			}
			if diff := cmp.Diff(want, id.Claims[ClaimNamespace]); diff != "" {
				t.Errorf("AWS claims (-want +got):\n%s", diff)
			}
			if _, err := v.Verify(context.Background(), tok.Raw, t0.Add(DefaultDuration+2*time.Minute)); err == nil {
				t.Error("expired token verified")
			}
		})
	}
}

// TestMintIdPClaims checks the claims AWS STS reads from an identity
// provider's token (the broker's OIDC mode): they verify through package
// oidc, which reads them as AssumeRoleWithWebIdentity does, and have
// AWS's documented JSON shape.
func TestMintIdPClaims(t *testing.T) {
	clock := clockAt(t0)
	iss, v := served(t, clock, RS256)
	tests := []struct {
		name      string
		in        MintInput
		wantTags  map[string]string
		wantTrans []string
		wantRaw   map[string]any // the two claims as JSON, nil when absent
	}{
		{name: "none", wantRaw: map[string]any{}},
		{
			name: "tags, transitive keys and source identity",
			in: MintInput{SessionTags: map[string]string{"team": "data", "project": "x"}, TransitiveTagKeys: []string{"team"},
				AWSSourceIdentity: "alice@123456789012"},
			wantTags: map[string]string{"team": "data", "project": "x"}, wantTrans: []string{"team"},
			wantRaw: map[string]any{
				ClaimTags: map[string]any{
					"principal_tags":      map[string]any{"team": []any{"data"}, "project": []any{"x"}},
					"transitive_tag_keys": []any{"team"},
				},
				ClaimSourceIdentity: "alice@123456789012",
			},
		},
		{
			name: "source identity only", in: MintInput{AWSSourceIdentity: "Builder.ci"},
			wantRaw: map[string]any{ClaimSourceIdentity: "Builder.ci"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Account, in.Subject, in.Audience, in.Algorithm = "123456789012", roleARN, []string{"https://api.example.com"}, RS256
			tok, err := iss.Mint(in, t0)
			if err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(context.Background(), tok.Raw, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("oidc Verify: %v", err)
			}
			if len(tt.wantTags) > 0 || len(id.PrincipalTags) > 0 {
				if diff := cmp.Diff(tt.wantTags, id.PrincipalTags); diff != "" {
					t.Errorf("PrincipalTags (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.wantTrans, id.TransitiveTagKeys); diff != "" {
				t.Errorf("TransitiveTagKeys (-want +got):\n%s", diff)
			}
			got := map[string]any{}
			for _, k := range []string{ClaimTags, ClaimSourceIdentity} {
				if c, ok := id.Claims[k]; ok {
					got[k] = c
				}
			}
			if diff := cmp.Diff(tt.wantRaw, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	clock := clockAt(t0)
	iss, v := served(t, clock, ES384)
	in := MintInput{Account: "123456789012", Subject: roleARN, Audience: []string{"https://api.example.com"}, Algorithm: ES384, Duration: MaxDuration}
	old, err := iss.Mint(in, t0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := v.Verify(ctx, old.Raw, t0); err != nil {
		t.Fatal(err)
	}
	// Rotate 31 s later (past the verifier's refresh rate limit): the new
	// key signs, and the verifier picks it up on its unknown kid while the
	// old token still verifies.
	at := t0.Add(31 * time.Second)
	clock.Store(&at)
	k2, err := iss.Rotate(ES384, at)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := iss.Mint(in, at)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.KeyID != k2.ID || fresh.KeyID == old.KeyID {
		t.Fatalf("fresh token kid %s, new key %s, old %s", fresh.KeyID, k2.ID, old.KeyID)
	}
	for name, tok := range map[string]*Token{"old": old, "fresh": fresh} {
		if _, err := v.Verify(ctx, tok.Raw, at); err != nil {
			t.Errorf("%s token after rotation: %v", name, err)
		}
	}
	if got := len(iss.JWKS(at).Keys); got != 2 {
		t.Errorf("published keys = %d, want 2", got)
	}
	// The old key stays published until its last token has expired.
	if iss.Prune(at.Add(maxTokenLife)) {
		t.Error("Prune dropped the old key while its tokens may be unexpired")
	}
	if !iss.Prune(at.Add(maxTokenLife + publishGrace)) {
		t.Error("Prune kept the old key after its tokens expired")
	}
	if got := iss.JWKS(at.Add(2 * maxTokenLife)).Keys; len(got) != 1 || got[0].KeyID != k2.ID {
		t.Errorf("published after prune = %v", got)
	}
}

func TestMarshalKeys(t *testing.T) {
	iss, err := New(Config{URL: "https://brevet.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{RS256, ES384, ES384} {
		if _, err := iss.Rotate(alg, t0); err != nil {
			t.Fatal(err)
		}
	}
	b, err := MarshalKeys(iss.Keys())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := UnmarshalKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	iss2, _ := New(Config{URL: "https://brevet.example"}, keys)
	got, _ := json.Marshal(iss2.JWKS(t0))
	want, _ := json.Marshal(iss.JWKS(t0))
	if string(got) != string(want) {
		t.Errorf("JWKS after round trip differs:\n got %s\nwant %s", got, want)
	}
	// A restored issuer signs with the same active key.
	tok, err := iss2.Mint(MintInput{Account: "123456789012", Subject: roleARN, Audience: []string{"a"}, Algorithm: RS256}, t0)
	if err != nil || tok.KeyID != iss.active(RS256).ID {
		t.Errorf("Mint after restore: kid %v, err %v", tok, err)
	}

	tampered := strings.Replace(string(b), `"kid":"`, `"kid":"x`, 1)
	for name, doc := range map[string]string{"not JSON": "{", "bad DER": `[{"kid":"k","alg":"RS256","pkcs8":"AAAA"}]`, "id mismatch": tampered} {
		if _, err := UnmarshalKeys([]byte(doc)); err == nil {
			t.Errorf("%s: UnmarshalKeys succeeded", name)
		}
	}
}

func TestMintRejects(t *testing.T) {
	iss, _ := New(Config{URL: "https://brevet.example"}, nil)
	iss.Rotate(RS256, t0)
	good := MintInput{Account: "123456789012", Subject: roleARN, Audience: []string{"a"}, Algorithm: RS256}
	mod := func(f func(*MintInput)) MintInput { in := good; f(&in); return in }
	tests := []struct {
		name string
		in   MintInput
		want Kind
	}{
		{"algorithm", mod(func(in *MintInput) { in.Algorithm = "HS256" }), InvalidInput},
		{"no active key", mod(func(in *MintInput) { in.Algorithm = ES384 }), NoKey},
		{"no audience", mod(func(in *MintInput) { in.Audience = nil }), InvalidInput},
		{"eleven audiences", mod(func(in *MintInput) { in.Audience = make([]string, 11) }), InvalidInput},
		{"empty audience", mod(func(in *MintInput) { in.Audience = []string{""} }), InvalidInput},
		{"too short", mod(func(in *MintInput) { in.Duration = 59 * time.Second }), InvalidInput},
		{"too long", mod(func(in *MintInput) { in.Duration = 3601 * time.Second }), InvalidInput},
		{"outlives session", mod(func(in *MintInput) { in.SessionExpiry = t0.Add(time.Minute) }), SessionDurationEscalation},
		{"transitive key not a tag", mod(func(in *MintInput) {
			in.SessionTags, in.TransitiveTagKeys = map[string]string{"team": "data"}, []string{"project"}
		}), InvalidInput},
		{"payload too large", mod(func(in *MintInput) {
			in.RequestTags = map[string]string{"k": strings.Repeat("v", MaxPayloadBytes)}
		}), PayloadTooLarge},
	}
	for _, tt := range tests {
		_, err := iss.Mint(tt.in, t0)
		var e *Error
		if !errors.As(err, &e) || e.Kind != tt.want {
			t.Errorf("%s: err = %v, want kind %v", tt.name, err, tt.want)
		}
	}
	for _, u := range []string{"http://brevet.example", "https://brevet.example/", "https://brevet.example?x"} {
		if _, err := New(Config{URL: u}, nil); err == nil {
			t.Errorf("New(%q) succeeded", u)
		}
	}
}

func TestHandlers(t *testing.T) {
	clock := clockAt(t0)
	iss, _ := New(Config{URL: "https://brevet.example", Now: func() time.Time { return *clock.Load() }}, nil)
	iss.Rotate(ES384, t0)
	srv := fedtest.NewTLS(t, iss.Handler())
	get := func(path string) (int, string, map[string]any) {
		resp, err := srv.Client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, resp.Header.Get("Content-Type"), m
	}
	code, ct, doc := get(DiscoveryPath)
	if code != 200 || ct != "application/json" || doc["issuer"] != "https://brevet.example" || doc["jwks_uri"] != "https://brevet.example"+JWKSPath {
		t.Errorf("discovery: %d %s %v", code, ct, doc)
	}
	code, ct, set := get(JWKSPath)
	keys, _ := set["keys"].([]any)
	if code != 200 || ct != "application/jwk-set+json" || len(keys) != 1 {
		t.Fatalf("jwks: %d %s %v", code, ct, set)
	}
	k := keys[0].(map[string]any)
	if k["alg"] != ES384 || k["use"] != "sig" || k["d"] != nil {
		t.Errorf("published key %v (must be public, alg ES384, use sig)", k)
	}
	resp, err := srv.Client.Post(srv.URL+JWKSPath, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST jwks: %d", resp.StatusCode)
	}
}

func BenchmarkMint(b *testing.B) {
	for _, alg := range Algorithms {
		b.Run(alg, func(b *testing.B) {
			iss, _ := New(Config{URL: "https://brevet.example"}, nil)
			iss.Rotate(alg, t0)
			in := MintInput{Account: "123456789012", Subject: roleARN, Audience: []string{"https://api.example.com"}, Algorithm: alg,
				PrincipalTags: map[string]string{"team": "data"}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := iss.Mint(in, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
