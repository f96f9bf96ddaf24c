package identitypool

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/sts"
)

// TestPoolTokenIssuerSeparation: the pools' issuer and the OIDC issuer
// (GetWebIdentityToken's) sign with the same keys, so only iss tells
// their tokens apart: a token of the OIDC issuer carrying every pool
// claim is no pool token, and a pool token does not verify as the OIDC
// issuer's.
func TestPoolTokenIssuerSeparation(t *testing.T) {
	key, err := issuer.GenerateKey(issuer.RS256, tokT0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	oidcIss, err := issuer.New(issuer.Config{URL: "https://sts.example.com"}, []*issuer.Key{key})
	if err != nil {
		t.Fatal(err)
	}
	poolIss, err := issuer.New(issuer.Config{URL: "https://cognito-identity.amazonaws.com"}, []*issuer.Key{key})
	if err != nil {
		t.Fatal(err)
	}
	tk := NewTokens(func() *issuer.Issuer { return poolIss })
	const pool, identity = "us-east-1:11111111-2222-4333-8444-555555555555", "us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	other, err := oidcIss.MintClaims(identity, []string{pool}, time.Minute,
		map[string]any{claimAMR: []string{"authenticated", "x"}, claimAccount: "111122223333"}, issuer.RS256, tokT0)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := tk.VerifyPoolToken(other.Raw, tokT0); err == nil {
		t.Errorf("the OIDC issuer's token verified as a pool token: %+v", p)
	}
	raw, err := tk.MintPoolToken(&sts.PoolToken{Account: "111122223333", PoolID: pool, IdentityID: identity, AMR: []string{"unauthenticated"}}, time.Minute, tokT0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oidcIss.Verify(raw, tokT0); err == nil {
		t.Error("a pool token verified as the OIDC issuer's")
	}
}
