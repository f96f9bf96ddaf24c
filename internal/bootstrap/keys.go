package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/store"
)

// LoadTokenRing reads the session-token key ring from the store, creating
// it (one new key) when there is none, and prunes keys past their
// not-after time.
func LoadTokenRing(ctx context.Context, st store.Store, master *masterkey.Keyring, rnd io.Reader, now time.Time) (*credential.TokenKeyRing, error) {
	rec, err := st.KeyMaterial().Get(ctx, TokenRingPurpose, TokenRingID)
	switch {
	case err == nil:
		ring, err := credential.UnmarshalTokenKeyRing(rec.Ciphertext, master)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: opening the session-token key ring (is this the master key it was sealed under?): %w", err)
		}
		ring.Prune(now)
		return ring, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("bootstrap: reading the session-token key ring: %w", err)
	}
	ring, err := credential.NewTokenKeyRing(rnd, now)
	if err != nil {
		return nil, err
	}
	data, err := ring.Marshal(master)
	if err != nil {
		return nil, err
	}
	err = st.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: TokenRingPurpose, ID: TokenRingID, Ciphertext: data, Created: now})
	if errors.Is(err, store.ErrConflict) { // another node made it first: use theirs
		return LoadTokenRing(ctx, st, master, rnd, now)
	}
	if err != nil {
		return nil, fmt.Errorf("bootstrap: saving the session-token key ring: %w", err)
	}
	return ring, nil
}

// ReloadTokenRing replaces ring's keys with the stored ring's, for a server
// that learns from the change feed that another process rotated them.
// Verifications in flight see the old ring or the new one, never a mix.
func ReloadTokenRing(ctx context.Context, st store.Store, master *masterkey.Keyring, ring *credential.TokenKeyRing) error {
	rec, err := st.KeyMaterial().Get(ctx, TokenRingPurpose, TokenRingID)
	if err != nil {
		return fmt.Errorf("bootstrap: reading the session-token key ring: %w", err)
	}
	return ring.Load(rec.Ciphertext, master)
}

// RotateTokenKey makes a new session-token key active and stores the ring.
// The previous key keeps opening the tokens it sealed until they have all
// expired. It returns the new key's id.
func RotateTokenKey(ctx context.Context, st store.Store, master *masterkey.Keyring, rnd io.Reader, now time.Time) (string, error) {
	var id string
	err := st.Tx(ctx, func(r store.Repos) error {
		rec, err := r.KeyMaterial().Get(ctx, TokenRingPurpose, TokenRingID)
		if err != nil {
			return err
		}
		ring, err := credential.UnmarshalTokenKeyRing(rec.Ciphertext, master)
		if err != nil {
			return err
		}
		ring.Prune(now)
		if id, err = ring.Rotate(rnd, now); err != nil {
			return err
		}
		data, err := ring.Marshal(master)
		if err != nil {
			return err
		}
		if err := r.KeyMaterial().Delete(ctx, TokenRingPurpose, TokenRingID); err != nil {
			return err
		}
		return r.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: TokenRingPurpose, ID: TokenRingID, Ciphertext: data, Created: rec.Created})
	})
	if err != nil {
		return "", fmt.Errorf("bootstrap: rotating the session-token key: %w", err)
	}
	return id, nil
}

// messageKey reads the authorization-message key, creating it when absent.
func messageKey(ctx context.Context, cfg *Config) ([]byte, error) {
	rec, err := cfg.Store.KeyMaterial().Get(ctx, MessageKeyPurpose, MessageKeyID)
	if err == nil {
		key, err := cfg.Master.Open(rec.Ciphertext, MessageKeySealPurpose)
		if err != nil {
			return nil, fmt.Errorf("bootstrap: opening the authorization-message key: %w", err)
		}
		return key, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("bootstrap: reading the authorization-message key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(cfg.Rand, key); err != nil {
		return nil, err
	}
	sealed, err := cfg.Master.Seal(key, MessageKeySealPurpose)
	if err != nil {
		return nil, err
	}
	err = cfg.Store.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: MessageKeyPurpose, ID: MessageKeyID, Ciphertext: sealed, Created: cfg.Now})
	if errors.Is(err, store.ErrConflict) {
		return messageKey(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("bootstrap: saving the authorization-message key: %w", err)
	}
	return key, nil
}
