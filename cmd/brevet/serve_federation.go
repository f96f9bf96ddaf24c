package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Brevet's OIDC issuer keys live in the store's key material, sealed under
// the master key, so every node of a cluster signs with the same keys and
// publishes the same JWKS.
const (
	oidcKeyPurpose     = bootstrap.OIDCKeysPurpose
	oidcKeyID          = bootstrap.OIDCKeysID
	oidcKeySealPurpose = bootstrap.OIDCKeysSealPurpose
	// placeholderIssuerURL builds an issuer only to rotate its keys, which
	// do not depend on the URL (brevet keys rotate-oidc-key).
	placeholderIssuerURL = "https://brevet.invalid"
)

// serverFederation is serve's federation wiring: the STS service's
// federation settings, the OIDC issuer (swapped when its keys rotate),
// and the provider change feed.
type serverFederation struct {
	st     store.Store
	master *masterkey.Keyring
	log    *slog.Logger
	url    string // configured issuer URL, "" until the server's own is known
	sts    *sts.Service
	iss    atomic.Pointer[issuer.Issuer]
}

// newServerFederation reads the federation settings: inline JWKS files,
// the SAML sign-in URLs, and (when the issuer URL is configured) the
// issuer with its stored keys.
func newServerFederation(ctx context.Context, st store.Store, master *masterkey.Keyring, cfg *config.Config, log *slog.Logger) (*serverFederation, sts.FederationConfig, error) {
	f := &serverFederation{st: st, master: master, log: log, url: cfg.Federation.IssuerURL}
	fc := sts.FederationConfig{Providers: st.Providers(), SAMLAudiences: cfg.Federation.SAMLSignInURLs,
		SAMLReplay: saml.NewMemoryReplayCache(0), Issuer: f}
	for issuerURL, file := range cfg.Federation.OIDCJWKS {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fc, fmt.Errorf("federation.oidc_jwks: %w", err)
		}
		if fc.InlineJWKS == nil {
			fc.InlineJWKS = map[string][]byte{}
		}
		fc.InlineJWKS[issuerURL] = b
	}
	if f.url != "" {
		if err := f.load(ctx, f.url, time.Now()); err != nil {
			return nil, fc, err
		}
	}
	return f, fc, nil
}

// setServerURL makes the server's own URL the issuer URL when none is
// configured. Relying parties verify over HTTPS only, so a plain-HTTP
// server without a configured issuer URL serves no issuer.
func (f *serverFederation) setServerURL(ctx context.Context, serverURL string) {
	if f == nil || f.url != "" {
		return
	}
	if !strings.HasPrefix(serverURL, "https://") {
		f.log.InfoContext(ctx, "GetWebIdentityToken is disabled: the server speaks plain HTTP and federation.issuer_url is not set")
		return
	}
	f.url = serverURL
	if err := f.load(ctx, serverURL, time.Now()); err != nil {
		f.log.ErrorContext(ctx, "loading the OIDC issuer keys; GetWebIdentityToken is disabled", "err", err)
	}
}

// load (re)builds the issuer from the stored keys, creating them on
// first use.
func (f *serverFederation) load(ctx context.Context, issuerURL string, now time.Time) error {
	keys, err := loadIssuerKeys(ctx, f.st, f.master, now)
	if err != nil {
		return err
	}
	iss, err := issuer.New(issuer.Config{URL: issuerURL}, keys)
	if err != nil {
		return fmt.Errorf("federation.issuer_url: %w", err)
	}
	f.iss.Store(iss)
	return nil
}

// Mint implements sts.TokenIssuer.
func (f *serverFederation) Mint(in issuer.MintInput, now time.Time) (*issuer.Token, error) {
	iss := f.iss.Load()
	if iss == nil {
		return nil, sts.OutboundDisabledError{}
	}
	return iss.Mint(in, now)
}

// handler serves the issuer's discovery document and JWKS under the
// issuer URL's path and everything else with api.
func (f *serverFederation) handler(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iss := f.iss.Load()
		if iss == nil || r.Method != http.MethodGet {
			api.ServeHTTP(w, r)
			return
		}
		prefix := ""
		if u, err := url.Parse(iss.URL()); err == nil {
			prefix = u.Path
		}
		if p := strings.TrimPrefix(r.URL.Path, prefix); p != r.URL.Path || prefix == "" {
			if p == issuer.DiscoveryPath || p == issuer.JWKSPath {
				http.StripPrefix(prefix, iss.Handler()).ServeHTTP(w, r)
				return
			}
		}
		api.ServeHTTP(w, r)
	})
}

