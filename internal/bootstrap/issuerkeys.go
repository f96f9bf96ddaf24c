package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/store"
)

// Brevet's OIDC issuer keys live in the store's key material, sealed under
// the master key, so every node of a cluster signs with the same keys and
// publishes the same JWKS.

// placeholderIssuerURL builds an issuer only to rotate its keys, which do
// not depend on the URL (brevet keys rotate-oidc-key).
const placeholderIssuerURL = "https://brevet.invalid"

// LoadIssuerKeys reads the issuer's keys, creating one RS256 and one
// ES384 key on first use.
func LoadIssuerKeys(ctx context.Context, st store.Store, master *masterkey.Keyring, now time.Time) ([]*issuer.Key, error) {
	rec, err := st.KeyMaterial().Get(ctx, OIDCKeysPurpose, OIDCKeysID)
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
	err = st.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: OIDCKeysPurpose, ID: OIDCKeysID, Ciphertext: sealed, Created: now})
	if errors.Is(err, store.ErrConflict) { // another node created them first
		return LoadIssuerKeys(ctx, st, master, now)
	}
	return keys, err
}

func openIssuerKeys(master *masterkey.Keyring, ct []byte) ([]*issuer.Key, error) {
	b, err := master.Open(ct, OIDCKeysSealPurpose)
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
	return master.Seal(b, OIDCKeysSealPurpose)
}

// RotateIssuerKeys makes a new active key for every algorithm, retires
// the previous ones (published until the tokens they signed expire) and
// prunes the retired keys no token can need, in one transaction.
func RotateIssuerKeys(ctx context.Context, st store.Store, master *masterkey.Keyring, now time.Time) ([]string, error) {
	if _, err := LoadIssuerKeys(ctx, st, master, now); err != nil {
		return nil, err
	}
	var ids []string
	err := st.Tx(ctx, func(r store.Repos) error {
		ids = nil
		rec, err := r.KeyMaterial().Get(ctx, OIDCKeysPurpose, OIDCKeysID)
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
		if err := r.KeyMaterial().Delete(ctx, OIDCKeysPurpose, OIDCKeysID); err != nil {
			return err
		}
		return r.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: OIDCKeysPurpose, ID: OIDCKeysID, Ciphertext: sealed, Created: rec.Created})
	})
	return ids, err
}
