package node

import (
	"context"
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
	"github.com/brevet-dev/brevet/internal/identitypool"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// federation is the node's federation wiring: the STS service's
// federation settings, the OIDC issuer (swapped when its keys rotate),
// and the provider change feed.
type federation struct {
	st     store.Store
	master *masterkey.Keyring
	log    *slog.Logger
	url    string // configured issuer URL, "" until the server's own is known
	sts    *sts.Service
	iss    atomic.Pointer[issuer.Issuer]
	// pool signs the identity pools' OpenID tokens with the same keys,
	// under identity_pools.token_issuer; loaded whatever the server's URL.
	poolURL    string
	pool       atomic.Pointer[issuer.Issuer]
	poolTokens *identitypool.Tokens
}

// newFederation reads the federation settings: inline JWKS files,
// the SAML sign-in URLs (redeemed assertions are remembered in the store,
// so that no node accepts one twice, restarts included), and (when the issuer URL is configured) the
// issuer with its stored keys.
func newFederation(ctx context.Context, st store.Store, master *masterkey.Keyring, cfg *config.Config, log *slog.Logger) (*federation, sts.FederationConfig, error) {
	f := &federation{st: st, master: master, log: log, url: cfg.Federation.IssuerURL, poolURL: cfg.IdentityPools.TokenIssuer}
	f.poolTokens = identitypool.NewTokens(f.pool.Load)
	fc := sts.FederationConfig{Providers: st.Providers(), SAMLAudiences: cfg.Federation.SAMLSignInURLs,
		SAMLReplay: st.SAMLAssertions(), Issuer: f, PoolTokens: f.poolTokens}
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
	if f.poolURL != "" {
		if err := f.loadPool(ctx, time.Now()); err != nil {
			return nil, fc, err
		}
	}
	return f, fc, nil
}

// setServerURL makes the server's own URL the issuer URL when none is
// configured. Relying parties verify over HTTPS only, so a plain-HTTP
// server without a configured issuer URL serves no issuer.
func (f *federation) setServerURL(ctx context.Context, serverURL string) {
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
func (f *federation) load(ctx context.Context, issuerURL string, now time.Time) error {
	keys, err := bootstrap.LoadIssuerKeys(ctx, f.st, f.master, now)
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

// loadPool (re)builds the identity pools' token issuer from the stored
// keys.
func (f *federation) loadPool(ctx context.Context, now time.Time) error {
	keys, err := bootstrap.LoadIssuerKeys(ctx, f.st, f.master, now)
	if err != nil {
		return err
	}
	iss, err := issuer.New(issuer.Config{URL: f.poolURL}, keys)
	if err != nil {
		return fmt.Errorf("identity_pools.token_issuer: %w", err)
	}
	f.pool.Store(iss)
	return nil
}

// Mint implements sts.TokenIssuer.
func (f *federation) Mint(in issuer.MintInput, now time.Time) (*issuer.Token, error) {
	iss := f.iss.Load()
	if iss == nil {
		return nil, sts.OutboundDisabledError{}
	}
	return iss.Mint(in, now)
}

// PoolJWKSPath is where the API serves the identity pools' token
// issuer's keys (the JWKS that verifies GetOpenIdToken's tokens): the
// pool issuer's URL is usually not Brevet's own, so its keys are
// published beside the API (our choice).
const PoolJWKSPath = "/.well-known/cognito-identity/jwks.json"

// handler serves the issuer's discovery document and JWKS under the
// issuer URL's path, the pools' JWKS at PoolJWKSPath, and everything
// else with api.
func (f *federation) handler(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PoolJWKSPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if pool := f.pool.Load(); pool != nil {
				pool.JWKSHandler().ServeHTTP(w, r)
				return
			}
		}
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
func (f *federation) applied(ctx context.Context, changes []store.Change) {
	if f == nil {
		return
	}
	for _, c := range changes {
		switch {
		case c.Kind == store.ChangeProvider && f.sts != nil:
			f.sts.ProviderChanged(c.Key)
		case c.Kind == store.ChangeKeyMaterial && c.Key == bootstrap.OIDCKeysPurpose+"/"+bootstrap.OIDCKeysID:
			if f.pool.Load() != nil {
				if err := f.loadPool(ctx, time.Now()); err != nil {
					f.log.ErrorContext(ctx, "reloading the identity pools' token keys", "err", err)
				}
			}
			if f.iss.Load() == nil {
				continue
			}
			if err := f.load(ctx, f.url, time.Now()); err != nil {
				f.log.ErrorContext(ctx, "reloading the OIDC issuer keys", "err", err)
			} else {
				f.log.InfoContext(ctx, "OIDC issuer keys reloaded")
			}
		}
	}
}
