package issuer

import (
	"encoding/json"
	"net/http"
)

// Paths of the issuer's endpoints, relative to the issuer URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// discoveryDoc is the subset of OpenID Connect Discovery 1.0 metadata that
// a token verifier needs.
type discoveryDoc struct {
	Issuer          string   `json:"issuer"`
	JWKSURI         string   `json:"jwks_uri"`
	ResponseTypes   []string `json:"response_types_supported"`
	SubjectTypes    []string `json:"subject_types_supported"`
	SigningAlgs     []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported []string `json:"claims_supported"`
	ScopesSupported []string `json:"scopes_supported"`
}

// DiscoveryHandler serves the discovery document.
func (i *Issuer) DiscoveryHandler() http.Handler {
	body, _ := json.Marshal(discoveryDoc{
		Issuer:          i.url,
		JWKSURI:         i.url + JWKSPath,
		ResponseTypes:   []string{"id_token"},
		SubjectTypes:    []string{"public"},
		SigningAlgs:     Algorithms,
		ClaimsSupported: []string{"iss", "sub", "aud", "iat", "exp", "jti", ClaimNamespace},
		ScopesSupported: []string{"openid"},
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(body)
	})
}

// JWKSHandler serves the published keys. Verifiers cache it briefly: a
// new key is published the moment it is made, and verifiers refresh on an
// unknown kid.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := json.Marshal(i.JWKS(i.now()))
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write(body)
	})
}

// Handler serves both endpoints at their paths under the issuer URL's
// path; mount it where the issuer URL points.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(DiscoveryPath, i.DiscoveryHandler())
	mux.Handle(JWKSPath, i.JWKSHandler())
	return mux
}
