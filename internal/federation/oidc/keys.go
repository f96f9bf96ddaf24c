package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keySource holds one provider's verification keys: inline, or discovered
// and cached. Refreshes are rate limited and coalesced so that a flood of
// tokens with unknown key ids costs the provider at most one fetch per
// interval, however many goroutines ask.
type keySource struct {
	issuer string
	inline bool
	client *http.Client
	cfg    *Config
	// pinned is the thumbprint fallback client (nil without thumbprints).
	pinned *http.Client

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	fetchedAt   time.Time // last successful fetch
	lastAttempt time.Time // last fetch started
	inflight    *fetchCall
	fetches     int // fetches started, for tests and metrics
}

type fetchCall struct {
	done chan struct{}
	err  error
}

func newInlineSource(issuer string, raw []byte) (*keySource, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("oidc: inline JWKS: %w", err)
	}
	keys := usableKeys(set.Keys)
	if len(keys) == 0 {
		return nil, errors.New("oidc: inline JWKS has no usable public signing key")
	}
	return &keySource{issuer: issuer, inline: true, keys: keys}, nil
}

// lookup returns the keys that may have signed a token with this kid and
// alg, refreshing the cache when the kid is unknown or the cache is stale
// and the rate limit allows.
func (s *keySource) lookup(ctx context.Context, kid string, alg jose.SignatureAlgorithm, now time.Time) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	found := matchKeys(s.keys, kid, alg)
	stale := !s.inline && (s.fetchedAt.IsZero() || now.Sub(s.fetchedAt) > s.cfg.MaxKeyAge)
	if len(found) > 0 && !stale {
		s.mu.Unlock()
		return found, nil
	}
	if s.inline {
		s.mu.Unlock()
		return nil, invalid(msgNoKey, fmt.Errorf("no inline key for kid %q alg %s", kid, alg))
	}
	call := s.inflight
	if call == nil {
		if d := now.Sub(s.lastAttempt); !s.lastAttempt.IsZero() && d < s.cfg.RefreshInterval && d > -s.cfg.RefreshInterval {
			s.mu.Unlock()
			if len(found) > 0 {
				return found, nil // stale but usable; refresh later
			}
			return nil, invalid(msgNoKey, fmt.Errorf("no key for kid %q alg %s; refresh rate limited", kid, alg))
		}
		call = &fetchCall{done: make(chan struct{})}
		s.inflight = call
		s.lastAttempt = now
		s.fetches++
		go s.refresh(ctx, call, now)
	}
	s.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, &Error{Kind: Communication, Message: "Timed out waiting for the identity provider's keys", Err: ctx.Err()}
	}
	s.mu.Lock()
	found = matchKeys(s.keys, kid, alg)
	s.mu.Unlock()
	if len(found) > 0 {
		return found, nil // a failed refresh keeps the old keys
	}
	if call.err != nil {
		return nil, &Error{Kind: Communication, Message: "Couldn't retrieve verification key from your identity provider", Err: call.err}
	}
	return nil, invalid(msgNoKey, fmt.Errorf("no key for kid %q alg %s after refresh", kid, alg))
}

// refresh fetches the JWKS on a context detached from the caller's
// cancellation (other callers may be waiting on it) but bounded by the
// fetch timeout.
func (s *keySource) refresh(ctx context.Context, call *fetchCall, now time.Time) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.FetchTimeout)
	defer cancel()
	keys, err := s.fetch(fctx)
	s.mu.Lock()
	if err == nil {
		s.keys = keys
		s.fetchedAt = now
	}
	s.inflight = nil
	call.err = err
	s.mu.Unlock()
	close(call.done)
}

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func (s *keySource) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	var d discovery
	if err := s.getJSON(ctx, s.issuer+"/.well-known/openid-configuration", &d); err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	if normalizeIssuer(d.Issuer) != s.issuer {
		return nil, fmt.Errorf("discovery: issuer %q does not match %q", d.Issuer, s.issuer)
	}
	u, err := url.Parse(d.JWKSURI)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("discovery: jwks_uri %q is not an https URL", d.JWKSURI)
	}
	var set jose.JSONWebKeySet
	if err := s.getJSON(ctx, d.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := usableKeys(set.Keys)
	if len(keys) == 0 {
		return nil, errors.New("jwks: no usable public signing key")
	}
	return keys, nil
}

func (s *keySource) getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil && s.pinned != nil && fetchFallback(err) {
		resp, err = s.pinned.Do(req)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseBytes+1))
	if err != nil {
		return err
	}
	if int64(len(body)) > s.cfg.MaxResponseBytes {
		return fmt.Errorf("GET %s: response larger than %d bytes", u, s.cfg.MaxResponseBytes)
	}
	return json.Unmarshal(body, out)
}

// usableKeys keeps the public asymmetric signing keys of a set: private
// parts are dropped, symmetric keys and keys marked for encryption are
// ignored.
func usableKeys(in []jose.JSONWebKey) []jose.JSONWebKey {
	out := make([]jose.JSONWebKey, 0, len(in))
	for _, k := range in {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, *rsa.PrivateKey, *ecdsa.PrivateKey:
		default:
			continue
		}
		if k.Algorithm != "" && !strings.HasPrefix(k.Algorithm, "RS") && !strings.HasPrefix(k.Algorithm, "PS") && !strings.HasPrefix(k.Algorithm, "ES") {
			continue
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		if !k.Valid() {
			continue
		}
		out = append(out, k)
	}
	return out
}

// matchKeys returns the keys that can verify alg under kid: the key id must
// match when the token names one, the key's own alg (if any) must equal
// alg, and the key type and curve must suit alg.
func matchKeys(keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != string(alg) {
			continue
		}
		if !keyFits(k.Key, alg) {
			continue
		}
		out = append(out, k)
	}
	return out
}

func keyFits(key any, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		a := string(alg)
		return (strings.HasPrefix(a, "RS") || strings.HasPrefix(a, "PS")) && k.N.BitLen() >= 2048
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return k.Curve == elliptic.P256()
		case jose.ES384:
			return k.Curve == elliptic.P384()
		case jose.ES512:
			return k.Curve == elliptic.P521()
		}
	}
	return false
}
