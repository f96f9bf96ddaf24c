package loadgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"time"
)

// PoolIdP is the OpenID provider the identity pool workloads sign in
// with, served by the generator itself: a discovery document and a JWKS
// over HTTPS on a loopback port, under a self-signed certificate that
// the server trusts by its thumbprint (IAM's rule for providers whose CA
// it does not know), and RS256 ID tokens signed with its one key.
type PoolIdP struct {
	// URL is the issuer, https://127.0.0.1:PORT.
	URL string
	// Thumbprint is the hex SHA-1 of the certificate, for
	// CreateOpenIDConnectProvider's ThumbprintList.
	Thumbprint string
	key        *rsa.PrivateKey
	srv        *http.Server
}

// poolIdPKeyID is the key id of the provider's one key.
const poolIdPKeyID = "bench-1"

// StartPoolIdP starts the provider on 127.0.0.1 until Close.
func StartPoolIdP() (*PoolIdP, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	cert, der, err := selfSignedLoopback()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(der) // IAM thumbprints are SHA-1, by definition
	p := &PoolIdP{URL: "https://" + ln.Addr().String(), Thumbprint: hex.EncodeToString(sum[:]), key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": p.URL, "jwks_uri": p.URL + "/jwks.json",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.JWKS())
	})
	// The server first tries its trusted CAs and fails the handshake
	// before it falls back to the thumbprint: not worth a log line.
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = p.srv.ServeTLS(ln, "", "") }()
	return p, nil
}

// Close stops the provider.
func (p *PoolIdP) Close() error { return p.srv.Close() }

// Name is the provider's name in an identity pool's Logins: its URL
// without the scheme.
func (p *PoolIdP) Name() string { return p.URL[len("https://"):] }

// JWKS is the provider's key set.
func (p *PoolIdP) JWKS() []byte {
	e := big.NewInt(int64(p.key.E)).Bytes()
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": poolIdPKeyID, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(p.key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(e)}}})
	return b
}

// Token is an ID token of the provider for subject sub and audience aud
// (a client id), issued at now and valid for ttl.
func (p *PoolIdP) Token(sub, aud string, now time.Time, ttl time.Duration) (string, error) {
	if p == nil || p.key == nil {
		return "", errors.New("loadgen: no identity provider key")
	}
	return signRS256(p.key, poolIdPKeyID, map[string]any{"iss": p.URL, "sub": sub, "aud": aud,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix()})
}

// signRS256 makes a compact JWS of claims, RS256 under kid.
func signRS256(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	h, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// selfSignedLoopback is a certificate for 127.0.0.1 that stands alone
// (its own issuer), valid for a day, and its DER.
func selfSignedLoopback() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "brevet-bench identity provider"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der, nil
}
