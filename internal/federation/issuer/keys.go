package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The signing algorithms, those GetWebIdentityToken's SigningAlgorithm
// accepts.
const (
	RS256 = "RS256"
	ES384 = "ES384"
)

// Algorithms lists the supported signing algorithms.
var Algorithms = []string{RS256, ES384}

// rsaBits is the RSA modulus size: 2048 is what relying parties
// universally accept and verifies fastest; the key rotates anyway.
const rsaBits = 2048

// Key is one signing key of the issuer.
type Key struct {
	// ID is the key's kid: its RFC 7638 SHA-256 thumbprint, so the same
	// key always has the same id on every node.
	ID string
	// Algorithm is RS256 or ES384.
	Algorithm string
	// Created is when the key was made; Retired when a newer key of the
	// same algorithm replaced it (zero while active). A retired key signs
	// nothing but stays published until every token it signed has
	// expired.
	Created, Retired time.Time

	signer crypto.Signer
}

// GenerateKey makes a new key for alg.
func GenerateKey(alg string, now time.Time) (*Key, error) {
	var signer crypto.Signer
	var err error
	switch alg {
	case RS256:
		signer, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES384:
		signer, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		return nil, fmt.Errorf("issuer: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	return newKey(alg, signer, now, time.Time{})
}

func newKey(alg string, signer crypto.Signer, created, retired time.Time) (*Key, error) {
	if err := checkKeyType(alg, signer); err != nil {
		return nil, err
	}
	jwk := jose.JSONWebKey{Key: signer.Public(), Algorithm: alg, Use: "sig"}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &Key{ID: base64.RawURLEncoding.EncodeToString(tp), Algorithm: alg, Created: created, Retired: retired, signer: signer}, nil
}

func checkKeyType(alg string, signer crypto.Signer) error {
	switch k := signer.Public().(type) {
	case *rsa.PublicKey:
		if alg == RS256 && k.N.BitLen() >= 2048 {
			return nil
		}
	case *ecdsa.PublicKey:
		if alg == ES384 && k.Curve == elliptic.P384() {
			return nil
		}
	}
	return fmt.Errorf("issuer: key of type %T does not suit %s", signer.Public(), alg)
}

// Public returns the key's public JWK, as published.
func (k *Key) Public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.signer.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
}

// storedKey is the persisted form of a key. The private key is PKCS #8
// DER: the caller stores the marshaled keys encrypted under the master key.
type storedKey struct {
	ID        string    `json:"kid"`
	Algorithm string    `json:"alg"`
	Created   time.Time `json:"created"`
	Retired   time.Time `json:"retired,omitzero"`
	PKCS8     []byte    `json:"pkcs8"`
}

// MarshalKeys serialises keys, private parts included, for the caller to
// encrypt and persist.
func MarshalKeys(keys []*Key) ([]byte, error) {
	out := make([]storedKey, 0, len(keys))
	for _, k := range keys {
		der, err := x509.MarshalPKCS8PrivateKey(k.signer)
		if err != nil {
			return nil, fmt.Errorf("issuer: marshal key %s: %w", k.ID, err)
		}
		out = append(out, storedKey{ID: k.ID, Algorithm: k.Algorithm, Created: k.Created.UTC(), Retired: k.Retired.UTC(), PKCS8: der})
	}
	return json.Marshal(out)
}

// UnmarshalKeys reads what MarshalKeys wrote, checking that each key suits
// its algorithm and still has the id derived from it.
func UnmarshalKeys(b []byte) ([]*Key, error) {
	var in []storedKey
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("issuer: unmarshal keys: %w", err)
	}
	keys := make([]*Key, 0, len(in))
	for _, s := range in {
		priv, err := x509.ParsePKCS8PrivateKey(s.PKCS8)
		if err != nil {
			return nil, fmt.Errorf("issuer: key %s: %w", s.ID, err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("issuer: key %s is not a signer", s.ID)
		}
		k, err := newKey(s.Algorithm, signer, s.Created, s.Retired)
		if err != nil {
			return nil, err
		}
		if k.ID != s.ID {
			return nil, errors.New("issuer: key " + s.ID + " does not match its id")
		}
		keys = append(keys, k)
	}
	return keys, nil
}
