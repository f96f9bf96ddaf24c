package issuer

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func newIssuer(t *testing.T, url string, algs ...string) *Issuer {
	t.Helper()
	iss, err := New(Config{URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range algs {
		if _, err := iss.Rotate(alg, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return iss
}

func kindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// TestMintClaimsVerify: MintClaims' tokens verify with their own issuer,
// custom claims round-trip, and every refusal has its kind.
func TestMintClaimsVerify(t *testing.T) {
	iss := newIssuer(t, "https://pools.example", RS256, ES384)
	for _, alg := range Algorithms {
		tok, err := iss.MintClaims("id-1", []string{"pool-1"}, 10*time.Minute, map[string]any{"amr": []string{"unauthenticated"}}, alg, t0)
		if err != nil {
			t.Fatalf("%s: MintClaims: %v", alg, err)
		}
		claims, err := iss.Verify(tok.Raw, t0.Add(time.Minute))
		if err != nil {
			t.Fatalf("%s: Verify: %v", alg, err)
		}
		if claims["sub"] != "id-1" || claims["aud"] != "pool-1" || claims["iss"] != "https://pools.example" {
			t.Errorf("%s: claims %v", alg, claims)
		}
		if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "unauthenticated" {
			t.Errorf("%s: amr %v", alg, claims["amr"])
		}
	}
	tok, err := iss.MintClaims("id-1", []string{"pool-1"}, 10*time.Minute, nil, RS256, t0)
	if err != nil {
		t.Fatal(err)
	}
	other := newIssuer(t, "https://pools.example", RS256)
	sameKeys, _ := New(Config{URL: "https://elsewhere.example"}, iss.Keys())
	parts := strings.Split(tok.Raw, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "id-1", "id-2", 1))) + "." + parts[2]
	for _, c := range []struct {
		name string
		iss  *Issuer
		raw  string
		now  time.Time
		want Kind
	}{
		{"expired", iss, tok.Raw, t0.Add(10*time.Minute + VerifyLeeway), Expired},
		{"within leeway", iss, tok.Raw, t0.Add(10*time.Minute + VerifyLeeway - time.Second), 0},
		{"issued in the future", iss, tok.Raw, t0.Add(-time.Minute), InvalidToken},
		{"another issuer's keys", other, tok.Raw, t0, InvalidToken},
		{"same keys, other iss", sameKeys, tok.Raw, t0, InvalidToken},
		{"forged payload", iss, forged, t0, InvalidToken},
		{"garbage", iss, "not.a.jwt", t0, InvalidToken},
		{"alg none", iss, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", t0, InvalidToken},
	} {
		_, err := c.iss.Verify(c.raw, c.now)
		if got := kindOf(err); got != c.want || (c.want == 0) != (err == nil) {
			t.Errorf("%s: err %v, want kind %v", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), parts[2]) {
			t.Errorf("%s: the error quotes the token", c.name)
		}
	}
}

func TestMintClaimsRefuses(t *testing.T) {
	iss := newIssuer(t, "https://pools.example", RS256)
	for name, f := range map[string]func() error{
		"registered claim": func() error {
			_, err := iss.MintClaims("s", []string{"a"}, time.Minute, map[string]any{"exp": 1}, RS256, t0)
			return err
		},
		"no audience": func() error { _, err := iss.MintClaims("s", nil, time.Minute, nil, RS256, t0); return err },
		"no subject":  func() error { _, err := iss.MintClaims("", []string{"a"}, time.Minute, nil, RS256, t0); return err },
		"no key":      func() error { _, err := iss.MintClaims("s", []string{"a"}, time.Minute, nil, ES384, t0); return err },
		"bad alg":     func() error { _, err := iss.MintClaims("s", []string{"a"}, time.Minute, nil, "HS256", t0); return err },
	} {
		if f() == nil {
			t.Errorf("%s: minted", name)
		}
	}
}

// TestMintClaimsSurvivesRotation: a day-long token still verifies late in
// its life after the key that signed it was retired, and MintClaims signs
// nothing longer.
func TestMintClaimsSurvivesRotation(t *testing.T) {
	iss := newIssuer(t, "https://pools.example", RS256)
	tok, err := iss.MintClaims("i", []string{"p"}, MaxClaimsDuration, nil, RS256, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Rotate(RS256, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	iss.Prune(t0.Add(23 * time.Hour))
	if _, err := iss.Verify(tok.Raw, t0.Add(23*time.Hour)); err != nil {
		t.Errorf("23 hours on, after a rotation: %v", err)
	}
	if _, err := iss.MintClaims("i", []string{"p"}, MaxClaimsDuration+time.Second, nil, RS256, t0); err == nil {
		t.Error("minted past MaxClaimsDuration")
	}
}
