package identitypool

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/sts"
)

var tokT0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func testTokens(t testing.TB) (*Tokens, *issuer.Issuer) {
	t.Helper()
	iss, err := issuer.New(issuer.Config{URL: "https://cognito-identity.amazonaws.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Rotate(issuer.RS256, tokT0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return NewTokens(func() *issuer.Issuer { return iss }), iss
}

// TestPoolTokenRoundTrip: a minted token verifies back to what was put in
// it (pool, identity, amr, principal tags, expiry), with the AWS claim
// shapes.
func TestPoolTokenRoundTrip(t *testing.T) {
	tk, iss := testTokens(t)
	in := &sts.PoolToken{Account: "111122223333", PoolID: "us-east-1:11111111-2222-4333-8444-555555555555", IdentityID: "us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
		AMR:  []string{"authenticated", "login.example", "login.example:us-east-1:pool:user"},
		Tags: []credential.Tag{{Key: "dept", Value: "eng"}, {Key: "team", Value: "id"}}}
	raw, err := tk.MintPoolToken(in, DefaultTokenDuration, tokT0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.VerifyPoolToken(raw, tokT0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := *in
	want.Expires = tokT0.Add(DefaultTokenDuration)
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("verified (-want +got):\n%s", d)
	}
	claims, err := iss.Verify(raw, tokT0)
	if err != nil {
		t.Fatal(err)
	}
	tags := claims["https://aws.amazon.com/tags"].(map[string]any)["principal_tags"].(map[string]any)
	if d := cmp.Diff(map[string]any{"dept": []any{"eng"}, "team": []any{"id"}}, tags); d != "" {
		t.Errorf("tags claim (-want +got):\n%s", d)
	}
	if claims["aud"] != in.PoolID || claims["iss"] != "https://cognito-identity.amazonaws.com" || claims["iat"] == nil {
		t.Errorf("claims %v", claims)
	}
	if tk.Issuer() != "https://cognito-identity.amazonaws.com" {
		t.Errorf("Issuer() = %q", tk.Issuer())
	}
}

func TestPoolTokenRefusals(t *testing.T) {
	tk, _ := testTokens(t)
	guest := &sts.PoolToken{Account: "111122223333", PoolID: "p", IdentityID: "i", AMR: []string{"unauthenticated"}}
	for _, d := range []time.Duration{0, time.Millisecond, MaxTokenDuration + time.Second} {
		if _, err := tk.MintPoolToken(guest, d, tokT0); err == nil {
			t.Errorf("duration %s: minted", d)
		}
	}
	for _, d := range []time.Duration{MinTokenDuration, MaxTokenDuration} {
		if _, err := tk.MintPoolToken(guest, d, tokT0); err != nil {
			t.Errorf("duration %s: %v", d, err)
		}
	}
	if _, err := tk.MintPoolToken(&sts.PoolToken{Account: "111122223333", PoolID: "p", IdentityID: "i"}, time.Minute, tokT0); err == nil {
		t.Error("no amr: minted")
	}
	raw, err := tk.MintPoolToken(guest, time.Minute, tokT0)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := testTokens(t)
	none := NewTokens(func() *issuer.Issuer { return nil })
	if _, err := none.MintPoolToken(guest, time.Minute, tokT0); err == nil {
		t.Error("no issuer: minted")
	}
	for _, c := range []struct {
		name string
		tk   *Tokens
		raw  string
		now  time.Time
		want oidc.Kind
	}{
		{"expired", tk, raw, tokT0.Add(2 * time.Minute), oidc.Expired},
		{"other keys", other, raw, tokT0, oidc.InvalidToken},
		{"no issuer", none, raw, tokT0, oidc.InvalidToken},
		{"garbage", tk, "abc", tokT0, oidc.InvalidToken},
	} {
		_, err := c.tk.VerifyPoolToken(c.raw, c.now)
		var oe *oidc.Error
		if !errors.As(err, &oe) || oe.Kind != c.want {
			t.Errorf("%s: %v, want oidc kind %v", c.name, err, c.want)
		}
	}
	// A token of the same issuer but not a pool token (no amr) is refused.
	_, iss := testTokens(t)
	tk2 := NewTokens(func() *issuer.Issuer { return iss })
	tok, err := iss.MintClaims("i", []string{"p"}, time.Minute, nil, issuer.RS256, tokT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk2.VerifyPoolToken(tok.Raw, tokT0); err == nil {
		t.Error("a token without amr verified")
	}
}
