package fedtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"
)

// OIDCProvider is an in-test OpenID provider: a discovery document and a
// JWKS served over HTTPS by NewTLS, and RS256 tokens signed with its
// current key. Rotate adds a key and signs with it from then on. It also
// runs the authorization code flow with PKCE for a relying party
// (codeflow.go: SetClient, SignIn).
type OIDCProvider struct {
	*Server
	mu      sync.Mutex
	keys    []*rsa.PrivateKey // published, kid "k1", "k2", ...
	first   int               // keys before first are no longer published
	signing int
	flow    codeFlow // the authorization code flow (codeflow.go)
}

// NewOIDCProvider starts a provider with one RSA 2048 key.
func NewOIDCProvider(t testing.TB) *OIDCProvider {
	t.Helper()
	p := &OIDCProvider{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.URL, "jwks_uri": p.URL + "/jwks.json",
			"authorization_endpoint":                p.URL + "/authorize",
			"token_endpoint":                        p.URL + "/token",
			"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "none"},
			"code_challenge_methods_supported":      []string{"S256"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"id_token", "code"},
			"subject_types_supported":               []string{"public"},
		})
	})
	mux.HandleFunc("GET /authorize", p.authorize) // codeflow.go
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(p.JWKS())
	})
	p.Server = NewTLS(t, mux)
	p.Rotate(t)
	return p
}

// Issuer is the provider's issuer URL (https://127.0.0.1:PORT).
func (p *OIDCProvider) Issuer() string { return p.URL }

// Rotate adds a new key and makes it the signing key; the old keys stay
// published until DropOld.
func (p *OIDCProvider) Rotate(t testing.TB) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, k)
	p.signing = len(p.keys) - 1
}

// DropOld stops publishing every key but the signing one.
func (p *OIDCProvider) DropOld() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.first = p.signing
}

// JWKS returns the published key set.
func (p *OIDCProvider) JWKS() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ks []map[string]string
	for i := p.first; i < len(p.keys); i++ {
		ks = append(ks, PublicJWK(&p.keys[i].PublicKey, kid(i)))
	}
	b, _ := json.Marshal(map[string]any{"keys": ks})
	return b
}

func kid(i int) string { return fmt.Sprintf("k%d", i+1) }

// PublicJWK is the JWK of an RSA public key for RS256.
func PublicJWK(pub *rsa.PublicKey, kid string) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
}

// Claims are a token's usual claims for sub and aud, valid from now for
// an hour.
func (p *OIDCProvider) Claims(sub, aud string, now time.Time) map[string]any {
	return map[string]any{"iss": p.URL, "sub": sub, "aud": aud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

// Token signs claims with the current key.
func (p *OIDCProvider) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := p.sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign signs claims with the current key (RS256).
func (p *OIDCProvider) sign(claims map[string]any) (string, error) {
	p.mu.Lock()
	k, id := p.keys[p.signing], kid(p.signing)
	p.mu.Unlock()
	return signRaw(k, rs256Header(id), claims)
}

// rs256Header is the JWS header of an RS256 token under kid.
func rs256Header(kid string) map[string]any {
	return map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
}

// SignRS256 makes a compact JWS of claims signed with key under kid.
func SignRS256(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	return SignRaw(t, key, rs256Header(kid), claims)
}

// SignRaw signs with RS256 whatever header it is given, so tests can
// forge headers (alg "none", "HS256", jwk) over a valid signature.
func SignRaw(t testing.TB, key *rsa.PrivateKey, header, claims map[string]any) string {
	t.Helper()
	tok, err := signRaw(key, header, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signRaw is SignRaw's work, for callers without a test (the token
// endpoint).
func signRaw(key *rsa.PrivateKey, header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