// applied follows the change feed: a changed provider drops its cached
// verifier; rotated issuer keys are reloaded.
func (f *serverFederation) applied(ctx context.Context, changes []store.Change) {
	if f == nil {
		return
	}
	for _, c := range changes {
		switch {
		case c.Kind == store.ChangeProvider && f.sts != nil:
			f.sts.ProviderChanged(c.Key)
		case c.Kind == store.ChangeKeyMaterial && c.Key == oidcKeyPurpose+"/"+oidcKeyID && f.iss.Load() != nil:
			if err := f.load(ctx, f.url, time.Now()); err != nil {
				f.log.ErrorContext(ctx, "reloading the OIDC issuer keys", "err", err)
			} else {
				f.log.InfoContext(ctx, "OIDC issuer keys reloaded")
			}
		}
	}
}

// loadIssuerKeys reads the issuer's keys, creating one RS256 and one
// ES384 key on first use.
func loadIssuerKeys(ctx context.Context, st store.Store, master *masterkey.Keyring, now time.Time) ([]*issuer.Key, error) {
	rec, err := st.KeyMaterial().Get(ctx, oidcKeyPurpose, oidcKeyID)
	if err == nil {
		return openIssuerKeys(master, rec.Ciphertext)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var keys []*issuer.Key
	for _, alg := range issuer.Algorithms {
		k, err := issuer.GenerateKey(alg, now)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	sealed, err := sealIssuerKeys(master, keys)
	if err != nil {
		return nil, err
	}
	err = st.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: oidcKeyPurpose, ID: oidcKeyID, Ciphertext: sealed, Created: now})
	if errors.Is(err, store.ErrConflict) { // another node created them first
		return loadIssuerKeys(ctx, st, master, now)
	}
	return keys, err
}

func openIssuerKeys(master *masterkey.Keyring, ct []byte) ([]*issuer.Key, error) {
	b, err := master.Open(ct, oidcKeySealPurpose)
	if err != nil {
		return nil, fmt.Errorf("opening the OIDC issuer keys: %w", err)
	}
	return issuer.UnmarshalKeys(b)
}

func sealIssuerKeys(master *masterkey.Keyring, keys []*issuer.Key) ([]byte, error) {
	b, err := issuer.MarshalKeys(keys)
	if err != nil {
		return nil, err
	}
	return master.Seal(b, oidcKeySealPurpose)
}

// rotateIssuerKeys makes a new active key for every algorithm, retires
// the previous ones (published until the tokens they signed expire) and
// prunes the retired keys no token can need, in one transaction.
func rotateIssuerKeys(ctx context.Context, st store.Store, master *masterkey.Keyring, now time.Time) ([]string, error) {
	if _, err := loadIssuerKeys(ctx, st, master, now); err != nil {
		return nil, err
	}
	var ids []string
	err := st.Tx(ctx, func(r store.Repos) error {
		ids = nil
		rec, err := r.KeyMaterial().Get(ctx, oidcKeyPurpose, oidcKeyID)
		if err != nil {
			return err
		}
		keys, err := openIssuerKeys(master, rec.Ciphertext)
		if err != nil {
			return err
		}
		iss, err := issuer.New(issuer.Config{URL: placeholderIssuerURL}, keys)
		if err != nil {
			return err
		}
		for _, alg := range issuer.Algorithms {
			k, err := iss.Rotate(alg, now)
			if err != nil {
				return err
			}
			ids = append(ids, alg+" "+k.ID)
		}
		iss.Prune(now)
		sealed, err := sealIssuerKeys(master, iss.Keys())
		if err != nil {
			return err
		}
		if err := r.KeyMaterial().Delete(ctx, oidcKeyPurpose, oidcKeyID); err != nil {
			return err
		}
		return r.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: oidcKeyPurpose, ID: oidcKeyID, Ciphertext: sealed, Created: rec.Created})
	})
	return ids, err
}
