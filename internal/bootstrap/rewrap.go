package bootstrap

import (
	"context"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// RewrapReport counts the secrets Rewrap re-sealed under the active master
// key.
type RewrapReport struct {
	AccessKeys, MFADevices, KeyRecords int
}

// Rewrap re-seals every secret in the store under master's active key:
// long-term secret access keys, MFA seeds, the session-token key ring and
// the authorization-message key. Secrets already under the active key are
// left alone, so Rewrap can be repeated; every ciphertext is authenticated
// on the way. It runs in one transaction: either everything moves or
// nothing does. master must still hold the keys the secrets were sealed
// under (masterkey.Keyring.Rotate keeps them as decrypt-only).
//
// The store has no in-place update for a key's or a device's ciphertext,
// so a rewrapped access key or MFA device is deleted and created again
// with every other field kept (an assigned device is unassigned and
// assigned again with its last accepted TOTP step).
func Rewrap(ctx context.Context, st store.Store, master *masterkey.Keyring) (RewrapReport, error) {
	var rep RewrapReport
	err := st.Tx(ctx, func(r store.Repos) error {
		rep = RewrapReport{}
		accounts, err := r.Accounts().List(ctx)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			if a.ID == iam.AWSAccount {
				continue
			}
			if err := rewrapAccessKeys(ctx, r, master, a.ID, &rep); err != nil {
				return err
			}
			if err := rewrapMFA(ctx, r, master, a.ID, &rep); err != nil {
				return err
			}
		}
		if err := rewrapKeyRecords(ctx, r, master, &rep); err != nil {
			return err
		}
		return rewrapS3Backends(ctx, r, master, &rep) // s3backend.go
	})
	if err != nil {
		return RewrapReport{}, fmt.Errorf("bootstrap: rewrapping secrets: %w", err)
	}
	return rep, nil
}

func rewrapAccessKeys(ctx context.Context, r store.Repos, master *masterkey.Keyring, account string, rep *RewrapReport) error {
	users, err := r.Users().List(ctx, account, store.ListOptions{})
	if err != nil {
		return err
	}
	for _, u := range users {
		keys, err := r.AccessKeys().ListForUser(ctx, account, u.Name)
		if err != nil {
			return err
		}
		for _, k := range keys {
			ct, changed, err := master.Rewrap(k.SecretCiphertext, "access-key:"+k.ID)
			if err != nil || !changed {
				if err != nil {
					return fmt.Errorf("access key %s: %w", k.ID, err)
				}
				continue
			}
			k.SecretCiphertext = ct
			if err := r.AccessKeys().Delete(ctx, k.ID); err != nil {
				return err
			}
			if err := r.AccessKeys().Create(ctx, k); err != nil {
				return err
			}
			if !k.LastUsed.Date.IsZero() {
				if err := r.AccessKeys().RecordUse(ctx, k.ID, k.LastUsed); err != nil {
					return err
				}
			}
			rep.AccessKeys++
		}
	}
	return nil
}

func rewrapMFA(ctx context.Context, r store.Repos, master *masterkey.Keyring, account string, rep *RewrapReport) error {
	devices, err := r.MFADevices().List(ctx, account)
	if err != nil {
		return err
	}
	for _, d := range devices {
		ct, changed, err := master.Rewrap(d.SeedCiphertext, "mfa-seed:"+d.SerialNumber)
		if err != nil {
			return fmt.Errorf("MFA device %s: %w", d.SerialNumber, err)
		}
		if !changed {
			continue
		}
		if d.UserName != "" {
			if err := r.MFADevices().Unassign(ctx, d.SerialNumber); err != nil {
				return err
			}
		}
		if err := r.MFADevices().Delete(ctx, d.SerialNumber); err != nil {
			return err
		}
		fresh := d
		fresh.SeedCiphertext, fresh.UserName, fresh.EnableDate, fresh.LastStep = ct, "", time.Time{}, 0
		if err := r.MFADevices().Create(ctx, fresh); err != nil {
			return err
		}
		if d.UserName != "" {
			if err := r.MFADevices().Assign(ctx, d.SerialNumber, d.UserName, d.EnableDate, d.LastStep); err != nil {
				return err
			}
		}
		rep.MFADevices++
	}
	return nil
}

func rewrapKeyRecords(ctx context.Context, r store.Repos, master *masterkey.Keyring, rep *RewrapReport) error {
	if rec, err := r.KeyMaterial().Get(ctx, TokenRingPurpose, TokenRingID); err == nil {
		ring, err := credential.UnmarshalTokenKeyRing(rec.Ciphertext, master)
		if err != nil {
			return err
		}
		data, err := ring.Marshal(master)
		if err != nil {
			return err
		}
		if err := replaceRecord(ctx, r, rec, data); err != nil {
			return err
		}
		rep.KeyRecords++
	}
	for _, k := range sealedRecords {
		rec, err := r.KeyMaterial().Get(ctx, k.purpose, k.id)
		if err != nil {
			continue // not made yet (the OIDC keys are made on first use)
		}
		ct, changed, err := master.Rewrap(rec.Ciphertext, k.seal)
		if err != nil {
			return err
		}
		if changed {
			if err := replaceRecord(ctx, r, rec, ct); err != nil {
				return err
			}
			rep.KeyRecords++
		}
	}
	return nil
}

func replaceRecord(ctx context.Context, r store.Repos, rec store.KeyRecord, ct []byte) error {
	if err := r.KeyMaterial().Delete(ctx, rec.Purpose, rec.ID); err != nil {
		return err
	}
	rec.Ciphertext = ct
	return r.KeyMaterial().Put(ctx, rec)
}
